#include "sim/engine/vllm_engine.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"
#include "sim/kv/cache_policy.hpp"
#include "sim/timing/timing_model.hpp"
#include "sim/workload/block_hashes.hpp"

namespace dynosim::sim::engine {

VllmEngine::VllmEngine(const EngineOptions& opts, std::int32_t num_blocks, std::int32_t worker_index,
                       const workload::Workload& wl, metrics::Recorder& rec, std::unique_ptr<kv::Kvbm> kvbm)
    : opts_(opts),
      worker_index_(worker_index),
      wl_(wl),
      rec_(rec),
      group_blocks_(workload::group_blocks(wl, opts.block_size)),
      kvbm_(std::move(kvbm)),
      kv_(opts.block_size, kv::BlockPool(num_blocks, opts.enable_prefix_caching, [&] {
              std::unique_ptr<kv::CachePolicy> p = kv::make_cache_policy(kv::CachePolicySpec{opts.cache_policy, opts.cache_policy_plugin, opts.cache_policy_plugin_params});
              if (kvbm_) {
                  auto tap = std::make_unique<KvbmTap>(std::move(p), *kvbm_, num_blocks);
                  tap_ = tap.get();
                  p = std::move(tap);
              }
              return p;
          }(), group_blocks_)) {
    pub_.init(worker_index, num_blocks);
    kv_.set_eviction_observer(&pub_);
    DYNOSIM_ASSERT(opts_.max_num_batched_tokens > 0 && opts_.max_num_seqs > 0 && opts_.max_model_len > 0);
}

VllmEngine::Slot VllmEngine::new_slot(std::uint64_t request) {
    Slot s;
    if (!free_slots_.empty()) {
        s = free_slots_.back();
        free_slots_.pop_back();
    } else {
        s = static_cast<Slot>(slots_.size());
        slots_.emplace_back();
    }
    const workload::Request& r = wl_.requests[request];
    Seq& q = slots_[static_cast<std::size_t>(s)];
    q.request = request;
    q.prompt = r.input_tokens;
    q.target_output = r.output_tokens;
    q.num_output = 0;
    q.num_computed = 0;
    q.admitted_once = false;
    q.onboarded = false;
    q.last_token_ns = 0;
    q.kv.clear();
    q.hashes.clear();  // keeps capacity: filled on first admission
    return s;
}

void VllmEngine::release_slot(Slot s) { free_slots_.push_back(s); }

bool VllmEngine::enqueue(std::uint64_t request, TimeNs now) {
    const workload::Request& r = wl_.requests[request];
    metrics::RequestRecord& rec = rec_.at(request);
    if (role_ == EngineRole::Prefill) rec.prefill_worker = worker_index_;
    else rec.worker = worker_index_;
    const std::int64_t total = static_cast<std::int64_t>(r.input_tokens) + r.output_tokens;
    // vLLM rejects prompts beyond max_model_len; with forced output lengths the whole sequence must fit,
    // and a sequence needing more blocks than the worker has would preempt itself forever.
    const std::int64_t blocks_needed = (total - 1 + opts_.block_size - 1) / opts_.block_size;
    if (total > opts_.max_model_len || blocks_needed > kv_.usable_blocks()) {
        rec.status = metrics::RequestStatus::Rejected;
        return false;
    }
    const Slot s = new_slot(request);
    slots_[static_cast<std::size_t>(s)].enqueued_ns = now;
    if (role_ == EngineRole::Prefill) slots_[static_cast<std::size_t>(s)].target_output = 1;  // max_tokens = 1
    waiting_.push_back(s);
    queued_prefill_tokens_ += slots_[static_cast<std::size_t>(s)].num_tokens();
    return true;
}

bool VllmEngine::try_allocate(Seq& s, std::int32_t hit_blocks, std::int32_t num_new) {
    const std::int32_t total = s.num_computed + num_new;
    const std::int32_t before = s.kv.num_registered;
    if (!kv_.allocate(s.kv, s.hashes, hit_blocks, total, total)) return false;
    if (kvbm_) note_registered(s, before);
    publish_registered(pub_, kv_, s.kv, s.hashes, before);
    return true;
}

void VllmEngine::note_registered(const Seq& s, std::int32_t before) {
    if (!kv_.pool().prefix_caching()) return;
    kv::BlockPool::Cursor c;
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(s.kv.num_registered), s.hashes.size());
    for (std::size_t i = static_cast<std::size_t>(before < 0 ? 0 : before); i < n; ++i) {
        const kv::BlockId b = s.kv.blocks[i];
        if (tap_->cached(b) || kv_.pool().find(s.hashes[i], c) != b) continue;
        tap_->note(b, s.hashes[i]);
        if (!kvbm_->evict_trigger()) offload_keys_.push_back(s.hashes[i]);
    }
}

