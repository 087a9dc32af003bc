// The planner's options ([planner] in a scenario; docs/planner.md): which planner scales the aggregated
// fleet, how often, towards which latency targets, within which replica bounds and GPU budget, and how long
// a new worker takes to start. Defaults follow Dynamo's planner (components/src/dynamo/planner/defaults.py)
// where it has one; kind = "none" (the default) leaves the fleet static and every output unchanged.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dynosim::sim::fleet {

struct PlannerOptions {
    // "none" (static fleet of fleet.workers), "sla" (Dynamo's SLA planner: predicted load / profiled
    // per-worker capacity at the targets) or "load" (thresholds on queue depth and KV usage). Default none.
    std::string kind = "none";
    // Adjustment interval, s: one decision per interval. > 0. Dynamo default 180 (older docs 60).
    double interval_s = 180.0;
    // sla: predictor of the next interval's request count, ISL and OSL: "constant", "moving_average",
    // "holt" (linear trend) or "kalman" (local linear trend filter). Default kalman.
    std::string predictor = "kalman";
    // moving_average: intervals averaged. >= 1. Default 5.
    std::int32_t window = 5;
    // holt: level and trend smoothing factors, in (0, 1]. Defaults 0.5 and 0.3.
    double holt_alpha = 0.5;
    double holt_beta = 0.3;
    // kalman: process noise of level and trend, measurement noise (Dynamo defaults 1.0, 0.1, 10.0), in
    // the predicted quantity's own units squared. > 0.
    double kalman_q_level = 1.0;
    double kalman_q_trend = 0.1;
    double kalman_r = 10.0;
    // sla: latency targets, ms (mean TTFT and mean ITL over an interval; Dynamo defaults 500 and 50). > 0.
    double ttft_ms = 500.0;
    double itl_ms = 50.0;
    // sla: the per-worker profile `dynosim profile` wrote (relative to the config's folder). Required.
    std::string profile;
    // sla: scale the targets by observed / expected latency (Dynamo's correction factors). Default true.
    bool correction = true;
    // Replica bounds, workers (Dynamo min_endpoint = 1). 1 <= min <= max.
    std::int32_t min_replicas = 1;
    std::int32_t max_replicas = 8;
    // Disaggregated fleets (disagg.enabled): each pool's replica bounds, workers; 0 = min_replicas /
    // max_replicas. A pool starts with disagg.prefill.workers / disagg.decode.workers. 1 <= min <= max.
    std::int32_t prefill_min_replicas = 0;
    std::int32_t prefill_max_replicas = 0;
    std::int32_t decode_min_replicas = 0;
    std::int32_t decode_max_replicas = 0;
    // Most GPUs the target replica count may use (workers x hardware.tp); 0 = no budget beyond
    // max_replicas. Dynamo max_gpu_budget = 8. >= 0.
    std::int32_t gpu_budget = 0;
    // Workers ready at t = 0 (billed from 0); -1 = fleet.workers. Clamped into [min, max].
    std::int32_t initial_replicas = -1;
    // Cold start: time from requesting a worker (billing starts) to it taking requests (container start,
    // weight load, CUDA graph capture), s. >= 0. Default 60.
    double cold_start_s = 60.0;
    // How each start's delay is drawn: "fixed" (cold_start_s), "uniform" (cold_start_s x [1 - spread,
    // 1 + spread]), "lognormal" (median cold_start_s, sigma = spread) or "exponential" (mean cold_start_s).
    std::string cold_start_dist = "fixed";
    // uniform: relative half-width in [0, 1]; lognormal: sigma >= 0. Default 0.2.
    double cold_start_spread = 0.2;
    // load: metric sampling interval, s (Dynamo metric_pulling_interval 10). > 0, <= interval_s.
    double sample_interval_s = 10.0;
    // load: scale up when the interval's mean KV usage (used / total blocks of ready workers) exceeds
    // kv_up or its mean queue (waiting requests per ready worker) exceeds queue_up; down when KV usage is
    // below kv_down and the queue below queue_down (Dynamo 0.9 / 0.5 and 5.0 / 0.2). 0 <= down < up.
    double kv_up = 0.9;
    double kv_down = 0.5;
    double queue_up = 5.0;
    double queue_down = 0.2;
    // load: intervals after a scale-up during which no scale-down happens (Dynamo's
    // NEW_DECODE_WORKER_GRACE_PERIOD = 3). >= 0.
    std::int32_t grace_intervals = 3;

    bool enabled() const { return kind != "none"; }
    // "planner.key = value: rule" per broken rule.
    std::vector<std::string> validate() const;
};

}  // namespace dynosim::sim::fleet
