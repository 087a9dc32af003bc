#include "sim/engine/sglang_engine.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"
#include "sim/engine/decode_run.hpp"
#include "sim/timing/timing_model.hpp"
#include "sim/workload/block_hashes.hpp"

namespace dynosim::sim::engine {

using C = SglangConstants;

SglangEngine::SglangEngine(const EngineOptions& opts, std::int64_t pool_tokens, std::int32_t worker_index,
                           const workload::Workload& wl, metrics::Recorder& rec, std::uint64_t seed)
    : opts_(opts),
      bs_(opts.block_size),
      page_(opts.sglang.page_size),
      worker_index_(worker_index),
      wl_(wl),
      rec_(rec),
      group_blocks_(workload::group_blocks(wl, opts.block_size)),
      pool_tokens_(pool_tokens),
      tree_(opts.block_size, static_cast<std::int32_t>(std::max<std::int64_t>(1, pool_tokens / opts.block_size)),
            group_blocks_),
      rng_(seed) {
    DYNOSIM_ASSERT(opts_.sglang.chunked_prefill_size != 0 && opts_.sglang.max_running_requests > 0);
    DYNOSIM_ASSERT(opts_.max_model_len > 0 && pool_tokens_ > 0);
    // scheduler.py: init = min(0.7 x conservativeness, 1); min = init x 0.14; decay over 600 decode steps.
    init_ratio_ = std::min(C::kInitNewTokenRatio * opts_.sglang.schedule_conservativeness, 1.0);
    min_ratio_ = std::min(init_ratio_ * C::kMinNewTokenRatioFactor, 1.0);
    decay_ = (init_ratio_ - min_ratio_) / C::kNewTokenRatioDecaySteps;
    new_token_ratio_ = init_ratio_;
}

SglangEngine::Slot SglangEngine::new_slot(std::uint64_t request) {
    Slot s;
    if (!free_slots_.empty()) {
        s = free_slots_.back();
        free_slots_.pop_back();
    } else {
        s = static_cast<Slot>(slots_.size());
        slots_.emplace_back();
    }
    const workload::Request& r = wl_.requests[request];
    Seq& q = seq(s);
    std::vector<std::uint64_t> keys = std::move(q.keys);
    q = Seq{};
    q.keys = std::move(keys);
    q.keys.clear();
    q.request = request;
    q.prompt = r.input_tokens;
    q.target_output = r.output_tokens;
    return s;
}

bool SglangEngine::enqueue(std::uint64_t request, TimeNs /*now*/) {
    const workload::Request& r = wl_.requests[request];
    metrics::RequestRecord& rec = rec_.at(request);
    rec.worker = worker_index_;
    const std::int64_t total = static_cast<std::int64_t>(r.input_tokens) + r.output_tokens;
    // SGLang rejects prompts beyond context_length; a sequence the pool cannot hold alone would retract
    // itself forever.
    if (total > opts_.max_model_len || paged(total) > pool_tokens_) {
        rec.status = metrics::RequestStatus::Rejected;
        return false;
    }
    const Slot s = new_slot(request);
    waiting_.push_back(s);
    queued_prefill_tokens_ += seq(s).num_tokens();
    return true;
}

bool SglangEngine::make_free(std::int64_t tokens) {
    const std::int64_t missing = tokens - free_tokens();
    if (missing > 0) tree_.evict(missing);
    return free_tokens() >= tokens;
}

void SglangEngine::ensure_keys(Seq& s) {
    if (!opts_.enable_prefix_caching || !s.keys.empty()) return;
    const workload::Request& r = wl_.requests[s.request];
    workload::engine_block_hashes(r, bs_, r.input_tokens + r.output_tokens, 0, s.keys, group_blocks_);
}

// init_next_round_input: the cached prefix of prompt + output so far, at most len - 1 tokens (the last
// token is recomputed for its logits).
void SglangEngine::match(Seq& s) {
    s.prefix_nodes = 0;
    s.match_node = kv::RadixCache::kRoot;
    if (!opts_.enable_prefix_caching || s.num_computed > 0) return;
    ensure_keys(s);
    const kv::RadixCache::Match m = tree_.match_prefix(s.keys, (s.num_tokens() - 1) / bs_);
    s.prefix_nodes = m.nodes;
    s.match_node = m.last;
}

void SglangEngine::relock(Seq& s, NodeId node) {
    if (node == s.locked_node) return;
    tree_.relock(s.locked_node, node);
    s.locked_node = node;
}

// Allocates KV for tokens up to `computed_after` outside the tree (page-rounded).
void SglangEngine::grow_private(Seq& s, std::int32_t computed_after) {
    const std::int32_t want = paged(computed_after - static_cast<std::int64_t>(s.cached_nodes) * bs_);
    const std::int32_t delta = want - s.private_tokens;
    if (delta <= 0) return;
    const bool ok = make_free(delta);
    DYNOSIM_ASSERT(ok);  // admission and check_decode_mem reserved it
    s.private_tokens = want;
    private_tokens_ += delta;
}

// cache_unfinished_req: full blocks of computed tokens go into the tree (a block already there is kept and
// the request's copy freed) and the request locks the new path.
void SglangEngine::cache_unfinished(Seq& s) {
    if (!opts_.enable_prefix_caching) return;
    const std::int32_t n = std::min<std::int32_t>(s.num_computed / bs_, static_cast<std::int32_t>(s.keys.size()));
    if (n <= s.cached_nodes) return;
    std::int32_t created = 0;
    const NodeId from = s.cached_nodes > 0 ? s.locked_node : kv::RadixCache::kRoot;
    const NodeId last = tree_.insert(s.keys, s.cached_nodes, from, n, created);
    s.cached_nodes = n;
    const std::int32_t want = paged(s.num_computed - static_cast<std::int64_t>(n) * bs_);
    private_tokens_ -= s.private_tokens - want;
    s.private_tokens = want;
    relock(s, last);
}

// cache_finished_req (insert = true) and a retraction's release_req (insert = false): private KV is freed,
// the path unlocked; the tree keeps what it holds.
void SglangEngine::release(Seq& s, bool insert) {
    if (insert) cache_unfinished(s);
    private_tokens_ -= s.private_tokens;
    s.private_tokens = 0;
    if (s.locked_node != kv::RadixCache::kNone) tree_.unlock(s.locked_node);
    s.locked_node = kv::RadixCache::kNone;
    s.cached_nodes = 0;
    s.num_computed = 0;
}

std::int64_t SglangEngine::clip_new(const Seq& s) const {
    return std::min<std::int64_t>(s.target_output, C::kClipMaxNewTokens);
}

// SchedulePolicy.calc_priority: reorders the waiting queue in place.
void SglangEngine::order_waiting() {
    const std::string& p = opts_.sglang.schedule_policy;
    const bool cache_aware = (p == "lpm" || p == "dfs-weight") && opts_.enable_prefix_caching;
    if (cache_aware) {
        if (p == "lpm" && waiting_.size() > C::kLpmFallbackQueueLen) return;  // fcfs
        // _compute_prefix_matches, with in-batch prefix caching: a request that shares little with the
        // cache but enough with another waiting request waits, so one of them pays for the prefix.
        inbatch_keys_.clear();
        const std::int32_t dep_blocks = (C::kInBatchDeprioritizeTokens + bs_ - 1) / bs_;
        for (Slot w : waiting_) {
            Seq& s = seq(w);
            match(s);
            s.deprioritized = false;
            if (s.prefix_nodes * bs_ > C::kInBatchCheckTokens) continue;
            const auto n = static_cast<std::int32_t>(s.keys.size());
            if (n >= dep_blocks &&
                std::find(inbatch_keys_.begin(), inbatch_keys_.end(), s.keys[static_cast<std::size_t>(dep_blocks - 1)]) !=
                    inbatch_keys_.end()) {
                s.deprioritized = true;
            } else {
                for (std::int32_t i = 0; i < std::min(n, dep_blocks); ++i) inbatch_keys_.push_back(s.keys[static_cast<std::size_t>(i)]);
            }
        }
        if (p == "lpm") {
            std::stable_sort(waiting_.begin(), waiting_.end(), [&](Slot a, Slot b) {
                const Seq& x = seq(a);
                const Seq& y = seq(b);
                const std::int64_t kx = x.deprioritized ? INT64_MAX : -static_cast<std::int64_t>(x.prefix_nodes);
                const std::int64_t ky = y.deprioritized ? INT64_MAX : -static_cast<std::int64_t>(y.prefix_nodes);
                return kx < ky;
            });
        } else {
            order_dfs_weight();
        }
    } else if (p == "lof") {
        std::stable_sort(waiting_.begin(), waiting_.end(),
                         [&](Slot a, Slot b) { return seq(a).target_output > seq(b).target_output; });
    } else if (p == "random") {
        for (std::size_t i = waiting_.size(); i > 1; --i)
            std::swap(waiting_[i - 1], waiting_[static_cast<std::size_t>(rng_.next_u64() % i)]);
    }
    // fcfs (and cache-aware policies without a radix cache): queue order.
}

// _sort_by_dfs_weight: weight of a node = waiting requests whose match ends in its subtree; a DFS from the
// root visits heavier children first and lists a node's own requests after its children's.
void SglangEngine::order_dfs_weight() {
    const auto cap = static_cast<std::size_t>(tree_.node_capacity());
    if (weight_.size() < cap) {
        weight_.assign(cap, 0);
        order_of_node_.assign(cap, -1);
    }
    touched_.clear();
    for (Slot w : waiting_)
        for (NodeId n = seq(w).match_node;; n = tree_.parent(n)) {
            if (weight_[static_cast<std::size_t>(n)]++ == 0) touched_.push_back(n);
            if (n == kv::RadixCache::kRoot) break;
        }
    // Iterative post-order DFS over weighted children.
    std::int32_t next_order = 0;
    std::vector<DfsFrame>& frames = frames_;
    frames.clear();
    kids_.clear();
    auto push_frame = [&](NodeId n) {
        const std::size_t begin = kids_.size();
        for (NodeId c = tree_.first_child(n); c != kv::RadixCache::kNone; c = tree_.next_sibling(c))
            if (weight_[static_cast<std::size_t>(c)] > 0) kids_.push_back(c);
        std::stable_sort(kids_.begin() + static_cast<std::ptrdiff_t>(begin), kids_.end(), [&](NodeId a, NodeId b) {
            return weight_[static_cast<std::size_t>(a)] > weight_[static_cast<std::size_t>(b)];
        });
        frames.push_back({n, begin, kids_.size(), begin});
    };
    push_frame(kv::RadixCache::kRoot);
    while (!frames.empty()) {
        DfsFrame& f = frames.back();
        if (f.pos < f.end) {
            const NodeId c = kids_[f.pos++];
            push_frame(c);
            continue;
        }
        order_of_node_[static_cast<std::size_t>(f.node)] = next_order++;
        kids_.resize(f.begin);
        frames.pop_back();
    }
    std::stable_sort(waiting_.begin(), waiting_.end(), [&](Slot a, Slot b) {
        return order_of_node_[static_cast<std::size_t>(seq(a).match_node)] <
               order_of_node_[static_cast<std::size_t>(seq(b).match_node)];
    });
    for (NodeId n : touched_) {
        weight_[static_cast<std::size_t>(n)] = 0;
        order_of_node_[static_cast<std::size_t>(n)] = -1;
    }
}

// get_new_batch_prefill with the PrefillAdder.
bool SglangEngine::schedule_prefill(TimeNs now) {
    const SglangOptions& so = opts_.sglang;
    if ((batch_is_full_ || waiting_.empty()) && chunked_ < 0) return false;
    const auto running_bs = static_cast<std::int32_t>(running_.size());
    if (running_bs >= so.max_running_requests && chunked_ < 0) {
        batch_is_full_ = true;
        return false;
    }
    if (!waiting_.empty()) order_waiting();

    const std::int64_t mixed = so.enable_mixed_chunk ? running_bs : 0;
    double total_offset = static_cast<double>(mixed);
    for (Slot r : running_) {
        const Seq& s = seq(r);
        total_offset += static_cast<double>(std::min<std::int64_t>(s.target_output - s.num_output, C::kClipMaxNewTokens)) *
                        new_token_ratio_;
    }
    std::int64_t cur_offset = mixed;
    std::int64_t rem_input = so.max_prefill_tokens - mixed;
    const bool chunking = so.chunked_prefill_size > 0;
    std::int64_t rem_chunk = chunking ? so.chunked_prefill_size - mixed : 0;
    auto rem_total = [&] { return static_cast<double>(available_and_evictable()) - total_offset; };
    auto update_budget = [&](std::int64_t extend, std::int64_t max_new) {
        total_offset += static_cast<double>(extend + max_new);
        cur_offset += extend;
        rem_input -= extend;
        if (chunking) rem_chunk -= extend;
    };
    auto budget_state = [&] {
        if (rem_total() <= 0 || available_and_evictable() - cur_offset <= 0) return AddResult::NoToken;
        if (rem_input <= 0 || (chunking && rem_chunk <= 0)) return AddResult::Other;
        return AddResult::Continue;
    };

    can_run_.clear();
    scheduled_.clear();
    Slot new_chunked = -1;
    if (chunked_ >= 0) {  // add_chunked_req
        Seq& s = seq(chunked_);
        std::int64_t extend = s.num_tokens() - s.num_computed;
        const std::int64_t room = std::min<std::int64_t>(rem_chunk, static_cast<std::int64_t>(rem_total()));
        const bool truncated = extend > room;
        extend = std::min(extend, room);
        if (truncated) extend = extend / page_ * page_;
        if (extend > 0) {
            can_run_.push_back(chunked_);
            scheduled_.push_back({chunked_, static_cast<std::int32_t>(extend), false});
            update_budget(extend, truncated ? 0 : clip_new(s));
            if (truncated) new_chunked = chunked_;
        } else {
            new_chunked = chunked_;  // nothing fits this step; it stays the chunked request
        }
    }
    for (Slot w : waiting_) {
        if (running_bs + static_cast<std::int32_t>(can_run_.size()) >= so.max_running_requests) {
            batch_is_full_ = true;
            break;
        }
        Seq& s = seq(w);
        match(s);
        const std::int64_t extend = s.num_tokens() - static_cast<std::int64_t>(s.prefix_nodes) * bs_;
        const std::int64_t total = extend + clip_new(s);
        const std::int64_t input_tokens = paged(extend);
        AddResult res;
        if (static_cast<double>(total) >= rem_total()) {
            res = AddResult::NoToken;
        } else if (input_tokens > rem_input && !can_run_.empty()) {
            res = AddResult::Other;
        } else {
            tree_.lock(s.match_node);  // the matched prefix cannot be evicted from here on
            if (static_cast<double>(total) >= rem_total()) {
                tree_.unlock(s.match_node);
                res = AddResult::NoToken;
            } else if (!chunking || input_tokens <= rem_chunk) {
                s.locked_node = s.match_node;
                can_run_.push_back(w);
                scheduled_.push_back({w, static_cast<std::int32_t>(extend), false});
                update_budget(input_tokens, clip_new(s));
                res = budget_state();
            } else {
                const std::int64_t trunc = rem_chunk / page_ * page_;
                if (trunc <= 0) {
                    tree_.unlock(s.match_node);
                    res = AddResult::Other;
                } else {
                    s.locked_node = s.match_node;
                    can_run_.push_back(w);
                    scheduled_.push_back({w, static_cast<std::int32_t>(trunc), false});
                    new_chunked = w;
                    update_budget(trunc, 0);
                    res = budget_state();
                }
            }
        }
        if (res != AddResult::Continue) {
            if (res == AddResult::NoToken) batch_is_full_ = true;
            break;
        }
    }
    chunked_ = new_chunked;
    if (can_run_.empty()) return false;

    // Remove the admitted from the waiting queue (order kept; they were admitted in queue order, after the
    // continuing chunked request, which was never waiting) and allocate their KV (prepare_for_extend).
    std::size_t next = (!can_run_.empty() && seq(can_run_[0]).num_computed > 0) ? 1 : 0;
    std::size_t out = 0;
    for (Slot w : waiting_) {
        if (next < can_run_.size() && can_run_[next] == w) {
            ++next;
            continue;
        }
        waiting_[out++] = w;
    }
    DYNOSIM_ASSERT(next == can_run_.size());
    waiting_.resize(out);

    auto& counters = rec_.counters();
    for (const Scheduled& sc : scheduled_) {
        Seq& s = seq(sc.slot);
        if (s.num_computed == 0) {  // newly admitted (or re-admitted after retraction)
            s.cached_nodes = s.prefix_nodes;
            s.num_computed = s.prefix_nodes * bs_;
            queued_prefill_tokens_ -= s.num_tokens();
            counters.prefix_query_tokens += static_cast<std::uint64_t>(s.num_tokens());
            counters.prefix_hit_tokens += static_cast<std::uint64_t>(s.num_computed);
            if (!s.admitted_once) {
                s.admitted_once = true;
                metrics::RequestRecord& rec = rec_.at(s.request);
                rec.cached_tokens = s.num_computed;
                rec.first_scheduled_ns = now;
            }
        }
        grow_private(s, s.num_computed + sc.num_new);
    }
    // mix_with_running: every running request decodes one token in the same pass, if the pool holds it.
    if (so.enable_mixed_chunk && !running_.empty()) {
        std::int64_t need = 0;
        for (Slot r : running_) {
            const Seq& s = seq(r);
            need += paged(s.num_computed + 1 - static_cast<std::int64_t>(s.cached_nodes) * bs_) - s.private_tokens;
        }
        if (make_free(need)) {
            for (Slot r : running_) {
                Seq& s = seq(r);
                grow_private(s, s.num_computed + 1);
                scheduled_.push_back({r, 1, true});
            }
        }
    }
    return true;
}

// retract_decode: victims are the requests with the fewest generated tokens (longest prompt first among
// equals), until the pool holds RETRACT_DECODE_STEPS tokens for each remaining request; their private KV
// is freed and their prefix stays in the tree, unlocked. new_token_ratio is re-estimated from the rest.
void SglangEngine::retract() {
    std::stable_sort(running_.begin(), running_.end(), [&](Slot a, Slot b) {
        const Seq& x = seq(a);
        const Seq& y = seq(b);
        if (x.num_output != y.num_output) return x.num_output > y.num_output;
        return x.prompt < y.prompt;  // descending on -prompt
    });
    bool first = true;
    while (first || !make_free(static_cast<std::int64_t>(running_.size()) * C::kRetractDecodeSteps)) {
        if (running_.size() == 1) break;
        first = false;
        const Slot v = running_.back();
        running_.pop_back();
        Seq& s = seq(v);
        release(s, false);
        ++rec_.at(s.request).preemptions;
        ++rec_.counters().preemptions;
        waiting_.push_back(v);
        queued_prefill_tokens_ += s.num_tokens();
    }
    double decoded = 0, max_new = 0;
    for (Slot r : running_) {
        decoded += seq(r).num_output;
        max_new += seq(r).target_output;
    }
    new_token_ratio_ = std::min(
        1.0, (decoded + static_cast<double>(C::kRetractDecodeSteps) * static_cast<double>(running_.size())) / (max_new + 1));
}

// update_running_batch: one token per running request; retract first when the pool cannot hold them.
void SglangEngine::schedule_decode() {
    std::int64_t need = 0;
    for (Slot r : running_) {
        const Seq& s = seq(r);
        need += paged(s.num_computed + 1 - static_cast<std::int64_t>(s.cached_nodes) * bs_) - s.private_tokens;
    }
    if (!make_free(need)) {
        retract();
    } else {
        new_token_ratio_ = std::max(new_token_ratio_ - decay_, min_ratio_);
    }
    scheduled_.clear();
    for (Slot r : running_) {
        Seq& s = seq(r);
        grow_private(s, s.num_computed + 1);
        scheduled_.push_back({r, 1, true});
    }
}

bool SglangEngine::schedule(timing::BatchShape& shape, TimeNs now) {
    shape.clear();
    scheduled_.clear();
    step_is_prefill_ = schedule_prefill(now);
    if (!step_is_prefill_) {
        if (running_.empty()) {
            new_token_ratio_ = init_ratio_;  // idle: self_check_during_idle resets the estimate
            return false;
        }
        schedule_decode();
    }
    for (const Scheduled& sc : scheduled_) {
        const Seq& s = seq(sc.slot);
        if (sc.decode) shape.decode_context.push_back(s.num_computed + 1);
        else shape.prefills.push_back({sc.num_new, s.num_computed, s.num_computed + sc.num_new == s.num_tokens()});
        rec_.counters().scheduled_tokens += static_cast<std::uint64_t>(sc.num_new);
    }
    ++rec_.counters().steps;
    return true;
}

void SglangEngine::complete_step(TimeNs now) {
    bool running_finished = false;
    const std::size_t old_running = running_.size();
    for (const Scheduled& sc : scheduled_) {
        Seq& s = seq(sc.slot);
        s.num_computed += sc.num_new;
        if (s.num_computed < s.num_tokens()) {  // a chunk short of the prompt's end
            cache_unfinished(s);
            continue;
        }
        ++s.num_output;
        if (sink_) {
            if (s.num_output == 1) sink_->first_token(worker_index_, s.request, now);
            if (s.num_output >= s.target_output) sink_->finished(worker_index_, s.request, now);
        }
        if (rec_.record_token(s.request, s.num_output, s.target_output, now, s.last_token_ns)) {
            release(s, true);
            s.num_computed = -1;  // removed below
            if (sc.decode) running_finished = true;
            free_slots_.push_back(sc.slot);
        } else if (!sc.decode) {
            cache_unfinished(s);       // process_batch_result_prefill caches the prompt
            running_.push_back(sc.slot);  // merged into the running batch
        }
    }
    if (chunked_ >= 0 && seq(chunked_).num_computed >= seq(chunked_).num_tokens()) chunked_ = -1;
    if (running_finished) {
        std::size_t out = 0;
        for (Slot r : running_)
            if (seq(r).num_computed >= 0) running_[out++] = r;
        running_.resize(out);
    }
    // update_running_batch: a batch that shrank (or emptied) may admit again.
    if (running_.size() < old_running || running_.empty()) batch_is_full_ = false;
    scheduled_.clear();
}

std::int64_t SglangEngine::run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                            TimeNs& busy_ns) {
    // schedule_prefill returns at once, changing nothing, exactly when this holds.
    if (running_.empty() || chunked_ >= 0 || !(batch_is_full_ || waiting_.empty())) return 0;
    const auto batch = static_cast<std::int64_t>(running_.size());
    std::int64_t left = INT64_MAX, context = 0, longest = 0, slack = 0;
    for (const Slot r : running_) {
        const Seq& s = seq(r);
        // A decode whose last token came at the end of the step just completed: its gaps are the steps'.
        if (s.num_output == 0 || s.num_computed + 1 != s.num_tokens() || s.last_token_ns != now) return 0;
        // Steps before its last token.
        left = std::min<std::int64_t>(left, s.target_output - s.num_output - 1);
        context += s.num_computed + 1;
        longest = std::max<std::int64_t>(longest, s.num_computed + 1);
        // Its private KV after k more steps, paged(c0 + k - tree tokens), has grown by at most
        // k + max(0, c0 - tree tokens + page - 1 - private now).
        slack += std::max<std::int64_t>(0, s.num_computed - static_cast<std::int64_t>(s.cached_nodes) * bs_ +
                                               page_ - 1 - s.private_tokens);
    }
    // No step retracts while the run's growth, at most batch x k + slack, fits what is free or evictable
    // now (a step's make_free evicts to cover it; eviction turns evictable tokens into free ones, and nothing
    // else touches the tree during the run). Evicting all at the run's end instead of a little each step
    // removes the same nodes: eviction always takes the least recently used evictable leaf, and a step's
    // evict stops as soon as its deficit is covered, so k steps evict what one call for their sum does.
    left = std::min(left, (free_tokens() + tree_.evictable_tokens() - slack) / batch);
    if (left <= 0) return 0;
    std::int64_t k = 0;
    TimeNs t = now, busy = 0;
    while (k < left) {
        const TimeNs dt = timing.decode_step_time(batch, context + batch * k, longest + k);
        if (dt < 0 || t + dt >= horizon) break;
        new_token_ratio_ = std::max(new_token_ratio_ - decay_, min_ratio_);
        t += dt;
        busy += dt;
        ++k;
        rec_.add_itls(dt, static_cast<std::uint64_t>(batch));
    }
    if (k == 0) return 0;
    step_is_prefill_ = false;
    count_decode_run(rec_, k, batch);
    for (const Slot r : running_) {
        Seq& s = seq(r);
        close_decode_run(s, k, t, rec_);
        grow_private(s, s.num_computed);  // what the run's grow_private calls added up to
    }
    now = t;
    busy_ns += busy;
    return k;
}

WorkerLoad SglangEngine::load() const {
    WorkerLoad l;
    l.running = static_cast<std::int32_t>(running_.size()) + (chunked_ >= 0 ? 1 : 0);
    l.waiting = static_cast<std::int32_t>(waiting_.size());
    const std::int64_t used = pool_tokens_ - free_tokens() - tree_.evictable_tokens();
    l.used_blocks = static_cast<std::int32_t>(used / bs_);
    l.total_blocks = static_cast<std::int32_t>(pool_tokens_ / bs_);
    l.queued_prefill_tokens = queued_prefill_tokens_;
    return l;
}

}  // namespace dynosim::sim::engine