// Requests whose onboard transfers ended by `now` have their blocks registered in G1 and rejoin the front
// of the waiting queue with those tokens computed (vLLM: finished_recving -> WAITING).
void VllmEngine::finish_onboards(TimeNs now) {
    const std::int32_t bs = opts_.block_size;
    for (std::size_t i = onboarding_.size(); i-- > 0;) {
        const Onboarding o = onboarding_[i];
        if (o.done_ns > now) continue;
        onboarding_.erase(onboarding_.begin() + static_cast<std::ptrdiff_t>(i));
        Seq& s = slots_[static_cast<std::size_t>(o.slot)];
        const std::int32_t before = s.kv.num_registered;
        const bool ok = kv_.allocate(s.kv, s.hashes, 0, o.blocks * bs, o.blocks * bs);
        DYNOSIM_ASSERT(ok);  // the blocks are held already: nothing new is allocated
        note_registered(s, before);
        publish_registered(pub_, kv_, s.kv, s.hashes, before);
        s.num_computed = o.blocks * bs;
        s.onboarded = true;
        queued_prefill_tokens_ -= s.num_computed;
        waiting_.push_front(o.slot);
    }
}

void VllmEngine::flush_events(TimeNs now) {
    pub_.flush(now);
    if (!kvbm_) return;
    if (EngineEventSink* sink = pub_.sink()) {
        for (const kv::KvbmEvent& e : kvbm_->events()) {
            if (e.stored) sink->kv_tier_stored(worker_index_, e.tier, e.key, e.t);
            else sink->kv_tier_removed(worker_index_, e.tier, e.key, e.t);
        }
    }
    kvbm_->clear_events();
}

TimeNs VllmEngine::next_wakeup_ns() const {
    TimeNs t = core::kTimeMax;
    for (const Onboarding& o : onboarding_) t = std::min(t, o.done_ns);
    return t;
}

void VllmEngine::preempt(Slot victim, std::int32_t& budget) {
    Seq& v = slots_[static_cast<std::size_t>(victim)];
    // A victim already scheduled this step gives its tokens back to the budget.
    for (auto it = scheduled_.begin(); it != scheduled_.end(); ++it) {
        if (it->slot == victim) {
            budget += it->num_new;
            scheduled_.erase(it);
            break;
        }
    }
    kv_.free(v.kv);
    v.num_computed = 0;  // recompute: V1 does not swap
    ++rec_.at(v.request).preemptions;
    ++rec_.counters().preemptions;
    waiting_.push_front(victim);
    queued_prefill_tokens_ += v.num_tokens();
}

// Running requests first, oldest first; a request that cannot get blocks preempts the newest running one
// (possibly itself). Returns true if any preemption happened (then no waiting request is admitted).
bool VllmEngine::schedule_running(std::int32_t& budget) {
    bool preempted = false;
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
        const Slot slot = running_[i];
        Seq& s = slots_[static_cast<std::size_t>(slot)];
        std::int32_t num_new = s.num_tokens() - s.num_computed;
        if (opts_.long_prefill_token_threshold > 0) num_new = std::min(num_new, opts_.long_prefill_token_threshold);
        num_new = std::min(num_new, budget);
        if (num_new <= 0) continue;
        bool self_preempted = false;
        while (!try_allocate(s, 0, num_new)) {
            const Slot victim = running_.back();
            running_.pop_back();
            preempt(victim, budget);
            preempted = true;
            if (victim == slot) {
                self_preempted = true;
                break;
            }
        }
        if (self_preempted) break;
        scheduled_.push_back({slot, num_new});
        budget -= num_new;
    }
    return preempted;
}

