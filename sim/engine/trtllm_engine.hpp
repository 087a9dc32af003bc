// TensorRT-LLM's in-flight batching (PyTorch executor; cpp/tensorrt_llm/batch_manager/capacityScheduler.cpp,
// microBatchScheduler.cpp): every iteration a capacity scheduler picks the requests that get KV this step
// (GUARANTEED_NO_EVICT: start a request only when blocks for its whole prompt + max_tokens are guaranteed
// after the remaining needs of the started ones; MAX_UTILIZATION: start what fits this step and pause the
// most recently started request when a started one cannot grow), then a micro-batch scheduler packs them
// into one forward pass within max_batch_size requests and max_num_tokens tokens (generation requests 1
// token each, context requests their prompt or, with chunked context, a chunk). KV blocks of
// tokens_per_block tokens are reused across requests by prefix (enable_block_reuse), evicted LRU.
// ../../docs/engine-trtllm.md lists what is modelled.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/engine/decode_run.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/engine_options.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/kv/kv_cache_manager.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::engine {

class TrtllmEngine final : public Engine {
public:
    // `opts` must be resolved (max_model_len set). `num_blocks`: KV blocks of trtllm.tokens_per_block tokens.
    TrtllmEngine(const EngineOptions& opts, std::int32_t num_blocks, std::int32_t worker_index,
                 const workload::Workload& wl, metrics::Recorder& rec);

    bool enqueue(std::uint64_t request, TimeNs now) override;
    bool schedule(timing::BatchShape& shape, TimeNs now) override;
    void complete_step(TimeNs now) override;
    // Runs while every active request has started (the capacity scheduler has no one to start) and decodes
    // within max_batch_size and max_num_tokens, none reaches its last token, and each step's new blocks are
    // free (MAX_UTILIZATION would pause a request; GUARANTEED_NO_EVICT reserved them anyway).
    std::int64_t run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                  TimeNs& busy_ns) override;
    WorkerLoad load() const override;
    std::uint64_t evictions() const override { return kv_.pool().stats().evictions; }
    bool set_event_sink(EngineEventSink* sink) override {
        pub_.set_sink(sink);
        return true;
    }

    const kv::KvCacheManager& kv() const { return kv_; }
    std::uint64_t pauses() const { return pauses_; }

private:
    using Slot = std::int32_t;
    struct Seq {
        std::uint64_t request = 0;
        std::int32_t prompt = 0;
        std::int32_t target_output = 0;
        std::int32_t num_output = 0;
        std::int32_t num_computed = 0;
        bool started = false;  // holds KV (context begun); false again when paused
        bool admitted_once = false;
        TimeNs last_token_ns = 0;
        kv::SeqKv kv;
        std::vector<std::uint64_t> hashes;
        std::int32_t num_tokens() const { return prompt + num_output; }
    };
    struct Scheduled {
        Slot slot;
        std::int32_t num_new;
    };

    Seq& seq(Slot s) { return slots_[static_cast<std::size_t>(s)]; }
    std::int32_t blocks_for(std::int64_t tokens) const {
        return static_cast<std::int32_t>((tokens + tpb_ - 1) / tpb_);
    }
    void ensure_hashes(Seq& s);
    // Blocks from the free pool a not-started request takes to hold `tokens` tokens (prefix hits on blocks
    // other requests hold cost nothing); `hits` gets its reusable prefix blocks.
    std::int32_t start_cost(Seq& s, std::int64_t tokens, std::int32_t& hits);
    void capacity_no_evict();
    void capacity_max_utilization();
    void pause(Slot victim);
    void micro_batch(TimeNs now);

    EngineOptions opts_;
    std::int32_t tpb_;
    std::int32_t worker_index_;
    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    std::int32_t group_blocks_;
    KvEventPublisher pub_;  // before kv_: the pool reports evictions to it
    kv::KvCacheManager kv_;
    // kv_.allocate, then publishes the blocks it registered.
    bool allocate(Seq& s, std::int32_t hits, std::int32_t total, std::int32_t computed) {
        const std::int32_t before = s.kv.num_registered;
        if (!kv_.allocate(s.kv, s.hashes, hits, total, computed)) return false;
        publish_registered(pub_, kv_, s.kv, s.hashes, before);
        return true;
    }
    bool max_utilization_;

    std::vector<Seq> slots_;
    std::vector<Slot> free_slots_;
    std::vector<Slot> active_;    // every request not finished, in arrival order (paused ones keep their place)
    std::vector<Slot> fitting_;   // capacity scheduler output, reused
    std::vector<std::int32_t> fit_need_;  // blocks reserved for each fitting request this step
    std::vector<Scheduled> scheduled_;
    std::vector<Slot> contexts_;  // context requests waiting for a chunk size, reused
    std::int64_t queued_prefill_tokens_ = 0;
    std::uint64_t pauses_ = 0;
    KvDueQueue kv_due_;         // run_decode_steps
    std::int32_t started_ = 0;  // requests in active_ holding KV
};

}  // namespace dynosim::sim::engine
