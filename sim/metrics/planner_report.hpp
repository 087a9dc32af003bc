// What the planner did over a run (summary.json "planner" and planner.csv; only when a planner is on):
// GPU-hours billed (every worker from its request to its end), replica counts over time, scaling events,
// and per interval what was observed, predicted and decided, with the interval's SLA attainment.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/time.hpp"

namespace dynosim::sim::metrics {

struct PlannerInterval {
    double t_s = 0;  // end of the interval (decision time)
    std::int64_t arrivals = 0;
    double mean_isl = 0, mean_osl = 0, mean_ttft_ms = 0, mean_itl_ms = 0;  // NaN when none
    double kv_usage = 0, queue_per_worker = 0;
    double predicted_rps = 0, capacity_rps = 0, ttft_correction = 1, itl_correction = 1;
    std::int32_t ready = 0, starting = 0, draining = 0, target = 0;
    std::int64_t finished = 0;     // requests finished in the interval
    double sla_attainment = 0;     // of those, the fraction within the planner's TTFT and ITL targets (NaN if none)
};

// A change of the fleet: the counts from `t_s` on.
struct ReplicaPoint {
    double t_s = 0;
    std::int32_t ready = 0, starting = 0, draining = 0;
};

// One worker's life, s (-1 = did not happen before the run ended).
struct WorkerLife {
    std::int32_t slot = 0;  // the engine's worker index (requests.csv "worker")
    double requested_s = 0, ready_s = -1, drain_s = -1, end_s = -1;
    bool cancelled = false;  // its start was cancelled before it became ready
};

struct PlannerReport {
    std::string kind;
    double interval_s = 0;
    std::int32_t gpus_per_worker = 1;
    double gpu_hours = 0;  // integral of provisioned GPUs (starting + ready + draining) over the run, / 3600
    std::int64_t decisions = 0, scale_up_events = 0, scale_down_events = 0;
    std::int64_t workers_requested = 0, workers_ready = 0, starts_cancelled = 0, workers_drained = 0;
    std::int64_t scale_ups_blocked = 0;  // workers wanted but every slot was busy (draining)
    double mean_cold_start_s = 0;        // of the started workers that became ready (not the initial ones)
    std::int32_t min_ready = 0, max_ready = 0, max_provisioned = 0;
    double mean_provisioned = 0;         // time-average of provisioned workers
    double sla_attainment_mean = 0;      // mean over intervals with finished requests (NaN if none)
    double sla_attainment_min = 0;
    std::vector<ReplicaPoint> timeline;
    std::vector<WorkerLife> workers;
    std::vector<PlannerInterval> intervals;
    // A disaggregated fleet's planner: each pool's own report, named by `pool` ("prefill", "decode"); this
    // report then holds only their sums (GPU-hours, events) and the decisions. Empty otherwise.
    std::string pool;
    std::vector<PlannerReport> pools;
};

// The report of a disaggregated fleet: the pools' reports under their names, GPU-hours and events summed.
PlannerReport combine_pool_reports(std::vector<PlannerReport> pools);

// The "planner" object of summary.json (stable key order, the timeline included).
std::string planner_report_json(const PlannerReport& r);
// planner.csv: one row per interval.
std::string planner_csv(const PlannerReport& r);

}  // namespace dynosim::sim::metrics