void VllmEngine::schedule_waiting(std::int32_t& budget, TimeNs now, TimeNs visible_until) {
    const std::int32_t bs = opts_.block_size;
    while (!waiting_.empty() && budget > 0 && static_cast<std::int32_t>(running_.size()) < opts_.max_num_seqs) {
        const Slot slot = waiting_.front();
        Seq& s = slots_[static_cast<std::size_t>(slot)];
        if (s.enqueued_ns > visible_until) break;  // arrived after this step was planned (async scheduling)
        const workload::Request& r = wl_.requests[s.request];
        if (opts_.enable_prefix_caching && s.hashes.empty())
            workload::engine_block_hashes(r, bs, r.input_tokens + r.output_tokens, 0, s.hashes, group_blocks_);
        // Prefix hit: whole cached blocks, at most num_tokens - 1 tokens so the last one is recomputed.
        std::int32_t hit_blocks = 0;
        if (s.num_computed == 0)
            hit_blocks = kv_.count_prefix_hits(s.hashes, (s.num_tokens() - 1) / bs);
        const std::int32_t hit_tokens = hit_blocks * bs;
        if (kvbm_ && s.num_computed == 0 && opts_.enable_prefix_caching) {
            // KVBM: the prefix continues in a lower tier? Take G1 blocks for it, start the transfers, and
            // park the request until they end; it computes nothing meanwhile.
            const std::int32_t max_blocks = (s.num_tokens() - 1) / bs;
            const std::int32_t onboard = kvbm_->match(s.hashes, hit_blocks, max_blocks, now);
            if (onboard > 0) {
                const std::int32_t blocks = hit_blocks + onboard;
                const std::int32_t before = s.kv.num_registered;
                if (!kv_.allocate(s.kv, s.hashes, hit_blocks, blocks * bs, hit_tokens)) break;
                publish_registered(pub_, kv_, s.kv, s.hashes, before);
                const TimeNs done = kvbm_->onboard(s.hashes, hit_blocks, onboard, max_blocks, now);
                waiting_.pop_front();
                onboarding_.push_back({slot, done, blocks});
                auto& counters = rec_.counters();
                counters.prefix_query_tokens += static_cast<std::uint64_t>(s.num_tokens());
                counters.prefix_hit_tokens += static_cast<std::uint64_t>(hit_tokens);
                metrics::RequestRecord& rec = rec_.at(s.request);
                if (!s.admitted_once) {
                    s.admitted_once = true;
                    rec.cached_tokens = blocks * bs;
                    rec.first_scheduled_ns = now;
                    rec.onboard_ns = done - now;
                }
                continue;
            }
        }
        std::int32_t num_new = s.num_tokens() - s.num_computed - hit_tokens;
        if (opts_.long_prefill_token_threshold > 0) num_new = std::min(num_new, opts_.long_prefill_token_threshold);
        if (!opts_.enable_chunked_prefill && num_new > budget) break;
        num_new = std::min(num_new, budget);
        const std::int32_t computed_before = s.num_computed;
        s.num_computed += hit_tokens;
        if (!try_allocate(s, hit_blocks, num_new)) {
            s.num_computed = computed_before;
            break;  // waiting requests never preempt
        }
        waiting_.pop_front();
        if (kvbm_ && computed_before == 0 && opts_.enable_prefix_caching)  // admitted: its lookup missed below G1
            kvbm_->onboard(s.hashes, hit_blocks, 0, (s.num_tokens() - 1) / bs, now);
        queued_prefill_tokens_ -= s.num_tokens() - computed_before;
        running_.push_back(slot);
        scheduled_.push_back({slot, num_new});
        budget -= num_new;
        if (s.transferred) {  // its prompt KV came from a prefill worker, whose admission was counted
            s.transferred = false;
            continue;
        }
        if (s.onboarded) {  // counted when its onboarding started
            s.onboarded = false;
            continue;
        }

        auto& counters = rec_.counters();
        counters.prefix_query_tokens += static_cast<std::uint64_t>(s.num_tokens());
        counters.prefix_hit_tokens += static_cast<std::uint64_t>(hit_tokens);
        if (!s.admitted_once) {
            s.admitted_once = true;
            metrics::RequestRecord& rec = rec_.at(s.request);
            rec.cached_tokens = hit_tokens;
            rec.first_scheduled_ns = now;
        }
    }
}

bool VllmEngine::schedule(timing::BatchShape& shape, TimeNs now) {
    shape.clear();
    scheduled_.clear();
    if (kvbm_) {
        tap_->set_now(now);
        if (!onboarding_.empty()) finish_onboards(now);
    }
    std::int32_t budget = opts_.max_num_batched_tokens;
    // Async scheduling: a step that follows another back to back was planned when that one was launched,
    // and sees only the requests that had arrived by then. With nothing else to run the engine was idle
    // (or only finishing) and plans now.
    const TimeNs visible_until = opts_.async_scheduling && last_end_ns_ == now && last_start_ns_ >= 0 ? last_start_ns_ : now;
    const bool preempted = schedule_running(budget);
    if (!preempted) schedule_waiting(budget, now, visible_until);
    if (scheduled_.empty() && !preempted && visible_until < now) schedule_waiting(budget, now, now);
    if (scheduled_.empty()) return false;
    last_start_ns_ = now;

    for (const Scheduled& sc : scheduled_) {
        const Seq& s = slots_[static_cast<std::size_t>(sc.slot)];
        const bool decode = sc.num_new == 1 && s.num_output > 0 && s.num_computed + 1 == s.num_tokens();
        if (decode) {
            shape.decode_context.push_back(s.num_computed + 1);
        } else {
            shape.prefills.push_back({sc.num_new, s.num_computed, s.num_computed + sc.num_new == s.num_tokens()});
        }
        rec_.counters().scheduled_tokens += static_cast<std::uint64_t>(sc.num_new);
    }
    ++rec_.counters().steps;
    return true;
}

