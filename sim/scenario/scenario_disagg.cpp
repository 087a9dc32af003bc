// run_scenario for disagg.enabled = true: a prefill pool and a decode pool of vLLM workers (fleet/disagg.hpp),
// each with its own TP, KV capacity, batch limits, timing model and router.
#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "sim/core/errors.hpp"
#include "sim/core/simulation.hpp"
#include "sim/engine/vllm_engine.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/disagg.hpp"
#include "sim/fleet/planned_disagg.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/memory.hpp"
#include "sim/hw/model.hpp"
#include "sim/scenario/scenario.hpp"

#include "sim/scenario/run_loop.hpp"
#include "sim/scenario/timeseries_columns.hpp"

namespace dynosim::sim::scenario {

// scenario_planner_disagg.cpp: the planner over the pools (planner.kind = sla).
fleet::PoolBounds planner_pool_bounds(const ScenarioOptions& o, bool prefill);
std::unique_ptr<fleet::PlannedDisaggFleet> make_planned_disagg(const ScenarioOptions& o, const workload::Workload& wl,
                                                               fleet::DisaggFleet& fleet,
                                                               fleet::PlannedDisaggFleet::WorkerFactory make,
                                                               core::Simulation& sim);
metrics::PlannerReport finish_planned_disagg(fleet::PlannedDisaggFleet& planned, core::TimeNs end,
                                             metrics::RunInfo& info);
void bill_planned_disagg(metrics::PlannerReport report, core::TimeNs busy_ns, metrics::Summary& summary);

namespace {

struct Pool {
    std::int32_t tp = 1;
    engine::EngineOptions eng;
    std::int64_t blocks = 0;  // per worker, including the null block
    std::shared_ptr<timing::TimingModel> timing;
    std::vector<std::unique_ptr<engine::Worker>> workers;
};

Pool make_pool(const ScenarioOptions& o, const fleet::DisaggPoolOptions& p, const char* name,
               const hw::ModelSpec& model, const hw::GpuSpec& gpu, const engine::EngineOptions& base,
               std::vector<std::string>& notes) {
    Pool pool;
    pool.tp = p.tp > 0 ? p.tp : o.hardware.tp;
    pool.eng = base;
    if (p.max_num_batched_tokens > 0) pool.eng.max_num_batched_tokens = p.max_num_batched_tokens;
    if (p.max_num_seqs > 0) pool.eng.max_num_seqs = p.max_num_seqs;
    if (!pool.eng.enable_chunked_prefill && pool.eng.max_num_batched_tokens < pool.eng.max_model_len)
        throw core::InputError(fmt::format(
            "disagg.{}.max_num_batched_tokens = {}: must be >= engine.max_model_len = {} when "
            "engine.enable_chunked_prefill = false",
            name, pool.eng.max_num_batched_tokens, pool.eng.max_model_len));

    timing::RooflineOptions roof = o.timing.roofline;
    roof.tp = pool.tp;
    roof.weight_dtype = o.timing.weight_dtype;
    roof.kv_dtype = o.timing.kv_dtype;
    timing::TableTimingOptions topts = o.timing.table;
    topts.tp = pool.tp;
    topts.weight_dtype = o.timing.weight_dtype;
    topts.kv_dtype = o.timing.kv_dtype;
    topts.backend = pool.eng.backend;
    if (pool.eng.backend == "vllm")  // vLLM's max_cudagraph_capture_size, as in scenario.cpp
        topts.cuda_graph_max_tokens =
            std::min({topts.cuda_graph_max_tokens, 2 * pool.eng.max_num_seqs, pool.eng.max_num_batched_tokens});
    if (o.timing.kind == "table") topts.data_dir = resolve_path(topts.data_dir, o.base_dir).string();
    std::vector<std::string> pool_notes;
    pool.timing = timing::make_timing_model(o.timing.kind, model, gpu, topts, roof, &pool_notes);
    for (auto& n : pool_notes) notes.push_back(fmt::format("{} pool: {}", name, n));

    pool.blocks = pool.eng.num_gpu_blocks_override;
    if (pool.blocks == 0) {
        hw::MemoryInputs mi;
        mi.tp = pool.tp;
        mi.gpu_memory_utilization = pool.eng.gpu_memory_utilization;
        mi.weight_dtype_bytes = o.timing.weight_dtype == "fp8" ? 1 : 2;
        mi.kv_dtype_bytes = o.timing.kv_dtype == "fp8" ? 1 : 2;
        mi.block_size = pool.eng.block_size;
        mi.max_num_batched_tokens = pool.eng.max_num_batched_tokens;
        mi.max_num_seqs = pool.eng.max_num_seqs;
        pool.blocks = hw::plan_memory(model, gpu, mi).num_blocks + 1;
    }
    if (pool.blocks > INT32_MAX) pool.blocks = INT32_MAX;
    if (pool.blocks < 2)
        throw core::InputError(fmt::format("disagg.{}.tp = {}: no KV blocks left for {} on {}", name, pool.tp,
                                           model.name, gpu.name));
    return pool;
}

}  // namespace

// Called by run_scenario (scenario.cpp) when o.disagg.enabled; `eng` is resolved for the GPU and model.
Result run_disagg_scenario(const ScenarioOptions& o, const hw::ModelSpec& model, const hw::GpuSpec& gpu,
                           const engine::EngineOptions& eng, std::optional<workload::Workload> given,
                           const ProgressFn& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    const fleet::DisaggOptions& d = o.disagg;
    if (eng.backend != "vllm")
        throw core::InputError(fmt::format(
            "engine.backend = {}: disaggregated serving (disagg.enabled = true) is modelled for vllm only",
            eng.backend));
    Result res;
    std::vector<std::string> notes;
    Pool pre = make_pool(o, d.prefill, "prefill", model, gpu, eng, notes);
    Pool dec = make_pool(o, d.decode, "decode", model, gpu, eng, notes);
    res.stats.timing_notes = std::move(notes);

    if (given) {
        res.workload = std::make_unique<workload::Workload>(std::move(*given));
    } else {
        workload::WorkloadOptions wopts = o.workload;
        if (!wopts.path.empty()) wopts.path = resolve_path(wopts.path, o.base_dir).string();
        res.workload = std::make_unique<workload::Workload>(
            workload::build_workload(wopts, static_cast<std::uint64_t>(o.sim.seed)));
    }
    res.recorder = std::make_unique<metrics::Recorder>(*res.workload, o.metrics);
    core::Simulation sim(static_cast<std::uint64_t>(o.sim.seed));

    // Under a planner each pool has a slot per worker it may ever hold at once (planned_disagg.hpp).
    const bool planned = o.planner.enabled();
    const std::int32_t np = planned ? fleet::PlannedDisaggFleet::pool_slots(planner_pool_bounds(o, true))
                                    : d.prefill.workers;
    const std::int32_t nd = planned ? fleet::PlannedDisaggFleet::pool_slots(planner_pool_bounds(o, false))
                                    : d.decode.workers;
    auto make_worker = [&](bool prefill, std::int32_t slot) {
        const Pool& p = prefill ? pre : dec;
        const std::int32_t i = prefill ? slot : np + slot;
        return std::make_unique<engine::Worker>(
            i, std::make_unique<engine::VllmEngine>(p.eng, static_cast<std::int32_t>(p.blocks), i, *res.workload,
                                                    *res.recorder),
            p.timing, *res.recorder);
    };
    for (std::int32_t i = 0; i < np; ++i) pre.workers.push_back(make_worker(true, i));
    for (std::int32_t i = 0; i < nd; ++i) dec.workers.push_back(make_worker(false, i));

    fleet::RouterOptions pr = o.router, dr = o.router;
    if (!pr.plugin.empty()) pr.plugin = dr.plugin = resolve_path(pr.plugin, o.base_dir).string();
    if (!d.prefill.router.empty()) pr.policy = d.prefill.router;
    if (!d.decode.router.empty()) dr.policy = d.decode.router;
    dr.overlap_score_weight = d.decode_overlap_score_weight;
    auto prouters = fleet::make_pool_routers(pr, sim.rng().fork(0x726f75746572ULL), *res.workload, eng.block_size,
                                             np, 0);
    auto drouters = fleet::make_pool_routers(dr, sim.rng().fork(0x6465636f6465ULL), *res.workload, eng.block_size,
                                             nd, np);

    fleet::DisaggFleet::Config cfg;
    cfg.decode_first = d.flow == "decode_first";
    cfg.conditional_prefill = d.conditional_prefill;
    cfg.bypass_below_tokens = d.bypass_below_tokens;
    cfg.max_local_prefill_length = d.max_local_prefill_length;
    cfg.max_prefill_queue_size = d.max_prefill_queue_size;
    cfg.block_size = eng.block_size;
    const double kv_dtype_bytes = o.timing.kv_dtype == "fp8" ? 1 : 2;
    // What the decode side receives: each of its ranks gets its KV heads of every block (heads replicated
    // when the model has fewer KV heads than ranks), whatever the prefill side's TP.
    cfg.decode_block_bytes = static_cast<std::int64_t>(
        hw::kv_block_bytes_per_gpu(model, dec.tp, eng.block_size, kv_dtype_bytes) * dec.tp);
    const bool nvlink = d.link.kind == "nvlink";
    cfg.gbs_per_gpu = nvlink ? d.link.nvlink_bandwidth_gbs : d.link.rdma_bandwidth_gbs;
    cfg.latency_us = nvlink ? d.link.nvlink_latency_us : d.link.rdma_latency_us;
    cfg.parallel_ranks = std::min(pre.tp, dec.tp);

    fleet::DisaggFleet fleet(*res.workload, *res.recorder, cfg, std::move(prouters), std::move(pre.workers),
                             std::move(drouters), std::move(dec.workers));
    std::unique_ptr<fleet::PlannedDisaggFleet> planner;
    if (planned) planner = make_planned_disagg(o, *res.workload, fleet, make_worker, sim);
    fleet.attach(sim);
    if (planner) planner->attach(sim);
    // No step coalescing (fleet/disagg.hpp): workers step one event at a time whatever engine.coalesce_steps.
    const core::TimeNs until = o.sim.max_time_s > 0 ? core::seconds_to_ns(o.sim.max_time_s) : core::kTimeMax;
    if (o.metrics.timeseries_interval_s > 0) {
        res.timeseries = std::make_unique<metrics::TimeseriesSampler>(o.metrics.timeseries_interval_s);
        add_standard_columns(*res.timeseries, {fleet.prefill_workers(), fleet.decode_workers()},
                             [&fleet] { return fleet.arrivals_so_far(); });
    }
    run_until(sim, until, progress, fleet, res.workload->requests.size(), res.timeseries.get());

    fleet.for_each_worker([&](engine::Worker& w) { res.recorder->counters().evictions += w.engine().evictions(); });
    metrics::RunInfo info;
    info.num_workers = np + nd;
    info.gpus_per_worker = o.hardware.tp;
    info.total_gpus = np * pre.tp + nd * dec.tp;
    info.disaggregated = true;
    info.seed = static_cast<std::uint64_t>(o.sim.seed);
    info.end_ns = sim.now();
    info.run_to_completion = o.sim.max_time_s == 0;
    std::optional<metrics::PlannerReport> report;
    if (planner) report = finish_planned_disagg(*planner, sim.now(), info);
    res.summary = metrics::summarize(*res.recorder, info, o.sla);
    if (report) bill_planned_disagg(std::move(*report), res.recorder->counters().busy_ns, res.summary);
    res.stats.events = sim.events_delivered();
    res.stats.simulated_seconds = core::ns_to_seconds(sim.now());
    res.stats.kv_blocks_per_worker = dec.blocks - 1;
    res.stats.max_num_batched_tokens = dec.eng.max_num_batched_tokens;
    res.stats.max_num_seqs = dec.eng.max_num_seqs;
    res.stats.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return res;
}

}  // namespace dynosim::sim::scenario
