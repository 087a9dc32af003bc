// The vLLM V1 scheduler and KV cache manager (vllm/v1/core/sched/scheduler.py, kv_cache_manager.py):
// one token budget per step shared by running requests first, then waiting ones FCFS; chunked prefill;
// paged blocks with chained-hash prefix caching; preemption by recompute of the most recently admitted
// running request when a block cannot be had.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/ring_deque.hpp"
#include "sim/engine/decode_run.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/engine_options.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/engine/kvbm_tap.hpp"
#include "sim/kv/kvbm.hpp"
#include "sim/kv/kv_cache_manager.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::engine {

class VllmEngine final : public Engine {
public:
    // `opts` must be resolved (no auto zeros left). `num_blocks` includes the null block. `kvbm`: the
    // worker's KVBM tiers below G1 (null = none).
    VllmEngine(const EngineOptions& opts, std::int32_t num_blocks, std::int32_t worker_index,
               const workload::Workload& wl, metrics::Recorder& rec, std::unique_ptr<kv::Kvbm> kvbm = nullptr);

    bool enqueue(std::uint64_t request, TimeNs now) override;
    bool schedule(timing::BatchShape& shape, TimeNs now) override;
    void complete_step(TimeNs now) override;
    // Runs while the waiting queue is empty (or the batch at max_num_seqs), every running request decodes
    // within the token budget and none reaches its last token; stops before a step whose new blocks the
    // pool could not supply (schedule_running would preempt). Not with KVBM or in the prefill role.
    std::int64_t run_decode_steps(TimeNs& now, TimeNs horizon, timing::TimingModel& timing,
                                  TimeNs& busy_ns) override;
    WorkerLoad load() const override;
    std::uint64_t evictions() const override { return kv_.pool().stats().evictions; }
    bool set_event_sink(EngineEventSink* sink) override {
        pub_.set_sink(sink);
        if (kvbm_) kvbm_->set_record_events(sink != nullptr);
        return true;
    }
    bool supports_role(EngineRole) const override { return true; }
    void set_role(EngineRole r) override { role_ = r; }
    std::int32_t cached_prefix_tokens(std::uint64_t request) override;
    std::int32_t reserve_transfer(std::uint64_t request, TimeNs now) override;
    void transfer_done(std::uint64_t request, TimeNs now) override;

    TimeNs next_wakeup_ns() const override;
    const kv::Kvbm* kvbm() const override { return kvbm_.get(); }
    const kv::KvCacheManager& kv() const { return kv_; }

private:
    using Slot = std::int32_t;
    struct Seq {
        std::uint64_t request = 0;
        std::int32_t prompt = 0;
        std::int32_t target_output = 0;
        std::int32_t num_output = 0;    // tokens sampled so far
        std::int32_t num_computed = 0;  // tokens whose KV is computed
        bool admitted_once = false;
        bool transferred = false;  // decode role: prompt KV arrived from a prefill worker, not yet admitted
        bool onboarded = false;    // KVBM: its prefix was onboarded, its admission already counted
        TimeNs last_token_ns = 0;
        TimeNs enqueued_ns = 0;  // when it entered the waiting queue (async scheduling's cut-off)
        kv::SeqKv kv;
        std::vector<std::uint64_t> hashes;  // engine-block hashes of prompt + output
        std::int32_t num_tokens() const { return prompt + num_output; }
    };
    struct Scheduled {
        Slot slot;
        std::int32_t num_new;
    };

    Slot new_slot(std::uint64_t request);
    void release_slot(Slot s);
    bool try_allocate(Seq& s, std::int32_t hit_blocks, std::int32_t num_new);
    void preempt(Slot victim, std::int32_t& budget);
    bool schedule_running(std::int32_t& budget);
    void schedule_waiting(std::int32_t& budget, TimeNs now, TimeNs visible_until);
    // KVBM: blocks of `s` registered in G1 since `before` are noted (and queued for offload).
    void note_registered(const Seq& s, std::int32_t before);
    void finish_onboards(TimeNs now);
    // The step's KV events, G1's then the KVBM tiers', go to the sink.
    void flush_events(TimeNs now);

    EngineOptions opts_;
    std::int32_t worker_index_;
    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    std::int32_t group_blocks_;  // positions per prefix-key group (see kv/block_key.hpp)
    KvEventPublisher pub_;       // before kv_: the pool reports evictions to it
    std::unique_ptr<kv::Kvbm> kvbm_;  // before kv_: the pool's policy may offload to it
    KvbmTap* tap_ = nullptr;          // in the pool's policy chain when kvbm_ is set
    kv::KvCacheManager kv_;
    struct Onboarding {
        Slot slot;
        TimeNs done_ns;
        std::int32_t blocks;  // G1 hits + onboarded: the leading blocks ready when done
    };
    std::vector<Onboarding> onboarding_;       // waiting for their lower-tier blocks (vLLM WAITING_FOR_REMOTE_KVS)
    std::vector<std::uint64_t> offload_keys_;  // register trigger: blocks computed by the step in flight
    EngineRole role_ = EngineRole::Aggregated;
    struct InTransfer {
        std::uint64_t request;
        Slot slot;
    };
    std::vector<InTransfer> in_transfer_;  // decode role: KV reserved, transfer under way
    std::vector<std::uint64_t> scratch_keys_;
    KvDueQueue kv_due_;  // run_decode_steps

    std::vector<Seq> slots_;
    std::vector<Slot> free_slots_;
    std::vector<Slot> running_;          // admission order; preemption takes the back
    core::RingDeque<Slot> waiting_;      // FCFS; preempted requests return to the front
    std::vector<Scheduled> scheduled_;   // the batch of the step in flight
    std::int64_t queued_prefill_tokens_ = 0;
    // Async scheduling: start of the step in flight and end of the last completed one (-1 = none yet).
    TimeNs last_start_ns_ = -1, last_end_ns_ = -1;
};

}  // namespace dynosim::sim::engine
