// SGLang's scheduler (python/sglang/srt/managers/scheduler.py, schedule_policy.py, schedule_batch.py) over a
// radix cache (kv/radix_cache.hpp) and a KV pool counted in tokens. Each step either runs a prefill batch,
// admitted by the PrefillAdder (remaining total tokens net of the running requests' future decode tokens
// estimated with new_token_ratio, max_prefill_tokens, chunked_prefill_size with one chunked request at a
// time, max_running_requests), or, when no prefill can be formed, a decode batch of every running request,
// retracting requests (fewest generated tokens first, longest prompt breaking ties) when the pool cannot
// hold one more token each. With mixed chunking the running requests decode inside the prefill batch.
// ../../docs/engine-sglang.md lists what is modelled.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/engine_options.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/kv/radix_cache.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::engine {

// SGLang constants (python/sglang/srt/environ.py, global_config.py, schedule_policy.py).
struct SglangConstants {
    static constexpr double kInitNewTokenRatio = 0.7;         // SGLANG_INIT_NEW_TOKEN_RATIO
    static constexpr double kMinNewTokenRatioFactor = 0.14;   // SGLANG_MIN_NEW_TOKEN_RATIO_FACTOR
    static constexpr double kNewTokenRatioDecaySteps = 600;   // SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS
    static constexpr std::int32_t kRetractDecodeSteps = 20;   // SGLANG_RETRACT_DECODE_STEPS
    static constexpr std::int32_t kClipMaxNewTokens = 4096;   // SGLANG_CLIP_MAX_NEW_TOKENS_ESTIMATION
    static constexpr std::size_t kLpmFallbackQueueLen = 128;  // lpm -> fcfs beyond this many waiting
    static constexpr std::int32_t kInBatchCheckTokens = 32;   // IN_BATCH_PREFIX_CACHING_CHECK_THRESHOLD
    static constexpr std::int32_t kInBatchDeprioritizeTokens = 32;  // ..._DEPRIORITIZE_THRESHOLD
};

class SglangEngine final : public Engine {
public:
    // `opts` must be resolved (sglang.chunked_prefill_size and sglang.max_running_requests not 0, and
    // max_model_len set). `pool_tokens`: KV tokens of the worker. `seed` drives the random policy.
    SglangEngine(const EngineOptions& opts, std::int64_t pool_tokens, std::int32_t worker_index,
                 const workload::Workload& wl, metrics::Recorder& rec, std::uint64_t seed);

    bool enqueue(std::uint64_t request, TimeNs now) override;
    bool schedule(timing::BatchShape& shape, TimeNs now) override;
    void complete_step(TimeNs now) override;
    // Runs while no prefill batch can be formed without looking (no chunked request; the waiting queue
    // empty or the batch full), every running request decodes and none reaches its last token, and the
    // pool holds the run's new tokens without evicting (update_running_batch would not retract); the
    // new_token_ratio decays once per step as in decode batches.
    std::int64_t run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                  TimeNs& busy_ns) override;
    WorkerLoad load() const override;
    std::uint64_t evictions() const override { return tree_.evicted_nodes(); }
    // Lifecycle only: the radix cache does not name the nodes it evicts, so no KV events (see docs/router.md).
    bool set_event_sink(EngineEventSink* sink) override {
        sink_ = sink;
        return false;
    }

    const kv::RadixCache& tree() const { return tree_; }
    double new_token_ratio() const { return new_token_ratio_; }
    std::int64_t free_tokens() const { return pool_tokens_ - tree_.total_tokens() - private_tokens_; }
    std::int64_t pool_tokens() const { return pool_tokens_; }
    // Kind of the step in flight, for tests: a prefill batch (possibly mixed) or a decode batch.
    bool last_step_was_prefill() const { return step_is_prefill_; }
    std::int32_t running() const { return static_cast<std::int32_t>(running_.size()); }

private:
    using Slot = std::int32_t;
    using NodeId = kv::RadixCache::NodeId;
    struct Seq {
        std::uint64_t request = 0;
        std::int32_t prompt = 0;
        std::int32_t target_output = 0;   // max_new_tokens
        std::int32_t num_output = 0;
        std::int32_t num_computed = 0;    // tokens with KV (tree prefix + private)
        std::int32_t cached_nodes = 0;    // leading blocks held through the tree (prefix_indices)
        std::int32_t private_tokens = 0;  // KV outside the tree, page-rounded
        std::int32_t prefix_nodes = 0;    // this round's match (init_next_round_input)
        NodeId match_node = kv::RadixCache::kRoot;
        NodeId locked_node = kv::RadixCache::kNone;
        bool deprioritized = false;
        bool admitted_once = false;
        TimeNs last_token_ns = 0;
        std::vector<std::uint64_t> keys;  // block keys of prompt + output
        std::int32_t num_tokens() const { return prompt + num_output; }
    };
    struct Scheduled {
        Slot slot;
        std::int32_t num_new;
        bool decode;
    };
    enum class AddResult { Continue, NoToken, Other };

    Seq& seq(Slot s) { return slots_[static_cast<std::size_t>(s)]; }
    const Seq& seq(Slot s) const { return slots_[static_cast<std::size_t>(s)]; }
    Slot new_slot(std::uint64_t request);
    std::int32_t paged(std::int64_t tokens) const {
        return static_cast<std::int32_t>((tokens + page_ - 1) / page_ * page_);
    }
    std::int64_t available_and_evictable() const { return free_tokens() + tree_.evictable_tokens(); }
    bool make_free(std::int64_t tokens);  // evicts the tree until `tokens` are free; false if impossible
    void ensure_keys(Seq& s);
    void match(Seq& s);
    void relock(Seq& s, NodeId node);
    void grow_private(Seq& s, std::int32_t computed_after);
    void cache_unfinished(Seq& s);
    void release(Seq& s, bool insert);
    void order_waiting();
    void order_dfs_weight();
    bool schedule_prefill(TimeNs now);
    void schedule_decode();
    void retract();
    std::int64_t clip_new(const Seq& s) const;

    EngineOptions opts_;
    std::int32_t bs_;    // radix node tokens (engine.block_size)
    std::int32_t page_;  // sglang.page_size
    std::int32_t worker_index_;
    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    std::int32_t group_blocks_;
    std::int64_t pool_tokens_;
    std::int64_t private_tokens_ = 0;  // sum over requests of private KV
    kv::RadixCache tree_;
    core::Rng rng_;
    EngineEventSink* sink_ = nullptr;

    double init_ratio_, min_ratio_, decay_;
    double new_token_ratio_;
    bool batch_is_full_ = false;
    bool step_is_prefill_ = false;

    std::vector<Seq> slots_;
    std::vector<Slot> free_slots_;
    std::vector<Slot> running_;   // the running (decode) batch
    std::vector<Slot> waiting_;   // waiting queue; policies reorder it in place
    std::vector<Slot> can_run_;   // the adder's list, reused
    Slot chunked_ = -1;           // the request being prefilled in chunks
    std::vector<Scheduled> scheduled_;
    std::int64_t queued_prefill_tokens_ = 0;
    // dfs-weight and in-batch prefix scratch, reused.
    std::vector<std::int32_t> weight_, order_of_node_;
    struct DfsFrame {
        NodeId node;
        std::size_t begin, end, pos;  // its weighted children, sorted, are kids_[begin, end)
    };
    std::vector<NodeId> touched_, kids_;
    std::vector<DfsFrame> frames_;
    std::vector<std::uint64_t> inbatch_keys_;
};

}  // namespace dynosim::sim::engine
