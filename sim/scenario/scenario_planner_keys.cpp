// The [planner] keys (docs/planner.md) and the planner's checks against the rest of the scenario.
#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_planner_disagg_bindings(std::vector<Binding<Opts>>& b);  // scenario_planner_disagg_keys.cpp
std::vector<std::string> planner_disagg_problems(const Opts& o);  // scenario_planner_disagg_keys.cpp

void add_planner_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>("planner.kind", [](Opts& o) -> auto& { return o.planner.kind; },
        "autoscaling of the fleet: none (static fleet.workers), sla (Dynamo's SLA planner: predicted load / profiled per-worker capacity at the targets) or load (queue depth and KV usage thresholds); a disaggregated fleet (disagg.enabled): sla, per pool"));
    b.push_back(bind_key<Opts, double>("planner.interval_s", [](Opts& o) -> auto& { return o.planner.interval_s; },
        "adjustment interval, s: one scaling decision per interval (> 0; Dynamo default 180)"));
    b.push_back(bind_key<Opts, std::string>("planner.predictor", [](Opts& o) -> auto& { return o.planner.predictor; },
        "sla: next-interval load predictor: constant, moving_average, holt (linear trend) or kalman (local linear trend filter)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.window", [](Opts& o) -> auto& { return o.planner.window; },
        "moving_average: intervals averaged (>= 1)"));
    b.push_back(bind_key<Opts, double>("planner.holt_alpha", [](Opts& o) -> auto& { return o.planner.holt_alpha; },
        "holt: level smoothing factor, (0, 1]"));
    b.push_back(bind_key<Opts, double>("planner.holt_beta", [](Opts& o) -> auto& { return o.planner.holt_beta; },
        "holt: trend smoothing factor, (0, 1]"));
    b.push_back(bind_key<Opts, double>("planner.kalman_q_level", [](Opts& o) -> auto& { return o.planner.kalman_q_level; },
        "kalman: process noise of the level (> 0; Dynamo 1.0)"));
    b.push_back(bind_key<Opts, double>("planner.kalman_q_trend", [](Opts& o) -> auto& { return o.planner.kalman_q_trend; },
        "kalman: process noise of the trend (> 0; Dynamo 0.1)"));
    b.push_back(bind_key<Opts, double>("planner.kalman_r", [](Opts& o) -> auto& { return o.planner.kalman_r; },
        "kalman: measurement noise (> 0; Dynamo 10)"));
    b.push_back(bind_key<Opts, double>("planner.ttft_ms", [](Opts& o) -> auto& { return o.planner.ttft_ms; },
        "sla: target mean time to first token per interval, ms (> 0; Dynamo 500); also the per-interval SLA attainment bound"));
    b.push_back(bind_key<Opts, double>("planner.itl_ms", [](Opts& o) -> auto& { return o.planner.itl_ms; },
        "sla: target mean inter-token latency per interval, ms (> 0; Dynamo 50); also the per-interval SLA attainment bound"));
    b.push_back(bind_key<Opts, std::string>("planner.profile", [](Opts& o) -> auto& { return o.planner.profile; },
        "sla: per-worker profile written by `dynosim profile` (relative to the config file; 'data:' = shared data folder)"));
    b.push_back(bind_key<Opts, bool>("planner.correction", [](Opts& o) -> auto& { return o.planner.correction; },
        "sla: scale the targets by observed / expected latency (Dynamo's correction factors, bounded to [1/4, 4])"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.min_replicas", [](Opts& o) -> auto& { return o.planner.min_replicas; },
        "fewest workers (>= 1; Dynamo min_endpoint 1)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.max_replicas", [](Opts& o) -> auto& { return o.planner.max_replicas; },
        "most workers wanted at once (>= planner.min_replicas)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.gpu_budget", [](Opts& o) -> auto& { return o.planner.gpu_budget; },
        "most GPUs the wanted workers may use (workers x hardware.tp; 0 = only planner.max_replicas bounds)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.initial_replicas", [](Opts& o) -> auto& { return o.planner.initial_replicas; },
        "workers ready at t = 0 (-1 = fleet.workers), clamped into the bounds"));
    b.push_back(bind_key<Opts, double>("planner.cold_start_s", [](Opts& o) -> auto& { return o.planner.cold_start_s; },
        "time from requesting a worker (billing starts) to it taking requests, s (>= 0)"));
    b.push_back(bind_key<Opts, std::string>("planner.cold_start_dist", [](Opts& o) -> auto& { return o.planner.cold_start_dist; },
        "cold start per worker: fixed, uniform (x [1 - spread, 1 + spread]), lognormal (median cold_start_s, sigma spread) or exponential (mean cold_start_s)"));
    b.push_back(bind_key<Opts, double>("planner.cold_start_spread", [](Opts& o) -> auto& { return o.planner.cold_start_spread; },
        "uniform: relative half-width in [0, 1]; lognormal: sigma (>= 0)"));
    b.push_back(bind_key<Opts, double>("planner.sample_interval_s", [](Opts& o) -> auto& { return o.planner.sample_interval_s; },
        "load: how often queue depth and KV usage are sampled, s (> 0, <= interval_s; Dynamo 10)"));
    b.push_back(bind_key<Opts, double>("planner.kv_up", [](Opts& o) -> auto& { return o.planner.kv_up; },
        "load: add a worker when the interval's mean KV usage of ready workers exceeds this (Dynamo 0.9)"));
    b.push_back(bind_key<Opts, double>("planner.kv_down", [](Opts& o) -> auto& { return o.planner.kv_down; },
        "load: remove one when KV usage is below this and the queue below queue_down (Dynamo 0.5; < kv_up)"));
    b.push_back(bind_key<Opts, double>("planner.queue_up", [](Opts& o) -> auto& { return o.planner.queue_up; },
        "load: add a worker when the mean waiting requests per ready worker exceed this (Dynamo 5.0)"));
    b.push_back(bind_key<Opts, double>("planner.queue_down", [](Opts& o) -> auto& { return o.planner.queue_down; },
        "load: queue threshold for removing one (Dynamo 0.2; < queue_up)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.grace_intervals", [](Opts& o) -> auto& { return o.planner.grace_intervals; },
        "load: intervals after a scale-up without scale-down (>= 0; Dynamo 3)"));
    // clang-format on
    add_planner_disagg_bindings(b);
}

std::vector<std::string> planner_problems(const Opts& o) {
    std::vector<std::string> out = o.planner.validate();
    for (auto& p : planner_disagg_problems(o)) out.push_back(std::move(p));
    if (!o.planner.enabled()) return out;
    if (o.router.policy == "plugin")
        out.push_back(fmt::format("planner.kind = {}: router.policy = plugin cannot follow a changing set of "
                                  "workers; use a built-in router",
                                  o.planner.kind));
    if (!o.disagg.enabled && o.planner.gpu_budget > 0 && o.planner.gpu_budget < o.planner.min_replicas * o.hardware.tp)
        out.push_back(fmt::format("planner.gpu_budget = {}: must hold planner.min_replicas = {} workers of "
                                  "hardware.tp = {} GPUs",
                                  o.planner.gpu_budget, o.planner.min_replicas, o.hardware.tp));
    return out;
}

}  // namespace dynosim::sim::scenario
