// The [planner] keys of a disaggregated fleet's planner (docs/planner.md) and its checks against the rest
// of the scenario.
#include <fmt/format.h>

#include "sim/fleet/disagg_planner.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_planner_disagg_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::int32_t>("planner.prefill_min_replicas", [](Opts& o) -> auto& { return o.planner.prefill_min_replicas; },
        "disagg.enabled: fewest prefill workers (>= 0; 0 = planner.min_replicas)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.prefill_max_replicas", [](Opts& o) -> auto& { return o.planner.prefill_max_replicas; },
        "disagg.enabled: most prefill workers (>= 0; 0 = planner.max_replicas)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.decode_min_replicas", [](Opts& o) -> auto& { return o.planner.decode_min_replicas; },
        "disagg.enabled: fewest decode workers (>= 0; 0 = planner.min_replicas)"));
    b.push_back(bind_key<Opts, std::int32_t>("planner.decode_max_replicas", [](Opts& o) -> auto& { return o.planner.decode_max_replicas; },
        "disagg.enabled: most decode workers (>= 0; 0 = planner.max_replicas)"));
    // clang-format on
}

fleet::PoolBounds planner_pool_bounds(const Opts& o, bool prefill) {
    const fleet::PlannerOptions& p = o.planner;
    const fleet::DisaggPoolOptions& pool = prefill ? o.disagg.prefill : o.disagg.decode;
    fleet::PoolBounds b;
    const std::int32_t lo = prefill ? p.prefill_min_replicas : p.decode_min_replicas;
    const std::int32_t hi = prefill ? p.prefill_max_replicas : p.decode_max_replicas;
    b.min_replicas = lo > 0 ? lo : p.min_replicas;
    b.max_replicas = hi > 0 ? hi : p.max_replicas;
    b.gpus_per_worker = pool.tp > 0 ? pool.tp : o.hardware.tp;
    return b;
}

std::vector<std::string> planner_disagg_problems(const Opts& o) {
    std::vector<std::string> out;
    const fleet::PlannerOptions& p = o.planner;
    const std::pair<const char*, std::int32_t> keys[] = {{"prefill_min_replicas", p.prefill_min_replicas},
                                                         {"prefill_max_replicas", p.prefill_max_replicas},
                                                         {"decode_min_replicas", p.decode_min_replicas},
                                                         {"decode_max_replicas", p.decode_max_replicas}};
    for (const auto& [k, v] : keys) {
        if (v < 0) out.push_back(fmt::format("planner.{} = {}: must be >= 0 (0 = the planner's own bound)", k, v));
        else if (v > 0 && !(p.enabled() && o.disagg.enabled))
            out.push_back(fmt::format("planner.{} = {}: bounds a disaggregated fleet's pool; needs planner.kind = "
                                      "sla and disagg.enabled = true",
                                      k, v));
    }
    if (!p.enabled() || !o.disagg.enabled || !out.empty()) return out;
    if (p.kind != "sla")
        out.push_back(fmt::format("planner.kind = {}: a disaggregated fleet is scaled by the sla planner only",
                                  p.kind));
    if (p.initial_replicas != -1)
        out.push_back(fmt::format("planner.initial_replicas = {}: a disaggregated fleet starts with "
                                  "disagg.prefill.workers and disagg.decode.workers; leave it at -1",
                                  p.initial_replicas));
    std::int32_t floor_gpus = 0;
    for (const bool pre : {true, false}) {
        const fleet::PoolBounds b = planner_pool_bounds(o, pre);
        const char* name = pre ? "prefill" : "decode";
        if (b.min_replicas > b.max_replicas)
            out.push_back(fmt::format("planner.{}_min_replicas = {}: must be <= planner.{}_max_replicas = {} (0 = "
                                      "planner.min_replicas / max_replicas)",
                                      name, b.min_replicas, name, b.max_replicas));
        floor_gpus += b.min_replicas * b.gpus_per_worker;
    }
    if (p.gpu_budget > 0 && p.gpu_budget < floor_gpus)
        out.push_back(fmt::format("planner.gpu_budget = {}: must hold both pools' minimum workers ({} GPUs)",
                                  p.gpu_budget, floor_gpus));
    return out;
}

}  // namespace dynosim::sim::scenario
