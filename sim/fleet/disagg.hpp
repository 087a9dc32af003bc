// Disaggregated prefill/decode serving (Dynamo; ../shared/docs/dynamo.md section (b); docs/disaggregation.md):
// a prefill pool and a decode pool of vLLM workers, each behind its own router, joined by KV transfers over
// modelled links. Two flows:
//   - prefill_first (Dynamo >= 0.4, the frontend's PrefillRouter): the prefill router picks a prefill worker,
//     which computes the prompt with max_tokens = 1; the decode router then picks a decode worker, which
//     reserves the prompt's blocks (retrying when full), receives the KV it does not cache, recomputes the
//     last prompt token and streams from the first output token on. With conditional prefill on, the decode
//     worker is picked first and prefills locally when ISL - its cached tokens <= bypass_below_tokens.
//   - decode_first (Dynamo <= 0.3): the decode router picks a decode worker, which prefills locally unless
//     the uncached prompt exceeds max_local_prefill_length AND the global prefill queue holds fewer than
//     max_prefill_queue_size requests; then it reserves the prompt's blocks and queues a remote prefill that
//     the next free prefill worker pulls (one at a time), and the KV is written back into those blocks.
// Links: each worker has one port (its GPUs' NICs or NVLinks, one per TP rank) per direction; a transfer
// holds the sender's egress and the receiver's ingress for bytes / bandwidth, FIFO in hand-off order, and
// ends one link latency later. Step coalescing is not used here (a transfer or reservation is an input to a
// decode worker that no horizon predicts), so every worker steps one event at a time.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/ring_deque.hpp"
#include "sim/core/simulation.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/router.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

struct DisaggPoolOptions {
    // Workers (engine instances) in the pool. >= 1.
    std::int32_t workers = 1;
    // Tensor-parallel GPUs per worker; 0 = hardware.tp. >= 0.
    std::int32_t tp = 0;
    // Per-pool engine overrides; 0 = engine.max_num_batched_tokens / engine.max_num_seqs.
    std::int32_t max_num_batched_tokens = 0;
    std::int32_t max_num_seqs = 0;
    // The pool's router policy (round_robin, random, least_loaded, kv); "" = router.policy. The KV router's
    // knobs come from [router] (the decode pool's overlap weight from disagg.decode_overlap_score_weight).
    std::string router;
};

struct DisaggLinkOptions {
    // Which link class carries the KV: "rdma" (between nodes, GPUDirect RDMA over the NICs) or "nvlink"
    // (prefill and decode GPUs in one NVLink domain).
    std::string kind = "rdma";
    // Per GPU and direction, GB/s (1e9 bytes/s). RDMA: one 400 Gb/s ConnectX-7 NIC per GPU as in DGX H100
    // = 50 GB/s (Dynamo's mocker assumes 64 GB/s, kv_transfer_bandwidth); NVLink 4 on H100: 900 GB/s
    // bidirectional = 450 GB/s per direction. > 0.
    double rdma_bandwidth_gbs = 50.0;
    double nvlink_bandwidth_gbs = 450.0;
    // Fixed cost of one transfer (NIXL descriptor post + completion notification), microseconds. Not
    // published by Dynamo; assumed. >= 0.
    double rdma_latency_us = 20.0;
    double nvlink_latency_us = 5.0;
};

struct DisaggOptions {
    // Serve with separate prefill and decode pools (vLLM engines only). Default false (aggregated).
    bool enabled = false;
    // "prefill_first" (Dynamo >= 0.4, default) or "decode_first" (Dynamo <= 0.3 with its prefill queue).
    std::string flow = "prefill_first";
    DisaggPoolOptions prefill, decode;
    // prefill_first: conditional prefill (conditional_prefill_enabled; Dynamo default false) and its token_cap
    // threshold (conditional_prefill_bypass_below_tokens; Dynamo default 5000): prefill on the decode worker
    // when ISL - its cached prompt tokens <= the threshold. lib/kv-router/src/scheduling/config.rs.
    bool conditional_prefill = false;
    std::int32_t bypass_below_tokens = 5000;
    // decode_first: remote prefill only when the uncached prompt > max_local_prefill_length (default 1000,
    // PyDisaggregatedRouter / DisaggRouterConf) and the prefill queue holds < max_prefill_queue_size
    // requests (default 2, PyDisaggregatedRouter).
    std::int32_t max_local_prefill_length = 1000;
    std::int32_t max_prefill_queue_size = 2;
    // The decode pool's KV-router overlap weight: Dynamo's decode router scores load only (0). >= 0.
    double decode_overlap_score_weight = 0.0;
    DisaggLinkOptions link;

