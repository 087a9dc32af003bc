// The aggregated fleet under a planner (planner.kind = sla | load; docs/planner.md). Workers live in a
// fixed set of slots (2 x the largest replica count, so drained workers can finish beside their
// replacements) and go through
//     requested -> starting (cold start; billed from the request) -> ready (routed to) -> draining (no new
//     requests; in-flight ones finish) -> gone,
// and a start still in progress can be cancelled. Each adjustment interval the planner (planner.hpp)
// turns what the fleet observed into a target count; the fleet requests new workers or cancels starts and
// drains ready workers (fewest requests in flight first) to meet it. A worker that starts in a slot is a
// fresh engine (empty cache); the KV router forgets the slot's old blocks. Routers see only ready workers.
// The fleet is also the engines' event sink (it forwards KV events and lifecycle to a KV router): it counts
// each worker's requests in flight and measures TTFT, ITL and OSL per interval without scanning requests.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/simulation.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/interval_sla.hpp"
#include "sim/fleet/planner.hpp"
#include "sim/fleet/router.hpp"
#include "sim/metrics/planner_report.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

class KvRouter;

class PlannedFleet final : public core::Actor, public engine::EngineEventSink, public engine::InputHorizon {
public:
    // Builds the worker for a slot (its engine's worker index is the slot).
    using WorkerFactory = std::function<std::unique_ptr<engine::Worker>(std::int32_t slot)>;
    enum class State : std::uint8_t { Off, Starting, Ready, Draining };
    // One worker's life; times in ns, -1 = did not happen (yet).
    struct Instance {
        std::int32_t slot = 0;
        core::TimeNs requested = 0, ready = -1, drain = -1, end = -1;
        bool cancelled = false;
        bool initial = false;  // ready at t = 0, no cold start
    };

    // `initial` workers are ready at t = 0. `coalesce`: workers coalesce steps up to this fleet's next
    // event (arrival, interval end, load sample). `until`: the run's time limit (kTimeMax = none).
    PlannedFleet(const workload::Workload& wl, metrics::Recorder& rec, std::vector<std::unique_ptr<Router>> routers,
                 WorkerFactory make, const PlannerOptions& o, std::unique_ptr<Planner> planner, std::int32_t initial,
                 std::int32_t gpus_per_worker, core::Rng rng, bool coalesce, core::TimeNs until);

    void attach(core::Simulation& sim);
    void on_event(const core::Event& ev, core::Simulation& sim) override;

    // engine::EngineEventSink (worker = slot).
    void kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;
    void finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;
    // engine::InputHorizon: nothing reaches or reads a worker before the fleet's next event.
    core::TimeNs next_input_ns() const override;

    std::size_t arrivals_so_far() const { return next_arrival_; }
    // Closes the bills of workers still provisioned at `end` and returns the report.
    metrics::PlannerReport finish(core::TimeNs end);

    std::int32_t slots() const { return static_cast<std::int32_t>(slots_.size()); }
    State state(std::int32_t slot) const { return slots_[static_cast<std::size_t>(slot)].state; }
    std::int32_t count(State s) const;
    std::int64_t in_flight(std::int32_t slot) const { return slots_[static_cast<std::size_t>(slot)].in_flight; }
    const std::vector<Instance>& instances() const { return instances_; }
    const std::vector<metrics::PlannerInterval>& intervals() const { return report_.intervals; }
    // The worker in a slot (Starting, Ready or Draining), or nullptr when the slot is Off.
    const engine::Worker* worker(std::int32_t slot) const { return slots_[static_cast<std::size_t>(slot)].worker.get(); }
    // Engines of every worker that ever ran (for the run's counters).
    template <class F>
    void for_each_worker(F f) const {
        for (const auto& w : retired_) f(*w);
        for (const auto& s : slots_)
            if (s.worker) f(*s.worker);
    }

private:
    struct Slot {
        std::unique_ptr<engine::Worker> worker;
        State state = State::Off;
        std::int64_t in_flight = 0;
        std::int32_t instance = -1;
        core::EventHandle ready_ev;
    };
    void route_arrivals(std::uint64_t idx, core::Simulation& sim);
    void tick(core::Simulation& sim);
    void sample();
    void apply(std::int32_t target, core::Simulation& sim);
    // cold = false: ready at once (the initial fleet), not billed a cold start.
    void start_worker(std::int32_t slot, core::Simulation& sim, bool cold);
    void became_ready(std::int32_t slot, core::TimeNs now);
    void drain(std::int32_t slot, core::TimeNs now);
    void gone(std::int32_t slot, core::TimeNs t);
    core::TimeNs draw_cold_start();
    bool more_to_do() const;

    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    std::vector<std::unique_ptr<Router>> routers_;
    KvRouter* kv_ = nullptr;
    WorkerFactory make_;
    PlannerOptions o_;
    std::unique_ptr<Planner> planner_;
    std::int32_t initial_;
    std::int32_t gpus_;
    core::Rng rng_;
    bool coalesce_;
    core::TimeNs until_;
    core::ActorId id_ = 0;
    core::TimeNs interval_ns_, sample_ns_;

    std::vector<Slot> slots_;
    std::vector<std::unique_ptr<engine::Worker>> retired_;  // kept alive: their last events may be queued
    std::vector<std::int32_t> ready_;                       // ready slots, ascending
    std::vector<std::uint8_t> eligible_;                    // per slot, 1 = ready (the KV router's mask)
    std::vector<engine::WorkerLoad> loads_;                 // per slot
    std::vector<engine::WorkerLoad> ready_loads_;           // scratch: loads of ready_ in order
    std::vector<std::int32_t> changed_;                     // slots whose load may have changed
    std::vector<Instance> instances_;
    std::size_t next_arrival_ = 0;
    core::TimeNs next_tick_ = core::kTimeMax, next_sample_ = core::kTimeMax;
    std::int64_t in_flight_total_ = 0;

    // This interval's measurements.
    std::int64_t arrivals_ = 0;
    double isl_sum_ = 0;
    IntervalSla sla_;
    double kv_sum_ = 0, queue_sum_ = 0;
    std::int64_t samples_ = 0;
    std::int32_t last_target_ = 0;
    metrics::PlannerReport report_;
};

// Closes the bills of a pool's worker lives at the run's `end` into `r`: GPU-hours (`gpus` per worker), the
// replica timeline, the worker lives and the averages (PlannedFleet::finish; the disaggregated planner's
// pools).
metrics::PlannerReport close_planner_report(metrics::PlannerReport r, const std::vector<PlannedFleet::Instance>& instances,
                                            std::int32_t gpus, core::TimeNs end);

}  // namespace dynosim::sim::fleet
