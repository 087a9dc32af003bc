// hardware.attention_dp: accepted where a backend has data-parallel attention, refused with the key's name
// otherwise, and it moves a run's KV capacity.
#include <catch2/catch.hpp>

#include "sim/core/errors.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace dynosim::sim;
using Catch::Matchers::Contains;

namespace {

std::string deepseek(const std::string& backend, int tp, int dp) {
    return "[model]\nname = \"data:models/deepseek-ai--DeepSeek-V3/config.json\"\n[hardware]\ngpu = "
           "\"H200\"\ntp = " +
           std::to_string(tp) + "\nattention_dp = " + std::to_string(dp) + "\n[engine]\nbackend = \"" +
           backend +
           "\"\n[timing]\nweight_dtype = \"fp8\"\nkv_dtype = \"fp8\"\n[workload]\nkind = \"generator\"\n"
           "[workload.generator]\nduration_s = 2\n[workload.generator.arrival]\nrate = "
           "2\n[workload.generator.input]\nkind = \"fixed\"\nvalue = 512\n"
           "[workload.generator.output]\nkind = \"fixed\"\nvalue = 16\n";
}

std::string problems_of(const std::string& text) {
    try {
        scenario::load_scenario_text(text, "dp.toml", {});
    } catch (const scenario::ConfigError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        return all;
    }
    return "";
}

}  // namespace

TEST_CASE("attention_dp values that no backend runs name the key", "[scenario][config][dp]") {
    CHECK_THAT(problems_of(deepseek("sglang", 8, 3)),
               Contains("dp.toml:6: hardware.attention_dp = 3: must be >= 1 and divide hardware.tp = 8"));
    CHECK_THAT(problems_of(deepseek("trtllm", 8, 4)),
               Contains("hardware.attention_dp = 4: trtllm's attention DP"));
    CHECK(problems_of(deepseek("trtllm", 8, 8)).empty());
    CHECK(problems_of(deepseek("sglang", 8, 2)).empty());
    CHECK(problems_of(deepseek("vllm", 8, 8)).empty());
}

TEST_CASE("vLLM refuses data-parallel attention for a dense model", "[scenario][dp]") {
    const std::string text =
        "[model]\nname = \"Llama-3.1-8B\"\n[hardware]\ngpu = \"H100-SXM\"\ntp = 2\nattention_dp = 2\n"
        "[workload]\nkind = \"generator\"\n[workload.generator]\nduration_s = 1\n";
    const auto o = scenario::load_scenario_text(text, "dense.toml", {});
    CHECK_THROWS_WITH(scenario::run_scenario(o), Contains("hardware.attention_dp = 2"));
}

TEST_CASE("data-parallel attention runs DeepSeek-V3 with more KV blocks", "[scenario][dp]") {
    const auto tp =
        scenario::run_scenario(scenario::load_scenario_text(deepseek("sglang", 8, 1), "a.toml", {}));
    const auto dp =
        scenario::run_scenario(scenario::load_scenario_text(deepseek("sglang", 8, 8), "b.toml", {}));
    CHECK(dp.stats.kv_blocks_per_worker > 5 * tp.stats.kv_blocks_per_worker);
    CHECK(dp.summary.finished > 0);
    CHECK(dp.summary.finished == tp.summary.finished);
}
