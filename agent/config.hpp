// agent.toml: what the loop optimizes and how. Read and checked at once; every problem is reported as a
// ConfigError naming agent.toml:line, the key, the value and the rule.
//
//   [agent]      program = "program.md", seed = 1
//   [plugin]     kind = "router" | "cache_policy", params = ["k=v"], kv_indexer = true
//   [objective]  metric = "ttft.p90", direction = "minimize"
//   [[constraint]] metric = "itl.p90", max = 40          (SLA: a candidate breaking one is never kept)
//   [[train]]    scenario = "scenario.toml", set = ["workload.transform.window_end_s=120"]
//   [heldout]    scenario = "scenario.toml", set = [...]
//   [budget]     iterations = 20, wall_s = 3600
//   [noise]      margin = 0.01
//   [proposer]   kind = "mutator" | "command", command = "...", timeout_s = 600, history = 10
//   [build]      timeout_s = 300
//   [eval]       timeout_s = 300
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dynosim::agent {

// One evaluation run: a scenario file of the workspace plus overrides ("key=value", TOML values).
struct RunSpec {
    std::string scenario;           // path relative to the workspace
    std::vector<std::string> set;   // overrides
    std::string where;              // agent.toml:line
};

struct ConstraintSpec {
    std::string metric;
    std::optional<double> max, min;
};

struct AgentConfig {
    // The proposer's instructions (goal, rules), relative to the workspace. Must exist. Default program.md.
    std::string program = "program.md";
    // Seed of the built-in mutator (iteration i draws from seed and i) and sim.seed of every evaluation,
    // so a candidate is judged on the same arrivals as the incumbent. Default 1.
    std::uint64_t seed = 1;

    // The policy kind the workspace builds: "router" (router.policy = plugin) or "cache_policy"
    // (engine.cache_policy = plugin). Default router.
    std::string plugin_kind = "router";
    std::vector<std::string> plugin_params;  // "key=value" passed to the plugin
    // Router only: the host runs its KV indexer and hands prefix overlap and active load to the plugin
    // (router.plugin_kv_indexer). Default true.
    bool kv_indexer = true;

    std::string objective_metric = "ttft.p90";  // a framework metric (dynosim study metrics)
    bool maximize = false;
    std::vector<ConstraintSpec> constraints;

    std::vector<RunSpec> train;  // at least one; the objective is the mean over them
    RunSpec heldout;             // required: judged once at the end, never during the loop

    // Iterations in total (across resumes). Range >= 1. Required.
    std::int64_t iterations = 0;
    // Wall seconds of one `run` / `resume` invocation; 0 = no limit. Range >= 0. Default 0.
    double wall_s = 0;
    // A candidate is kept only if it beats the incumbent by more than margin x |incumbent| (relative).
    // Range [0, 1). Default 0.005.
    double noise_margin = 0.005;

    std::string proposer = "mutator";    // mutator (built in, offline) or command
    std::string proposer_command;        // command: run with sh -c in the workspace
    double proposer_timeout_s = 600;     // Range > 0. Default 600.
    std::int64_t history_rows = 10;      // recent results.tsv rows shown to the proposer. Range >= 0.
    // Files the built-in mutator may change (relative); default: every .cpp/.hpp/.h at the top level
    // that holds an agent:begin marker.
    std::vector<std::string> mutate_files;

    double build_timeout_s = 300;  // Range > 0. Default 300.
    double eval_timeout_s = 300;   // per scenario run. Range > 0. Default 300.

    std::string source;  // the file read
    std::string text;    // its text (stored with the study)
};

AgentConfig parse_agent_config(const std::string& text, const std::string& source);
AgentConfig load_agent_config(const std::filesystem::path& path);

}  // namespace dynosim::agent
