// The SLA planner over a disaggregated fleet's pools (planned_disagg.hpp), for run_disagg_scenario
// (scenario_disagg.cpp): the planner from the profile's prefill and decode sections, the pools' bounds, and
// the run's bill from the pools' worker lives.
#include <fmt/format.h>

#include "sim/fleet/disagg_planner.hpp"
#include "sim/fleet/planned_disagg.hpp"
#include "sim/fleet/planner_profile.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

fleet::PoolBounds planner_pool_bounds(const ScenarioOptions& o, bool prefill);  // scenario_planner_disagg_keys.cpp

std::unique_ptr<fleet::PlannedDisaggFleet> make_planned_disagg(const ScenarioOptions& o, const workload::Workload& wl,
                                                               fleet::DisaggFleet& fleet,
                                                               fleet::PlannedDisaggFleet::WorkerFactory make,
                                                               core::Simulation& sim) {
    fleet::PlannerOptions po = o.planner;
    po.profile = resolve_path(po.profile, o.base_dir).string();
    const fleet::ProfileSet profile = fleet::ProfileSet::load(po.profile);
    auto planner = std::make_unique<fleet::DisaggSlaPlanner>(po, planner_pool_bounds(o, true),
                                                             planner_pool_bounds(o, false), po.gpu_budget, profile,
                                                             po.profile);
    return std::make_unique<fleet::PlannedDisaggFleet>(wl, fleet, std::move(make), po, std::move(planner),
                                                       o.disagg.prefill.workers, o.disagg.decode.workers,
                                                       sim.rng().fork(0x706c616e6e6572ULL));
}

metrics::PlannerReport finish_planned_disagg(fleet::PlannedDisaggFleet& planned, core::TimeNs end,
                                             metrics::RunInfo& info) {
    metrics::PlannerReport r = planned.finish(end);
    // The fleet's size is what the pools held at most at once (each pool's peak), not their slots.
    info.num_workers = 0;
    info.total_gpus = 0;
    for (const auto& p : r.pools) {
        info.num_workers += p.max_provisioned;
        info.total_gpus += p.max_provisioned * p.gpus_per_worker;
    }
    return r;
}

void bill_planned_disagg(metrics::PlannerReport report, core::TimeNs busy_ns, metrics::Summary& summary) {
    // The bill is the integral of both pools' provisioned GPUs; utilisation is busy worker time over
    // provisioned worker time.
    double worker_s = 0;
    for (const auto& p : report.pools) worker_s += p.gpu_hours * 3600.0 / p.gpus_per_worker;
    summary.gpu_seconds = report.gpu_hours * 3600.0;
    summary.gpu_utilization = worker_s > 0 ? core::ns_to_seconds(busy_ns) / worker_s : 0.0;
    summary.planner = std::move(report);
}

}  // namespace dynosim::sim::scenario
