// `dynosim run CONFIG [--set k=v ...] [--out DIR] [--seed N]`: simulate one scenario, print its summary.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "framework/report.hpp"
#include "sim/core/errors.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::cli {

namespace sc = sim::scenario;

namespace {

struct RunArgs {
    std::string config, out_dir, plots_dir;
    std::vector<std::string> sets;
    std::optional<std::int64_t> seed;
    bool quiet = false;
    bool skip_bad_lines = false;
};

int run(const RunArgs& a) {
    std::vector<std::string> overrides = a.sets;
    if (a.seed) overrides.push_back("sim.seed=" + std::to_string(*a.seed));
    if (a.skip_bad_lines) overrides.push_back("workload.skip_bad_lines=true");
    const sc::ScenarioOptions opts = sc::load_scenario(a.config, overrides);
    if (!a.plots_dir.empty() && a.out_dir.empty())
        throw sim::core::InputError("--plots " + a.plots_dir + ": needs --out (the plots are drawn from its files)");

    // A progress bar on stderr, only for a terminal and only once the run has taken a second.
    const auto start = std::chrono::steady_clock::now();
    bool drew = false;
    sc::ProgressFn progress;
    if (!a.quiet && isatty(fileno(stderr))) {
        progress = [&](double sim_s, std::uint64_t arrived, std::uint64_t total) {
            if (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) return;
            const double frac = total ? static_cast<double>(arrived) / static_cast<double>(total) : 1.0;
            const int filled = static_cast<int>(frac * 30);
            std::fprintf(stderr, "\r[%-30s] %5.1f%% arrived, %.0f s simulated", std::string(filled, '#').c_str(),
                         100 * frac, sim_s);
            drew = true;
        };
    }
    const sc::Result r = sc::run_scenario(opts, progress);
    if (drew) std::fputc('\n', stderr);
    if (!a.out_dir.empty()) sc::write_outputs(r, opts, a.out_dir);
    if (!a.plots_dir.empty()) {
        framework::Report rep;
        rep.sections.push_back(framework::run_section(a.out_dir, "run"));
        spdlog::info("wrote {} SVG plots in {}", framework::write_figures(rep, a.plots_dir).size(), a.plots_dir);
    }
    for (const auto& note : r.stats.timing_notes) spdlog::debug("timing: {}", note);
    if (r.workload->skipped_lines > 0)
        spdlog::warn("skipped {} malformed trace lines (--skip-bad-lines)", r.workload->skipped_lines);
    if (!a.quiet) {
        std::cout << sim::metrics::format_summary(r.summary) << std::flush;
        spdlog::info("{} requests, {} events, {:.1f} simulated s in {:.3f} wall s ({} KV blocks/worker, "
                     "batch {} tokens / {} seqs){}",
                     r.workload->requests.size(), r.stats.events, r.stats.simulated_seconds, r.stats.wall_seconds,
                     r.stats.kv_blocks_per_worker, r.stats.max_num_batched_tokens, r.stats.max_num_seqs,
                     a.out_dir.empty() ? "" : "; outputs in " + a.out_dir);
    }
    if (!r.summary.conserved) {
        spdlog::error("conservation violated: arrived requests are not all finished, rejected or unfinished");
        return 3;
    }
    return 0;
}

}  // namespace

void add_run_command(CLI::App& app) {
    auto args = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand("run", "simulate a scenario and print its summary");
    cmd->add_option("CONFIG", args->config, "scenario TOML file (omit for the built-in defaults)");
    cmd->add_option("--set", args->sets, "override a key: --set engine.max_num_seqs=64 (repeatable)");
    cmd->add_option("--out", args->out_dir, "write summary.json, requests.csv and config.toml here");
    cmd->add_option("--seed", args->seed, "seed (overrides sim.seed)");
    cmd->add_option("--plots", args->plots_dir,
                    "also write the run's plots (CDFs, per-worker load, time series) as SVG files here; needs --out");
    cmd->add_flag("--quiet", args->quiet, "print nothing; only write --out files");
    cmd->add_flag("--skip-bad-lines", args->skip_bad_lines, "count and skip malformed trace lines instead of failing");
    cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace dynosim::cli
