#include "sim/engine/trtllm_engine.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"
#include "sim/kv/cache_policy.hpp"
#include "sim/timing/timing_model.hpp"
#include "sim/workload/block_hashes.hpp"

namespace dynosim::sim::engine {

TrtllmEngine::TrtllmEngine(const EngineOptions& opts, std::int32_t num_blocks, std::int32_t worker_index,
                           const workload::Workload& wl, metrics::Recorder& rec)
    : opts_(opts),
      tpb_(opts.trtllm.tokens_per_block),
      worker_index_(worker_index),
      wl_(wl),
      rec_(rec),
      group_blocks_(workload::group_blocks(wl, opts.trtllm.tokens_per_block)),
      // BlockPool keeps block 0 back (vLLM's null block); TRT-LLM has none, so one more.
      kv_(opts.trtllm.tokens_per_block, kv::BlockPool(num_blocks + 1, opts.enable_prefix_caching,
                                                      kv::make_cache_policy(kv::CachePolicySpec{opts.cache_policy, opts.cache_policy_plugin, opts.cache_policy_plugin_params}), group_blocks_)),
      max_utilization_(opts.trtllm.capacity_scheduler_policy == "MAX_UTILIZATION") {
    DYNOSIM_ASSERT(opts_.max_model_len > 0 && num_blocks >= 1);
    pub_.init(worker_index, num_blocks + 1);
    kv_.set_eviction_observer(&pub_);
}

bool TrtllmEngine::enqueue(std::uint64_t request, TimeNs /*now*/) {
    const workload::Request& r = wl_.requests[request];
    metrics::RequestRecord& rec = rec_.at(request);
    rec.worker = worker_index_;
    const std::int64_t total = static_cast<std::int64_t>(r.input_tokens) + r.output_tokens;
    // max_seq_len; without chunked context a prompt must fit one forward pass (the executor rejects it);
    // a sequence needing more blocks than the pool has can never be guaranteed.
    const bool too_long_ctx = !opts_.trtllm.enable_chunked_prefill && r.input_tokens > opts_.trtllm.max_num_tokens;
    if (total > opts_.max_model_len || too_long_ctx || blocks_for(total) > kv_.usable_blocks()) {
        rec.status = metrics::RequestStatus::Rejected;
        return false;
    }
    Slot s;
    if (!free_slots_.empty()) {
        s = free_slots_.back();
        free_slots_.pop_back();
    } else {
        s = static_cast<Slot>(slots_.size());
        slots_.emplace_back();
    }
    Seq& q = seq(s);
    q.request = request;
    q.prompt = r.input_tokens;
    q.target_output = r.output_tokens;
    q.num_output = 0;
    q.num_computed = 0;
    q.started = false;
    q.admitted_once = false;
    q.last_token_ns = 0;
    q.kv.clear();
    q.hashes.clear();
    active_.push_back(s);
    queued_prefill_tokens_ += q.num_tokens();
    return true;
}

void TrtllmEngine::ensure_hashes(Seq& s) {
    if (!opts_.enable_prefix_caching || !s.hashes.empty()) return;
    const workload::Request& r = wl_.requests[s.request];
    workload::engine_block_hashes(r, tpb_, r.input_tokens + r.output_tokens, 0, s.hashes, group_blocks_);
}

std::int32_t TrtllmEngine::start_cost(Seq& s, std::int64_t tokens, std::int32_t& hits) {
    ensure_hashes(s);
    // Reuse stops before the last prompt token, which is recomputed for its logits.
    hits = kv_.count_prefix_hits(s.hashes, (s.num_tokens() - 1) / tpb_);
    std::int32_t shared = 0;
    kv::BlockPool::Cursor c;
    for (std::int32_t i = 0; i < hits; ++i)
        shared += kv_.pool().ref_count(kv_.pool().find(s.hashes[static_cast<std::size_t>(i)], c)) > 0;
    return blocks_for(tokens) - shared;
}

// GuaranteedNoEvictScheduler: started requests always continue and reserve their blocks to completion;
// waiting requests start in order while their whole lifetime fits what is left.
void TrtllmEngine::capacity_no_evict() {
    const std::int32_t max_bs = opts_.trtllm.max_batch_size;
    std::int64_t reserved = 0;
    for (Slot a : active_) {
        Seq& s = seq(a);
        if (!s.started) continue;
        if (static_cast<std::int32_t>(fitting_.size()) >= max_bs) break;
        fitting_.push_back(a);
        fit_need_.push_back(0);
        reserved += std::max<std::int64_t>(
            0, blocks_for(static_cast<std::int64_t>(s.prompt) + s.target_output) - static_cast<std::int64_t>(s.kv.blocks.size()));
    }
    std::int64_t available = kv_.num_free_blocks() - reserved;
    for (Slot a : active_) {
        Seq& s = seq(a);
        if (s.started) continue;
        if (static_cast<std::int32_t>(fitting_.size()) >= max_bs) break;
        std::int32_t hits = 0;
        const std::int32_t need = start_cost(s, static_cast<std::int64_t>(s.prompt) + s.target_output, hits);
        if (need > available) break;
        available -= need;
        fitting_.push_back(a);
        fit_need_.push_back(need);
    }
}

void TrtllmEngine::pause(Slot victim) {
    Seq& v = seq(victim);
    kv_.free(v.kv);  // blocks stay cached for reuse when it resumes
    v.num_computed = 0;
    v.started = false;
    --started_;
    ++pauses_;
    ++rec_.at(v.request).preemptions;
    ++rec_.counters().preemptions;
    queued_prefill_tokens_ += v.num_tokens();
}

// MaxUtilizationScheduler: in list order, each request takes the blocks it needs for this step only. When one
// does not fit, the last started request from the end of the list back to it is paused (its KV released, to
// be recomputed later; blocks stay cached for reuse), the list is cut there, and it retries; with no started
// request to pause, scheduling stops.
void TrtllmEngine::capacity_max_utilization() {
    const std::int32_t max_bs = opts_.trtllm.max_batch_size;
    std::int64_t available = kv_.num_free_blocks();
    std::size_t end = active_.size();
    for (std::size_t i = 0; i < end;) {
        const Slot a = active_[i];
        Seq& s = seq(a);
        if (static_cast<std::int32_t>(fitting_.size()) >= max_bs) break;
        std::int32_t need;
        if (s.started) {
            need = std::max<std::int32_t>(0, blocks_for(static_cast<std::int64_t>(s.num_computed) + 1) -
                                                 static_cast<std::int32_t>(s.kv.blocks.size()));
        } else {
            std::int32_t hits = 0;
            need = start_cost(s, s.num_tokens(), hits);
        }
        if (need <= available) {
            available -= need;
            fitting_.push_back(a);
            fit_need_.push_back(need);
            ++i;
            continue;
        }
        std::size_t j = end;
        while (j > i && !seq(active_[j - 1]).started) --j;
        if (j == i) break;
        // Blocks it shared with other requests stay in use: count only what really came back.
        const std::int64_t free_before = kv_.num_free_blocks();
        pause(active_[j - 1]);
        available += kv_.num_free_blocks() - free_before;
        end = j - 1;
    }
}

// MicroBatchScheduler: requests in capacity order within max_batch_size and max_num_tokens; with chunked
// context the token budget left after generation requests goes to context requests first come, first
// served, chunks a multiple of tokens_per_block unless they end the prompt.
void TrtllmEngine::micro_batch(TimeNs now) {
    const TrtllmOptions& to = opts_.trtllm;
    std::int64_t tokens = 0;
    std::int32_t count = 0;
    contexts_.clear();
    for (Slot f : fitting_) {
        if (count >= to.max_batch_size) break;
        Seq& s = seq(f);
        if (s.started && s.num_computed + 1 >= s.num_tokens() && s.num_output > 0) {
            if (tokens + 1 > to.max_num_tokens) break;
            scheduled_.push_back({f, 1});
            ++tokens;
            ++count;
            continue;
        }
        if (to.enable_chunked_prefill) {
            contexts_.push_back(f);
            ++count;
            continue;
        }
        std::int32_t hits = 0;
        std::int64_t remaining = s.num_tokens() - s.num_computed;
        if (!s.started) {
            start_cost(s, s.num_tokens(), hits);
            remaining = s.num_tokens() - static_cast<std::int64_t>(hits) * tpb_;
        }
        if (tokens + remaining > to.max_num_tokens) break;
        scheduled_.push_back({f, static_cast<std::int32_t>(remaining)});
        tokens += remaining;
        ++count;
    }
    if (to.enable_chunked_prefill) {
        std::int64_t budget = to.max_num_tokens - tokens;
        for (Slot f : contexts_) {
            Seq& s = seq(f);
            std::int64_t remaining = s.num_tokens() - s.num_computed;
            if (!s.started) {
                std::int32_t hits = 0;
                start_cost(s, s.num_tokens(), hits);
                remaining = s.num_tokens() - static_cast<std::int64_t>(hits) * tpb_;
            }
            std::int64_t chunk = std::min(remaining, budget);
            if (chunk < remaining) chunk = chunk / tpb_ * tpb_;
            if (chunk <= 0) continue;
            scheduled_.push_back({f, static_cast<std::int32_t>(chunk)});
            budget -= chunk;
        }
    }
    // Resources for what runs: a starting context gets blocks for its whole prompt (addSequence, reusing
    // cached prefix blocks); a generation request one more block when it crosses a block boundary.
    auto& counters = rec_.counters();
    for (const Scheduled& sc : scheduled_) {
        Seq& s = seq(sc.slot);
        if (!s.started) {
            std::int32_t hits = 0;
            start_cost(s, s.num_tokens(), hits);
            s.num_computed = hits * tpb_;
            const bool ok = allocate(s, hits, s.num_tokens(), s.num_computed);
            DYNOSIM_ASSERT(ok);
            s.started = true;
            ++started_;
            queued_prefill_tokens_ -= s.num_tokens();
            counters.prefix_query_tokens += static_cast<std::uint64_t>(s.num_tokens());
            counters.prefix_hit_tokens += static_cast<std::uint64_t>(s.num_computed);
            if (!s.admitted_once) {
                s.admitted_once = true;
                metrics::RequestRecord& rec = rec_.at(s.request);
                rec.cached_tokens = s.num_computed;
                rec.first_scheduled_ns = now;
            }
        } else if (sc.num_new == 1 && s.num_output > 0) {
            const std::int32_t total = s.num_computed + 1;
            const bool ok = allocate(s, 0, total, total);
            DYNOSIM_ASSERT(ok);
        }
    }
}

bool TrtllmEngine::schedule(timing::BatchShape& shape, TimeNs now) {
    shape.clear();
    scheduled_.clear();
    fitting_.clear();
    fit_need_.clear();
    if (max_utilization_) capacity_max_utilization();
    else capacity_no_evict();
    micro_batch(now);
    if (scheduled_.empty()) return false;
    for (const Scheduled& sc : scheduled_) {
        const Seq& s = slots_[static_cast<std::size_t>(sc.slot)];
        const bool decode = sc.num_new == 1 && s.num_output > 0 && s.num_computed + 1 == s.num_tokens();
        if (decode) shape.decode_context.push_back(s.num_computed + 1);
        else shape.prefills.push_back({sc.num_new, s.num_computed, s.num_computed + sc.num_new == s.num_tokens()});
        rec_.counters().scheduled_tokens += static_cast<std::uint64_t>(sc.num_new);
    }
    ++rec_.counters().steps;
    return true;
}

void TrtllmEngine::complete_step(TimeNs now) {
    bool any_finished = false;
    for (const Scheduled& sc : scheduled_) {
        Seq& s = seq(sc.slot);
        s.num_computed += sc.num_new;
        if (s.num_computed < s.num_tokens()) {
            // A context chunk: its full blocks become reusable (storeContextBlocks).
            allocate(s, 0, s.num_tokens(), s.num_computed);
            continue;
        }
        ++s.num_output;
        if (EngineEventSink* sink = pub_.sink()) {
            if (s.num_output == 1) sink->first_token(worker_index_, s.request, now);
            if (s.num_output >= s.target_output) sink->finished(worker_index_, s.request, now);
        }
        if (rec_.record_token(s.request, s.num_output, s.target_output, now, s.last_token_ns)) {
            allocate(s, 0, static_cast<std::int32_t>(s.kv.blocks.size()) * tpb_, s.num_computed);
            kv_.free(s.kv);
            s.started = false;
            --started_;
            s.num_computed = -1;
            any_finished = true;
        }
    }
    scheduled_.clear();
    pub_.flush(now);  // the step's KV events, published with its outputs
    if (!any_finished) return;
    std::size_t out = 0;
    for (Slot a : active_) {
        if (seq(a).num_computed < 0) free_slots_.push_back(a);
        else active_[out++] = a;
    }
    active_.resize(out);
}

std::int64_t TrtllmEngine::run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                            TimeNs& busy_ns) {
    const auto batch = static_cast<std::int64_t>(active_.size());
    if (batch == 0 || started_ != batch || batch > opts_.trtllm.max_batch_size ||
        batch > opts_.trtllm.max_num_tokens)
        return 0;
    std::int64_t left = INT64_MAX, context = 0, longest = 0;
    for (const Slot a : active_) {
        const Seq& s = slots_[static_cast<std::size_t>(a)];
        // A decode whose last token came at the end of the step just completed: its gaps are the steps'.
        if (s.num_output == 0 || s.num_computed + 1 != s.num_tokens() || s.last_token_ns != now) return 0;
        // Steps before its last token.
        left = std::min<std::int64_t>(left, s.target_output - s.num_output - 1);
        context += s.num_computed + 1;
        longest = std::max<std::int64_t>(longest, s.num_computed + 1);
    }
    if (left <= 0) return 0;
    const bool caching = kv_.pool().prefix_caching();
    kv_due_.clear();
    for (std::size_t i = 0; i < active_.size(); ++i) {
        const Seq& s = slots_[static_cast<std::size_t>(active_[i])];
        const std::int32_t c0 = s.num_computed;
        kv_due_.push(KvDueQueue::next_total(s.kv, tpb_, caching, s.hashes.size(), c0) - c0,
                     static_cast<std::int32_t>(i));
    }
    // Step k (1-based) computes token c0 + k of each request; micro_batch's allocate asks for c0 + k
    // tokens, which changes the pool only for the requests the queue names.
    std::int64_t k = 0;
    TimeNs t = now, busy = 0;
    while (k < left) {
        const TimeNs dt = timing.decode_step_time(batch, context + batch * k, longest + k);
        if (dt < 0 || t + dt >= horizon) break;
        const std::span<const std::int32_t> due = kv_due_.pop(k + 1);
        const std::int32_t new_blocks = new_blocks_due(due, k, tpb_, [&](std::int32_t i) -> const Seq& {
            return slots_[static_cast<std::size_t>(active_[static_cast<std::size_t>(i)])];
        });
        if (new_blocks > kv_.num_free_blocks()) break;  // a pause: left to schedule()
        for (const std::int32_t i : due) {
            Seq& s = slots_[static_cast<std::size_t>(active_[static_cast<std::size_t>(i)])];
            const auto total = static_cast<std::int32_t>(s.num_computed + k + 1);
            const bool ok = allocate(s, 0, total, total);
            DYNOSIM_ASSERT(ok);
            kv_due_.push(KvDueQueue::next_total(s.kv, tpb_, caching, s.hashes.size(), total) - s.num_computed,
                         i);
        }
        t += dt;
        busy += dt;
        ++k;
        rec_.add_itls(dt, static_cast<std::uint64_t>(batch));
        if (pub_.active()) pub_.flush(t);  // the step's KV events, published with its outputs
    }
    if (k == 0) return 0;
    count_decode_run(rec_, k, batch);
    for (const Slot a : active_) close_decode_run(slots_[static_cast<std::size_t>(a)], k, t, rec_);
    now = t;
    busy_ns += busy;
    return k;
}

WorkerLoad TrtllmEngine::load() const {
    WorkerLoad l;
    l.running = started_;
    l.waiting = static_cast<std::int32_t>(active_.size()) - started_;
    l.used_blocks = kv_.used_blocks();
    l.total_blocks = kv_.usable_blocks();
    l.queued_prefill_tokens = queued_prefill_tokens_;
    return l;
}

}  // namespace dynosim::sim::engine
