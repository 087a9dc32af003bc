// A disaggregated fleet under the SLA planner (planner.kind = sla with disagg.enabled; docs/planner.md):
// the prefill and the decode pool each live in a fixed set of slots (2 x the pool's max replicas, so
// drained workers can finish beside their replacements) and go through the aggregated planner's lifecycle
// (planned_fleet.hpp): requested -> starting (cold start; billed from the request) -> ready (routed to) ->
// draining (no new requests; in-flight ones finish) -> gone, a start still in progress cancellable. Each
// adjustment interval DisaggSlaPlanner (disagg_planner.hpp) turns the interval's arrivals, ISL, OSL, TTFT
// and ITL into a prefill and a decode count, and each pool requests, cancels or drains workers to meet its
// own. A worker started in a slot is a fresh engine; the pool's routers see only its ready workers
// (DisaggFleet::set_planner). A prefill worker's requests are in flight until its prompts are done, a
// decode worker's until they finish.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/simulation.hpp"
#include "sim/fleet/disagg.hpp"
#include "sim/fleet/disagg_planner.hpp"
#include "sim/fleet/interval_sla.hpp"
#include "sim/fleet/planned_fleet.hpp"
#include "sim/metrics/planner_report.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

class PlannedDisaggFleet final : public core::Actor, public DisaggObserver {
public:
    using State = PlannedFleet::State;
    // Builds the worker for a pool's slot (a fresh engine in the slot's place).
    using WorkerFactory = std::function<std::unique_ptr<engine::Worker>(bool prefill, std::int32_t slot)>;

    // `fleet` holds pool_slots(bounds) workers per pool, not yet attached; the first `initial_*` of each
    // (clamped into the pool's bounds) are ready at t = 0.
    PlannedDisaggFleet(const workload::Workload& wl, DisaggFleet& fleet, WorkerFactory make, const PlannerOptions& o,
                       std::unique_ptr<DisaggSlaPlanner> planner, std::int32_t initial_prefill,
                       std::int32_t initial_decode, core::Rng rng);
    // Slots a pool needs for these bounds.
    static std::int32_t pool_slots(const PoolBounds& b) { return 2 * b.max_replicas; }

    // After fleet.attach(sim).
    void attach(core::Simulation& sim);
    void on_event(const core::Event& ev, core::Simulation& sim) override;

    // DisaggObserver.
    void on_first_token(std::uint64_t request, core::TimeNs now) override;
    void on_finished(std::uint64_t request, core::TimeNs now) override;
    void on_idle(bool prefill, std::int32_t slot, core::TimeNs now) override;

    // The pools' reports (bills closed at `end`) combined: "prefill" and "decode" under one planner report.
    metrics::PlannerReport finish(core::TimeNs end);

    std::int32_t count(bool prefill, State s) const;
    State state(bool prefill, std::int32_t slot) const { return pool(prefill).slots[static_cast<std::size_t>(slot)].state; }
    std::int32_t slots(bool prefill) const { return static_cast<std::int32_t>(pool(prefill).slots.size()); }
    const std::vector<PlannedFleet::Instance>& instances(bool prefill) const { return pool(prefill).instances; }
    const std::vector<metrics::PlannerInterval>& intervals(bool prefill) const { return pool(prefill).report.intervals; }

private:
    struct Slot {
        State state = State::Off;
        std::int32_t instance = -1;
        core::EventHandle ready_ev;
    };
    struct Pool {
        bool prefill = true;
        PoolBounds bounds;
        std::vector<Slot> slots;
        std::vector<std::uint8_t> ready;  // per slot, 1 = ready (DisaggFleet's mask)
        std::vector<PlannedFleet::Instance> instances;
        metrics::PlannerReport report;
    };
    Pool& pool(bool prefill) { return prefill ? pre_ : dec_; }
    const Pool& pool(bool prefill) const { return prefill ? pre_ : dec_; }
    void tick(core::Simulation& sim);
    void record(Pool& p, const IntervalObservation& r, const DisaggDecision& d, std::int32_t target, core::TimeNs now);
    void apply(Pool& p, std::int32_t target, core::Simulation& sim);
    void start_worker(Pool& p, std::int32_t slot, core::Simulation& sim, bool cold);
    void became_ready(Pool& p, std::int32_t slot, core::TimeNs now);
    void drain(Pool& p, std::int32_t slot, core::TimeNs now);
    void gone(Pool& p, std::int32_t slot, core::TimeNs t);
    core::TimeNs draw_cold_start();
    bool more_to_do() const;

    const workload::Workload& wl_;
    DisaggFleet& fleet_;
    WorkerFactory make_;
    PlannerOptions o_;
    std::unique_ptr<DisaggSlaPlanner> planner_;
    std::int32_t initial_p_, initial_d_;
    core::Rng rng_;
    core::ActorId id_ = 0;
    core::TimeNs interval_ns_;
    Pool pre_, dec_;

    // This interval's measurements.
    std::size_t seen_arrivals_ = 0;  // arrivals counted so far (the fleet routes them)
    IntervalSla sla_;
};

}  // namespace dynosim::sim::fleet
