// run_scenario for planner.kind != none: the aggregated fleet whose workers the planner adds and removes
// (sim/fleet/planned_fleet.hpp). Called by run_scenario once the model, engine options, KV blocks and the
// timing model are settled, so a worker started here is the worker a static fleet would have.
#include <chrono>

#include "sim/engine/sglang_engine.hpp"
#include "sim/engine/trtllm_engine.hpp"
#include "sim/engine/vllm_engine.hpp"
#include "sim/fleet/kv_router.hpp"
#include "sim/fleet/planned_fleet.hpp"
#include "sim/scenario/run_loop.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

Result run_planned_scenario(const ScenarioOptions& o, const engine::EngineOptions& eng, std::int64_t blocks,
                            std::int32_t kv_block, std::shared_ptr<timing::TimingModel> timing_model,
                            core::Simulation& sim, Result res, const ProgressFn& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    fleet::PlannerOptions po = o.planner;
    if (!po.profile.empty()) po.profile = resolve_path(po.profile, o.base_dir).string();
    std::unique_ptr<fleet::Planner> planner = fleet::make_planner(po, o.hardware.tp);
    const std::int32_t slots = 2 * planner->upper();

    const std::int64_t pool_tokens = (blocks - 1) * kv_block;
    workload::Workload& wl = *res.workload;
    metrics::Recorder& rec = *res.recorder;
    auto make_worker = [&, timing_model](std::int32_t i) -> std::unique_ptr<engine::Worker> {
        std::unique_ptr<engine::Engine> e;
        if (eng.backend == "sglang")
            e = std::make_unique<engine::SglangEngine>(
                eng, pool_tokens, i, wl, rec, sim.rng().fork(0x73676c616e67ULL + static_cast<std::uint64_t>(i)).next_u64());
        else if (eng.backend == "trtllm")
            e = std::make_unique<engine::TrtllmEngine>(eng, static_cast<std::int32_t>(blocks - 1), i, wl, rec);
        else
            e = std::make_unique<engine::VllmEngine>(eng, static_cast<std::int32_t>(blocks), i, wl, rec);
        return std::make_unique<engine::Worker>(i, std::move(e), timing_model, rec);
    };
    fleet::RouterOptions ropts = o.router;
    auto routers = fleet::make_routers(ropts, sim.rng().fork(0x726f75746572ULL), wl, kv_block, slots);
    const core::TimeNs until = o.sim.max_time_s > 0 ? core::seconds_to_ns(o.sim.max_time_s) : core::kTimeMax;
    const std::int32_t initial = po.initial_replicas > 0 ? po.initial_replicas : o.fleet.workers;
    fleet::PlannedFleet fleet(wl, rec, std::move(routers), make_worker, po, std::move(planner), initial, o.hardware.tp,
                              sim.rng().fork(0x706c616e6e6572ULL), eng.coalesce_steps, until);
    fleet.attach(sim);
    if (o.metrics.timeseries_interval_s > 0) {
        // The planner's fleet changes size: the load columns sum over the workers that take or finish
        // requests (ready and draining), and the replica columns count slots by state.
        res.timeseries = std::make_unique<metrics::TimeseriesSampler>(o.metrics.timeseries_interval_s);
        metrics::TimeseriesSampler& ts = *res.timeseries;
        using State = fleet::PlannedFleet::State;
        auto last = std::make_shared<std::uint64_t>(0);
        ts.add_column("arrival_rate_rps", [&fleet, last](core::TimeNs, double dt) {
            const std::uint64_t now = fleet.arrivals_so_far();
            const double rate = dt > 0 ? static_cast<double>(now - *last) / dt : 0.0;
            *last = now;
            return rate;
        });
        auto sum = [&fleet](auto field) {
            double v = 0;
            for (std::int32_t i = 0; i < fleet.slots(); ++i)
                if (fleet.state(i) == State::Ready || fleet.state(i) == State::Draining)
                    v += field(fleet.worker(i)->load());
            return v;
        };
        ts.add_column("queue_depth", [sum](core::TimeNs, double) {
            return sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.waiting); });
        });
        ts.add_column("running", [sum](core::TimeNs, double) {
            return sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.running); });
        });
        ts.add_column("kv_used_frac", [sum](core::TimeNs, double) {
            const double total = sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.total_blocks); });
            return total > 0 ? sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.used_blocks); }) / total
                             : 0.0;
        });
        ts.add_column("replicas", [&fleet](core::TimeNs, double) { return static_cast<double>(fleet.count(State::Ready)); });
        ts.add_column("starting_replicas",
                      [&fleet](core::TimeNs, double) { return static_cast<double>(fleet.count(State::Starting)); });
        ts.add_column("draining_replicas",
                      [&fleet](core::TimeNs, double) { return static_cast<double>(fleet.count(State::Draining)); });
    }
    run_until(sim, until, progress, fleet, wl.requests.size(), res.timeseries.get());

    fleet.for_each_worker([&](engine::Worker& w) { rec.counters().evictions += w.engine().evictions(); });
    metrics::PlannerReport report = fleet.finish(sim.now());
    metrics::RunInfo info;
    info.num_workers = report.max_provisioned;
    info.gpus_per_worker = o.hardware.tp;
    info.seed = static_cast<std::uint64_t>(o.sim.seed);
    info.end_ns = sim.now();
    info.run_to_completion = o.sim.max_time_s == 0;
    res.summary = metrics::summarize(rec, info, o.sla);
    // The fleet's GPUs changed over the run: its bill is the planner's integral, and utilisation is busy
    // worker time over provisioned worker time.
    res.summary.gpu_seconds = report.gpu_hours * 3600.0;
    res.summary.gpu_utilization =
        report.gpu_hours > 0 ? core::ns_to_seconds(rec.counters().busy_ns) / (report.gpu_hours * 3600.0 / o.hardware.tp)
                             : 0.0;
    res.summary.planner = std::move(report);
    res.stats.events = sim.events_delivered();
    res.stats.simulated_seconds = core::ns_to_seconds(sim.now());
    res.stats.kv_blocks_per_worker = blocks - 1;
    res.stats.max_num_batched_tokens = eng.max_num_batched_tokens;
    res.stats.max_num_seqs = eng.max_num_seqs;
    res.stats.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return res;
}

}  // namespace dynosim::sim::scenario