    std::vector<std::string> validate() const;
};

// One transfer's duration on an idle link: latency + bytes / (per-GPU bandwidth x parallel rank pairs).
core::TimeNs transfer_duration_ns(std::int64_t bytes, double gbs_per_gpu, std::int32_t parallel_ranks,
                                  double latency_us);

// A planner's view of a disaggregated fleet (planned_disagg.hpp): what it measures per interval and when a
// draining worker has nothing left in flight.
class DisaggObserver {
public:
    virtual ~DisaggObserver() = default;
    virtual void on_first_token(std::uint64_t request, core::TimeNs now) = 0;
    virtual void on_finished(std::uint64_t request, core::TimeNs now) = 0;
    // A worker's requests in flight fell to 0 (prefill: its prompts are done; decode: its requests finished).
    virtual void on_idle(bool prefill, std::int32_t slot, core::TimeNs now) = 0;
};

class DisaggFleet final : public core::Actor, public engine::EngineEventSink {
public:
    struct Config {
        bool decode_first = false;
        bool conditional_prefill = false;
        std::int32_t bypass_below_tokens = 5000;
        std::int32_t max_local_prefill_length = 1000;
        std::int32_t max_prefill_queue_size = 2;
        std::int32_t block_size = 16;
        std::int64_t decode_block_bytes = 0;  // bytes of one KV block the decode worker receives (all ranks)
        double gbs_per_gpu = 50.0;
        double latency_us = 20.0;
        std::int32_t parallel_ranks = 1;      // min(prefill tp, decode tp): rank pairs moving shards at once
    };
    // Prefill workers carry global indices 0..P-1, decode workers P..P+D-1 (as in requests.csv). Routers:
    // replicas per pool (make_pool_routers); KV routers must be bound to their pool.
    DisaggFleet(const workload::Workload& wl, metrics::Recorder& rec, const Config& cfg,
                std::vector<std::unique_ptr<Router>> prefill_routers,
                std::vector<std::unique_ptr<engine::Worker>> prefill,
                std::vector<std::unique_ptr<Router>> decode_routers,
                std::vector<std::unique_ptr<engine::Worker>> decode);

    void attach(core::Simulation& sim);
    void on_event(const core::Event& ev, core::Simulation& sim) override;

