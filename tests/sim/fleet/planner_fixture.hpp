// Shared by the planner tests: the fixed-shape workload they scale against, a profile written to its own
// folder, and a scenario run from text.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

namespace dynosim::sim::test_planner {

// Fixed 1024 / 64 requests on Llama-3.1-8B / H100 at a rate `schedule` (a TOML array of segments).
inline std::string fixed_workload(const std::string& schedule) {
    return R"(
[model]
name = "Llama-3.1-8B"
[hardware]
gpu = "H100-SXM"
[workload]
kind = "generator"
[workload.generator]
duration_s = 0
[workload.generator.arrival]
schedule = )" +
           schedule + R"(
[workload.generator.input]
kind = "fixed"
value = 1024
[workload.generator.output]
kind = "fixed"
value = 64
)";
}

// `text` written as profile.csv in a folder of its own (`folder`: ctest runs test cases in parallel
// processes, and temp_dir empties its folder).
inline std::filesystem::path write_profile(const std::string& folder, const std::string& text) {
    const auto dir = dynosim::test::temp_dir(folder);
    dynosim::test::write_file(dir / "profile.csv", text);
    return dir / "profile.csv";
}

inline scenario::Result run_text(const std::string& text, const std::vector<std::string>& sets = {}) {
    return scenario::run_scenario(scenario::load_scenario_text(text, "test.toml", sets));
}

}  // namespace dynosim::sim::test_planner
