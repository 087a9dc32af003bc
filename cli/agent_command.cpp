// `dynosim agent init --from policies/<name> DIR`, `dynosim agent run DIR`, `dynosim agent resume DIR`,
// `dynosim agent log DIR`: the autoresearch loop (agent/, docs/agent.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/history.hpp"
#include "agent/loop.hpp"
#include "agent/proposer.hpp"
#include "cli/commands.hpp"

namespace dynosim::cli {

namespace {

struct AgentArgs {
    std::string from, dir, scenario, config;
    std::size_t last = 0;
    bool no_heldout = false;
};

void run_or_resume(const AgentArgs& a, bool resume) {
    agent::Workspace ws = agent::Workspace::open(a.dir);
    agent::LoopOptions o;
    o.resume = resume;
    o.final_heldout = !a.no_heldout;
    o.log = [](const std::string& s) { spdlog::info("{}", s); };
    const agent::LoopReport r = agent::run_loop(ws, o);
    fmt::print("{}", agent::format_report(ws, r));
}

}  // namespace

void add_agent_command(CLI::App& app) {
    auto args = std::make_shared<AgentArgs>();
    CLI::App* cmd = app.add_subcommand("agent", "autoresearch loop: a proposer edits a policy, dynosim rebuilds and "
                                                "replays, git keeps what improves (docs/agent.md)");
    cmd->require_subcommand(1);

    CLI::App* init = cmd->add_subcommand("init", "create a workspace (git repository) from a shipped policy");
    init->add_option("--from", args->from, "policy folder, e.g. policies/kv_router")->required();
    init->add_option("--scenario", args->scenario, "scenario copied as scenario.toml (default: a Mooncake slice)");
    init->add_option("--config", args->config, "agent config copied as agent.toml (default: a commented template)");
    init->add_option("dir", args->dir, "new workspace folder")->required();
    init->callback([args] {
        agent::InitOptions o;
        o.from = args->from;
        o.dir = args->dir;
        o.scenario = args->scenario;
        o.config = args->config;
        fmt::print("{}\n", agent::init_workspace(o));
    });

    CLI::App* run = cmd->add_subcommand("run", "run the loop on a workspace with no history yet");
    run->add_option("dir", args->dir, "workspace folder")->required();
    run->add_flag("--no-heldout", args->no_heldout, "skip the final held-out evaluation");
    run->callback([args] { run_or_resume(*args, false); });

    CLI::App* resume = cmd->add_subcommand("resume", "continue after a stop or a kill (cleans an interrupted iteration)");
    resume->add_option("dir", args->dir, "workspace folder")->required();
    resume->add_flag("--no-heldout", args->no_heldout, "skip the final held-out evaluation");
    resume->callback([args] { run_or_resume(*args, true); });

    CLI::App* log = cmd->add_subcommand("log", "print the workspace's results.tsv");
    log->add_option("dir", args->dir, "workspace folder")->required();
    log->add_option("--last", args->last, "only the last N iterations");
    log->callback([args] {
        agent::Workspace ws = agent::Workspace::open(args->dir);
        const auto rows = agent::read_history(ws.results_tsv());
        if (rows.empty()) {
            fmt::print("{}: no iterations yet\n", ws.results_tsv().string());
            return;
        }
        fmt::print("{}", agent::format_history(rows, ws.config().objective_metric, args->last));
        std::size_t kept = 0;
        for (const auto& r : rows) kept += r.verdict == "keep";
        const auto best = ws.repo().resolve(std::string("refs/heads/") + agent::kBestBranch);
        fmt::print("{} iteration(s) after the baseline, {} kept; {} at {}\n", rows.size() - 1, kept, agent::kBestBranch,
                   best ? best->substr(0, 10) : "-");
    });
}

}  // namespace dynosim::cli
