// [hardware] parallelism keys beyond hardware.tp: data-parallel attention (docs/timing.md, "Data-parallel
// attention").
#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_parallel_bindings(std::vector<Binding<Opts>>& b) {
    b.push_back(bind_key<Opts, std::int32_t>(
        "hardware.attention_dp", [](Opts & o) -> auto& { return o.hardware.attention_dp; },
        "data-parallel attention ranks among a worker's hardware.tp GPUs (1 = off; must divide tp): each "
        "rank runs "
        "attention on its share of the batch with tp / attention_dp GPUs and keeps its own sequences' KV, "
        "MoE "
        "experts go expert-parallel over all tp GPUs with an all-to-all (sglang --enable-dp-attention; "
        "trtllm "
        "enable_attention_dp, = tp only; vllm --data-parallel-size + --enable-expert-parallel, MoE models "
        "only; "
        "table timing only)"));
}

std::vector<std::string> parallel_problems(const Opts& o) {
    std::vector<std::string> out;
    const std::int32_t d = o.hardware.attention_dp;
    if (d == 1) return out;
    auto bad = [&](const std::string& rule) {
        out.push_back(fmt::format("hardware.attention_dp = {}: {}", d, rule));
    };
    if (d < 1 || (o.hardware.tp >= 1 && o.hardware.tp % d != 0)) {
        bad(fmt::format("must be >= 1 and divide hardware.tp = {}", o.hardware.tp));
        return out;
    }
    const std::string& be = o.engine.backend;
    if (be == "trtllm" && d != o.hardware.tp)
        bad(fmt::format(
            "trtllm's attention DP (enable_attention_dp) has one rank per GPU: must be 1 or hardware.tp = {}",
            o.hardware.tp));
    else if (be != "vllm" && be != "sglang" && be != "trtllm")
        bad("engine.backend = " + be + " has no data-parallel attention");
    if (o.timing.kind != "table") bad("modelled by timing.kind = \"table\" only");
    if (o.disagg.enabled) bad("not modelled with disagg.enabled (each pool has its own tp)");
    return out;
}

}  // namespace dynosim::sim::scenario
