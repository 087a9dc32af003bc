#include "agent/workspace.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "sim/scenario/config.hpp"

#ifndef DYNOSIM_SOURCE_ROOT
#define DYNOSIM_SOURCE_ROOT ""
#endif

namespace dynosim::agent {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw sim::core::InputError(fmt::format("{}: cannot read", p.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw sim::core::InputError(fmt::format("{}: cannot write", p.string()));
}

Workspace Workspace::open(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw sim::core::InputError(fmt::format("{}: no such workspace folder", dir.string()));
    GitRepo repo = GitRepo::open(dir);
    const fs::path cfg = dir / "agent.toml";
    if (!fs::exists(cfg))
        throw sim::core::InputError(
            fmt::format("{}: missing agent config (create a workspace with `dynosim agent init`)", cfg.string()));
    AgentConfig c = load_agent_config(cfg);
    std::vector<std::string> problems;
    if (!fs::is_regular_file(dir / c.program))
        problems.push_back(fmt::format("{}: agent.program = \"{}\": the program file (goal and rules for the proposer) "
                                       "does not exist",
                                       cfg.string(), (dir / c.program).string()));
    std::vector<RunSpec> runs = c.train;
    runs.push_back(c.heldout);
    for (const auto& r : runs)
        if (!fs::is_regular_file(dir / r.scenario))
            problems.push_back(fmt::format("{}: scenario = \"{}\": no such file in the workspace", r.where, r.scenario));
    if (!problems.empty()) throw sim::scenario::ConfigError(problems);
    return Workspace(fs::absolute(dir), std::move(c), std::move(repo));
}

std::string Workspace::program() const { return read_text(dir_ / config_.program); }

std::map<std::string, std::string> Workspace::sources() const {
    std::map<std::string, std::string> out;
    if (!config_.mutate_files.empty()) {
        for (const auto& f : config_.mutate_files) out[f] = read_text(dir_ / f);
        return out;
    }
    for (const auto& e : fs::directory_iterator(dir_)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".c"))
            out[e.path().filename().string()] = read_text(e.path());
    }
    return out;
}

namespace {

const char* kCMakeLists = R"(# A dynosim agent workspace's policy, built standalone into policy.so (the agent builds it in .agent/).
# Only the plugin headers in include/ are needed: a copy of dynosim's plugins/dynosim_plugin.h{,pp}.
cmake_minimum_required(VERSION 3.20)
project(dynosim_agent_policy LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
file(GLOB POLICY_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
add_library(policy MODULE ${POLICY_SOURCES})
target_include_directories(policy PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/include)
target_compile_options(policy PRIVATE -Wall -Wextra)
set_target_properties(policy PROPERTIES PREFIX "" OUTPUT_NAME policy LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}
                                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
)";

// Four single-GPU vLLM workers serving Llama-3.1-8B on H100s; Mooncake's conversation trace (Kimi
// production traffic) at its recorded rate. The runs in agent.toml pick windows of it.
const char* kScenario = R"(# The agent's scenario: four Llama-3.1-8B vLLM workers on H100s behind the policy under test,
# replaying Mooncake's conversation trace at its recorded rate. agent.toml picks the windows (train / held-out).
[model]
name = "Llama-3.1-8B"

[hardware]
gpu = "H100-SXM"
tp = 1

[fleet]
workers = 4

[engine]
backend = "vllm"
block_size = 16
enable_prefix_caching = true

[workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"

[workload.transform]
rate_scale = 1.0
)";

std::string agent_toml(const std::string& kind) {
    return fmt::format(R"(# dynosim agent config (docs/agent.md). Paths are relative to this folder.
[agent]
program = "program.md"
seed = 1                      # mutator draws and sim.seed of every evaluation

[plugin]
kind = "{}"
params = []
kv_indexer = true             # router: the host's KV indexer fills overlap and active-load figures

[objective]
metric = "ttft.p90"           # dynosim study metrics lists the names
direction = "minimize"

[[constraint]]
metric = "itl.p90"            # SLA: a change that breaks it is never kept
max = 40

[[train]]
scenario = "scenario.toml"
set = ["workload.transform.window_start_s=0", "workload.transform.window_end_s=60"]

[[train]]
scenario = "scenario.toml"
set = ["workload.transform.window_start_s=600", "workload.transform.window_end_s=660"]

[heldout]                     # judged once at the end, never during the loop
scenario = "scenario.toml"
set = ["workload.transform.window_start_s=1800", "workload.transform.window_end_s=1860"]

[budget]
iterations = 20
wall_s = 3600

[noise]
margin = 0.005                # keep only improvements above 0.5% of the incumbent

[proposer]
kind = "mutator"              # or "command", with command = "my-llm-client --model ..."
timeout_s = 600
history = 10

[build]
timeout_s = 300

[eval]
timeout_s = 300
)",
                       kind);
}

std::string program_md(const std::string& name, const std::string& kind) {
    return fmt::format(R"(# Goal

Improve the {kind} policy `{name}` (the .cpp file(s) in this folder) so that the objective in agent.toml
(p90 time to first token on the training windows of the Mooncake trace, lower is better) improves, without
breaking the SLA constraints listed there. The simulator is the referee: a change is kept only when it beats
the best policy so far by more than the noise margin.

# Rules

- Change only the policy sources at the top level of this folder. Do not touch include/ (the plugin ABI),
  CMakeLists.txt, agent.toml, this file or the scenarios.
- The plugin must keep its DYNOSIM_PLUGIN(...) entry macro and its class interface (see include/dynosim_plugin.hpp).
- Keep every random choice on the seeded generators the plugin is given (no time, no std::random_device).
- One idea per change; say it in the first line of your answer.
- The built-in mutator edits only code between `// agent:begin` and `// agent:end` lines (everywhere
  when the sources have no markers).

# What the router sees

Per worker: running and waiting requests, KV blocks used and total, queued prefill tokens and, with the KV
indexer on, the prefix overlap (blocks of this request already cached there), the prompt tokens still in
prefill and the active KV blocks. Per request: input and output lengths and its prefix block hashes.
)",
                       fmt::arg("kind", kind), fmt::arg("name", name));
}

