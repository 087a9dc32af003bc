// Multi-step decoding (Engine::run_decode_steps). For the paged-block engines (vLLM, TensorRT-LLM): in a
// run of decode steps every request of the batch grows by one token a step, and its per-step allocate() call
// does something only every block_size tokens (a new block, a block to register under its hash). KvDueQueue
// says which requests have such a call due at which step of the run, in the order the scheduler visits
// them, so a run costs O(1) per step plus the allocations themselves. All three engines close a run with
// count_decode_run / close_decode_run.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/kv/kv_cache_manager.hpp"
#include "sim/metrics/recorder.hpp"

namespace dynosim::sim::engine {

class KvDueQueue {
  public:
    void clear() { heap_.clear(); }
    // Request at `pos` in the batch has allocate() work due at run step `step`.
    void push(std::int64_t step, std::int32_t pos) {
        heap_.push_back({step, pos});
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
    // Positions due at `step` (no earlier step may be left), ascending; removed from the queue.
    std::span<const std::int32_t> pop(std::int64_t step) {
        due_.clear();
        while (!heap_.empty() && heap_.front().step == step) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            due_.push_back(heap_.back().pos);
            heap_.pop_back();
        }
        return due_;
    }
    // The smallest token total after `total` at which KvCacheManager::allocate(seq, hashes, 0, t, t) has
    // work: a token beyond the blocks held, or (prefix caching) one more block full with a hash to register.
    // Never late; an early answer only costs a call that finds nothing to do.
    static std::int32_t next_total(const kv::SeqKv& seq, std::int32_t block_size, bool caching,
                                   std::size_t num_hashes, std::int32_t total) {
        std::int32_t t = static_cast<std::int32_t>(seq.blocks.size()) * block_size + 1;
        if (caching && static_cast<std::size_t>(seq.num_registered) < num_hashes)
            t = std::min(t, (seq.num_registered + 1) * block_size);
        return std::max(t, total + 1);
    }

  private:
    struct Due {
        std::int64_t step;
        std::int32_t pos;
    };
    static bool later(const Due& a, const Due& b) {
        return a.step != b.step ? a.step > b.step : a.pos > b.pos;
    }
    std::vector<Due> heap_;
    std::vector<std::int32_t> due_;
};

// New blocks the due requests' allocate() calls at run step `k` (0-based steps done) take from the pool: one
// for each whose token c0 + k + 1 lies past the blocks it holds. `seq_at(pos)` is the request at a position.
template <class SeqAt>
std::int32_t new_blocks_due(std::span<const std::int32_t> due, std::int64_t k, std::int32_t block_tokens,
                            SeqAt&& seq_at) {
    std::int32_t n = 0;
    for (const std::int32_t i : due) {
        const auto& s = seq_at(i);
        n += s.num_computed + k + 1 > static_cast<std::int64_t>(s.kv.blocks.size()) * block_tokens;
    }
    return n;
}

// The end of a run of `k` decode steps of `batch` requests at `t`: the step counters, and a request's counts
// and record as k single steps leave them (its ITLs were added step by step).
inline void count_decode_run(metrics::Recorder& rec, std::int64_t k, std::int64_t batch) {
    auto& counters = rec.counters();
    counters.steps += static_cast<std::uint64_t>(k);
    counters.scheduled_tokens += static_cast<std::uint64_t>(k * batch);
}
template <class Seq>
void close_decode_run(Seq& s, std::int64_t k, core::TimeNs t, metrics::Recorder& rec) {
    s.num_computed += static_cast<std::int32_t>(k);
    s.num_output += static_cast<std::int32_t>(k);
    s.last_token_ns = t;
    metrics::RequestRecord& r = rec.at(s.request);
    r.generated = s.num_output;
    r.last_token_ns = t;
}

}  // namespace dynosim::sim::engine