void VllmEngine::complete_step(TimeNs now) {
    if (kvbm_) {  // register trigger: the step computed these blocks; their copies down start now
        for (std::uint64_t key : offload_keys_) kvbm_->offload(key, now);
        offload_keys_.clear();
    }
    last_end_ns_ = now;
    flush_events(now);  // the KV events of the step's allocations, published with its outputs
    EngineEventSink* sink = pub_.sink();
    bool any_finished = false;
    for (const Scheduled& sc : scheduled_) {
        Seq& s = slots_[static_cast<std::size_t>(sc.slot)];
        s.num_computed += sc.num_new;
        if (s.num_computed < s.num_tokens()) continue;  // a prefill chunk that did not reach the end
        // Caught up with its tokens: the step sampled one more.
        ++s.num_output;
        if (role_ == EngineRole::Prefill) {
            // max_tokens = 1: the prompt's KV is computed (and stays cached here); the decode side takes over.
            kv_.free(s.kv);
            s.num_computed = -1;
            any_finished = true;
            if (sink) sink->prefill_done(worker_index_, s.request, now);
            continue;
        }
        if (sink) {
            if (s.num_output == 1) sink->first_token(worker_index_, s.request, now);
            if (s.num_output >= s.target_output) sink->finished(worker_index_, s.request, now);
        }
        if (rec_.record_token(s.request, s.num_output, s.target_output, now, s.last_token_ns)) {
            kv_.free(s.kv);
            s.num_computed = -1;  // marks it for removal from running below
            any_finished = true;
        }
    }
    scheduled_.clear();
    if (!any_finished) return;
    std::size_t out = 0;
    for (Slot slot : running_) {
        if (slots_[static_cast<std::size_t>(slot)].num_computed < 0) release_slot(slot);
        else running_[out++] = slot;
    }
    running_.resize(out);
}

std::int64_t VllmEngine::run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                          TimeNs& busy_ns) {
    if (kvbm_ || role_ == EngineRole::Prefill || running_.empty()) return 0;
    const auto batch = static_cast<std::int64_t>(running_.size());
    // schedule_waiting would look at the queue unless the batch is full; schedule_running gives every
    // running request its one token only within the budget.
    if ((!waiting_.empty() && batch < opts_.max_num_seqs) || batch > opts_.max_num_batched_tokens) return 0;
    std::int64_t left = INT64_MAX, context = 0, longest = 0;
    for (const Slot slot : running_) {
        const Seq& s = slots_[static_cast<std::size_t>(slot)];
        // A decode whose last token came at the end of the step just completed: its gaps are the steps'.
        if (s.num_output == 0 || s.num_computed + 1 != s.num_tokens() || s.last_token_ns != now) return 0;
        // Steps before its last token.
        left = std::min<std::int64_t>(left, s.target_output - s.num_output - 1);
        context += s.num_computed + 1;
        longest = std::max<std::int64_t>(longest, s.num_computed + 1);
    }
    if (left <= 0) return 0;
    const std::int32_t bs = opts_.block_size;
    const bool caching = kv_.pool().prefix_caching();
    kv_due_.clear();
    for (std::size_t i = 0; i < running_.size(); ++i) {
        const Seq& s = slots_[static_cast<std::size_t>(running_[i])];
        const std::int32_t c0 = s.num_computed;
        kv_due_.push(KvDueQueue::next_total(s.kv, bs, caching, s.hashes.size(), c0) - c0,
                     static_cast<std::int32_t>(i));
    }
    // Step k (1-based) computes token c0 + k of each request; schedule_running's try_allocate asks for
    // c0 + k tokens, which changes the pool only for the requests the queue names.
    std::int64_t k = 0;
    TimeNs t = now, start = now, busy = 0;
    EngineEventSink* sink = pub_.sink();
    while (k < left) {
        const TimeNs dt = timing.decode_step_time(batch, context + batch * k, longest + k);
        if (dt < 0 || t + dt >= horizon) break;
        const std::span<const std::int32_t> due = kv_due_.pop(k + 1);
        const std::int32_t new_blocks = new_blocks_due(due, k, bs, [&](std::int32_t i) -> const Seq& {
            return slots_[static_cast<std::size_t>(running_[static_cast<std::size_t>(i)])];
        });
        if (new_blocks > kv_.num_free_blocks()) break;  // a preemption: left to schedule()
        for (const std::int32_t i : due) {
            Seq& s = slots_[static_cast<std::size_t>(running_[static_cast<std::size_t>(i)])];
            const auto total = static_cast<std::int32_t>(s.num_computed + k + 1);
            const std::int32_t before = s.kv.num_registered;
            const bool ok = kv_.allocate(s.kv, s.hashes, 0, total, total);
            DYNOSIM_ASSERT(ok);
            publish_registered(pub_, kv_, s.kv, s.hashes, before);
            kv_due_.push(KvDueQueue::next_total(s.kv, bs, caching, s.hashes.size(), total) - s.num_computed,
                         i);
        }
        start = t;
        t += dt;
        busy += dt;
        ++k;
        rec_.add_itls(dt, static_cast<std::uint64_t>(batch));
        if (sink) pub_.flush(t);  // the step's KV events, published with its outputs
    }
    if (k == 0) return 0;
    count_decode_run(rec_, k, batch);
    for (const Slot slot : running_) close_decode_run(slots_[static_cast<std::size_t>(slot)], k, t, rec_);
    last_start_ns_ = start;
    last_end_ns_ = t;
    now = t;
    busy_ns += busy;
    return k;
}