fs::path find_headers(const InitOptions& o) {
    auto has = [](const fs::path& root) {
        return fs::is_regular_file(root / "plugins" / "dynosim_plugin.h") &&
               fs::is_regular_file(root / "plugins" / "dynosim_plugin.hpp");
    };
    if (!o.source_root.empty()) {
        if (has(o.source_root)) return o.source_root;
        throw sim::core::InputError(fmt::format("{}: no plugins/dynosim_plugin.h there", o.source_root.string()));
    }
    for (fs::path d = fs::absolute(o.from); !d.empty(); d = d.parent_path()) {
        if (has(d)) return d;
        if (d == d.parent_path()) break;
    }
    if (has(DYNOSIM_SOURCE_ROOT)) return DYNOSIM_SOURCE_ROOT;
    throw sim::core::InputError(fmt::format(
        "{}: cannot find plugins/dynosim_plugin.h above it or in the dynosim source tree", o.from.string()));
}

}  // namespace

std::string init_workspace(const InitOptions& o) {
    if (!fs::is_directory(o.from))
        throw sim::core::InputError(fmt::format("--from {}: no such policy folder", o.from.string()));
    if (fs::exists(o.dir) && !(fs::is_directory(o.dir) && fs::is_empty(o.dir)))
        throw sim::core::InputError(fmt::format("{}: exists and is not an empty folder", o.dir.string()));
    std::map<std::string, std::string> sources;
    for (const auto& e : fs::directory_iterator(o.from)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".h"))
            sources[e.path().filename().string()] = read_text(e.path());
    }
    if (sources.empty())
        throw sim::core::InputError(fmt::format("--from {}: no .cpp/.hpp/.h policy sources there", o.from.string()));
    std::string all;
    for (const auto& [f, t] : sources) all += t;
    const std::string kind = all.find("pop_victim") != std::string::npos ? "cache_policy"
                             : (all.find("choose(") != std::string::npos || all.find("score(") != std::string::npos)
                                 ? "router"
                                 : "";
    if (kind.empty())
        throw sim::core::InputError(fmt::format(
            "--from {}: not a router (choose/score) or cache policy (pop_victim); the agent evolves those two kinds",
            o.from.string()));
    const fs::path root = find_headers(o);
    const std::string scenario = o.scenario.empty() ? std::string(kScenario) : read_text(o.scenario);
    const std::string config = o.config.empty() ? agent_toml(kind) : read_text(o.config);
    if (!o.config.empty()) parse_agent_config(config, o.config.string());  // bad input before anything is written
    fs::create_directories(o.dir);
    for (const auto& [f, t] : sources) write_text(o.dir / f, t);
    write_text(o.dir / "include" / "dynosim_plugin.h", read_text(root / "plugins" / "dynosim_plugin.h"));
    write_text(o.dir / "include" / "dynosim_plugin.hpp", read_text(root / "plugins" / "dynosim_plugin.hpp"));
    write_text(o.dir / "CMakeLists.txt", kCMakeLists);
    write_text(o.dir / "scenario.toml", scenario);
    const std::string name = fs::absolute(o.from).lexically_normal().filename().string().empty()
                                 ? fs::absolute(o.from).lexically_normal().parent_path().filename().string()
                                 : fs::absolute(o.from).lexically_normal().filename().string();
    write_text(o.dir / "program.md", program_md(name, kind == "router" ? "router" : "KV cache"));
    write_text(o.dir / "agent.toml", config);
    write_text(o.dir / ".gitignore", "# owned by the dynosim agent\n.agent/\nresults.tsv\nagent.sqlite\nagent.sqlite-*\n");
    GitRepo repo = GitRepo::init(o.dir, kBestBranch);
    const std::string commit = repo.commit_all(fmt::format("agent: start from {}", o.from.string()));
    repo.set_tag(kStartTag, commit);
    return fmt::format("created agent workspace {} from {} ({} policy, {} source file(s)); branch {} at {}",
                       o.dir.string(), o.from.string(), kind, sources.size(), kBestBranch, repo.short_id(commit));
}

}  // namespace dynosim::agent