    // engine::EngineEventSink: both pools' engines report here; KV events and lifecycle go on to the KV
    // router of the worker's pool.
    void kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;
    void finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;
    void prefill_done(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;

    // Planner: only slots with ready[slot] != 0 of each pool take new requests (the masks are read at every
    // choice, the caller updates them in place; sized as the pools). Call before attach.
    void set_planner(DisaggObserver* obs, std::span<const std::uint8_t> prefill_ready,
                     std::span<const std::uint8_t> decode_ready);
    // Planner: a fresh worker (empty cache) takes pool slot `slot`; the old one is kept alive (its last
    // events may be queued) and the pool's KV router forgets the slot. The slot must have nothing in flight.
    void replace_worker(bool prefill, std::int32_t slot, std::unique_ptr<engine::Worker> w);
    // Requests a worker holds: prefill, from its accepted submit to its prompt's end; decode, from its
    // reservation or local submit to its finish.
    std::int64_t in_flight(bool prefill, std::int32_t slot) const {
        return (prefill ? pflight_ : dflight_)[static_cast<std::size_t>(slot)];
    }
    // Engines of every worker that ever ran (for the run's counters).
    template <class F>
    void for_each_worker(F f) const {
        for (const auto& w : retired_) f(*w);
        for (const auto& w : prefill_) f(*w);
        for (const auto& w : decode_) f(*w);
    }

    std::span<const std::unique_ptr<engine::Worker>> prefill_workers() const { return prefill_; }
    std::span<const std::unique_ptr<engine::Worker>> decode_workers() const { return decode_; }
    std::size_t arrivals_so_far() const { return next_arrival_; }
    // Requests prefilled on their decode worker (conditional disaggregation / bypass) and sent over a link.
    std::uint64_t local_prefills() const { return local_prefills_; }
    std::uint64_t transfers() const { return transfers_; }
    // Reservations that found the decode worker full and waited.
    std::uint64_t reserve_waits() const { return reserve_waits_; }

private:
    struct ReqState {
        std::int32_t decode = -1;   // pool-local decode worker
        std::int32_t prefill = -1;  // pool-local prefill worker
        std::int32_t hit_blocks = 0;  // prompt blocks the decode worker already caches (not sent)
    };
    void route(std::uint64_t idx, core::TimeNs now);
    std::int32_t choose(bool prefill_pool, std::uint64_t idx, core::TimeNs now);
    void dropped(std::uint64_t idx);  // rejected somewhere: both routers drop their bookings
    void submit_local(std::int32_t d, std::uint64_t idx);
    void send_to_prefill(std::int32_t p, std::uint64_t idx);
    // Reserves decode memory for idx on d, or queues it there. Returns false when it must wait.
    bool reserve(std::int32_t d, std::uint64_t idx, core::TimeNs now);
    void reserved(std::uint64_t idx, core::TimeNs now);
    void start_transfer(std::uint64_t idx, core::TimeNs now);
    void dispatch_prefill_queue();
    void retry_reservations(std::int32_t d, core::TimeNs now);
    // Planner bookkeeping (no-ops on the counts' meaning for a static fleet).
    void leave(bool prefill, std::int32_t slot, core::TimeNs now);
    bool ready(bool prefill_pool, std::size_t slot) const {
        const auto& m = prefill_pool ? pready_ : dready_;
        return m.empty() || m[slot];
    }

    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    Config cfg_;
    std::vector<std::unique_ptr<Router>> prouters_, drouters_;
    class KvRouter* pkv_ = nullptr;
    class KvRouter* dkv_ = nullptr;
    std::vector<std::unique_ptr<engine::Worker>> prefill_, decode_;
    std::vector<engine::WorkerLoad> ploads_, dloads_;
    std::vector<ReqState> req_;
    std::vector<core::TimeNs> egress_free_, ingress_free_;  // per prefill / decode worker port
    std::vector<core::RingDeque<std::uint64_t>> reserve_wait_;  // per decode worker, FIFO
    std::vector<std::uint8_t> retry_scheduled_;
    core::RingDeque<std::uint64_t> prefill_queue_;  // decode_first: remote prefills not yet pulled
    std::vector<std::uint8_t> prefill_busy_;        // decode_first: a prefill worker holds one request
    DisaggObserver* obs_ = nullptr;
    std::span<const std::uint8_t> pready_, dready_;  // planner: per slot, 1 = ready (empty = all)
    std::vector<std::int64_t> pflight_, dflight_;     // per slot: requests in flight
    std::vector<std::unique_ptr<engine::Worker>> retired_;
    std::vector<engine::WorkerLoad> ready_loads_;     // scratch: loads of the ready slots
    std::vector<std::int32_t> ready_slots_;           // scratch: their slots
    core::Simulation* sim_ = nullptr;
    core::ActorId id_ = 0;
    std::size_t next_arrival_ = 0;
    std::uint64_t local_prefills_ = 0, transfers_ = 0, reserve_waits_ = 0;
};

// A pool's routers: as make_routers (kv_router.hpp), KV routers bound to the pool whose first worker has
// global index `first_worker`.
std::vector<std::unique_ptr<Router>> make_pool_routers(const RouterOptions& o, core::Rng rng,
                                                       const workload::Workload& wl, std::int32_t block_size,
                                                       std::int32_t workers, std::int32_t first_worker);

}  // namespace dynosim::sim::fleet