std::int32_t VllmEngine::cached_prefix_tokens(std::uint64_t request) {
    if (!opts_.enable_prefix_caching) return 0;
    const workload::Request& r = wl_.requests[request];
    scratch_keys_.clear();
    workload::engine_block_hashes(r, opts_.block_size, r.input_tokens, 0, scratch_keys_, group_blocks_);
    return kv_.count_prefix_hits(scratch_keys_, (r.input_tokens - 1) / opts_.block_size) * opts_.block_size;
}

std::int32_t VllmEngine::reserve_transfer(std::uint64_t request, TimeNs now) {
    const workload::Request& r = wl_.requests[request];
    metrics::RequestRecord& rec = rec_.at(request);
    const std::int32_t bs = opts_.block_size;
    const std::int64_t total = static_cast<std::int64_t>(r.input_tokens) + r.output_tokens;
    if (total > opts_.max_model_len || (total - 1 + bs - 1) / bs > kv_.usable_blocks()) {
        rec.worker = worker_index_;
        rec.status = metrics::RequestStatus::Rejected;
        return kNeverFits;
    }
    const Slot slot = new_slot(request);
    Seq& s = slots_[static_cast<std::size_t>(slot)];
    if (opts_.enable_prefix_caching)
        workload::engine_block_hashes(r, bs, r.input_tokens + r.output_tokens, 0, s.hashes, group_blocks_);
    const std::int32_t hits = kv_.count_prefix_hits(s.hashes, (s.num_tokens() - 1) / bs);
    // Blocks for the whole prompt; only the locally cached ones are registered (the rest has no data yet).
    if (!kv_.allocate(s.kv, s.hashes, hits, s.prompt, hits * bs)) {
        release_slot(slot);
        return kNoRoom;
    }
    flush_events(now);  // evictions made to reserve
    s.admitted_once = true;  // queue time and cache hit are the prefill side's
    s.transferred = true;
    rec.worker = worker_index_;
    in_transfer_.push_back({request, slot});
    return hits;
}

void VllmEngine::transfer_done(std::uint64_t request, TimeNs now) {
    auto it = std::find_if(in_transfer_.begin(), in_transfer_.end(),
                           [&](const InTransfer& t) { return t.request == request; });
    DYNOSIM_ASSERT(it != in_transfer_.end());
    const Slot slot = it->slot;
    in_transfer_.erase(it);
    Seq& s = slots_[static_cast<std::size_t>(slot)];
    s.num_computed = s.prompt - 1;  // the last prompt token is recomputed to sample the first output token
    s.enqueued_ns = now;
    waiting_.push_back(slot);
    queued_prefill_tokens_ += 1;
}

WorkerLoad VllmEngine::load() const {
    WorkerLoad l;
    l.running = static_cast<std::int32_t>(running_.size());
    l.waiting = static_cast<std::int32_t>(waiting_.size() + onboarding_.size());  // onboarding ones wait too
    l.used_blocks = kv_.used_blocks();
    l.total_blocks = kv_.usable_blocks();
    l.queued_prefill_tokens = queued_prefill_tokens_;
    return l;
}

}  // namespace dynosim::sim::engine
