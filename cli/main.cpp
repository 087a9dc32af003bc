// The `dynosim` command: parses arguments, calls libdynosim, prints. No simulation logic lives here.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "sim/scenario/scenario.hpp"
#include "sim/workload/trace_loader.hpp"
#include "sim/workload/trace_stats.hpp"

namespace sc = dynosim::sim::scenario;
namespace wl = dynosim::sim::workload;

namespace {

int cmd_run(const std::string& config, const std::vector<std::string>& sets, const std::string& out_dir,
            std::optional<std::int64_t> seed, bool quiet, bool skip_bad_lines) {
    std::vector<std::string> overrides = sets;
    if (seed) overrides.push_back("sim.seed=" + std::to_string(*seed));
    if (skip_bad_lines) overrides.push_back("workload.skip_bad_lines=true");
    const sc::ScenarioOptions opts = sc::load_scenario(config, overrides);
    // A progress bar on stderr, only for a terminal and only once the run has taken a second.
    const auto start = std::chrono::steady_clock::now();
    bool drew = false;
    sc::ProgressFn progress;
    if (!quiet && isatty(fileno(stderr))) {
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
    if (!out_dir.empty()) sc::write_outputs(r, opts, out_dir);
    if (r.workload->skipped_lines > 0)
        spdlog::warn("skipped {} malformed trace lines (--skip-bad-lines)", r.workload->skipped_lines);
    if (!quiet) {
        std::cout << dynosim::sim::metrics::format_summary(r.summary) << std::flush;
        spdlog::info("{} requests, {} events, {:.1f} simulated s in {:.3f} wall s ({} KV blocks/worker, "
                     "batch {} tokens / {} seqs){}",
                     r.workload->requests.size(), r.stats.events, r.stats.simulated_seconds, r.stats.wall_seconds,
                     r.stats.kv_blocks_per_worker, r.stats.max_num_batched_tokens, r.stats.max_num_seqs,
                     out_dir.empty() ? "" : "; outputs in " + out_dir);
    }
    return r.summary.conserved ? 0 : 3;
}

int cmd_trace_stats(const std::string& file, const std::string& format, bool skip_bad, bool json,
                    double bucket_s) {
    wl::LoadOptions lo;
    lo.format = format;
    lo.skip_bad_lines = skip_bad;
    const wl::Workload w = wl::load_trace(file, lo);
    const wl::TraceStats st = wl::compute_trace_stats(w, bucket_s);
    if (json) std::cout << wl::to_json(st).dump(2) << "\n";
    else std::cout << wl::format_trace_stats(st);
    if (w.skipped_lines > 0) spdlog::warn("{}: skipped {} malformed lines", file, w.skipped_lines);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_st("dynosim"));
    spdlog::set_pattern("[%l] %v");
    CLI::App app{"dynosim: a discrete-event digital twin of an LLM-serving fleet"};
    app.require_subcommand(1);

    auto* run = app.add_subcommand("run", "simulate a scenario and print its summary");
    std::string config, out_dir;
    std::vector<std::string> sets;
    std::optional<std::int64_t> seed;
    bool quiet = false;
    run->add_option("CONFIG", config, "scenario TOML file (omit for the built-in defaults)");
    run->add_option("--set", sets, "override a key: --set engine.max_num_seqs=64 (repeatable)");
    run->add_option("--out", out_dir, "write summary.json, requests.csv and config.toml here");
    run->add_option("--seed", seed, "seed (overrides sim.seed)");
    run->add_flag("--quiet", quiet, "print nothing; only write --out files");
    bool run_skip_bad = false;
    run->add_flag("--skip-bad-lines", run_skip_bad, "count and skip malformed trace lines instead of failing");

    auto* trace = app.add_subcommand("trace", "inspect request traces");
    trace->require_subcommand(1);
    auto* stats = trace->add_subcommand("stats", "requests, duration, rate over time, lengths, prefix reuse");
    std::string trace_file, trace_format = "auto";
    bool skip_bad = false, as_json = false;
    double bucket_s = 60;
    stats->add_option("FILE", trace_file, "trace file (Mooncake JSONL or Azure CSV)")->required();
    stats->add_option("--format", trace_format, "auto, mooncake or azure");
    stats->add_flag("--skip-bad-lines", skip_bad, "count and skip malformed lines instead of failing");
    stats->add_flag("--json", as_json, "print JSON");
    stats->add_option("--bucket-s", bucket_s, "width of the rate-over-time buckets, seconds");

    auto* cfg = app.add_subcommand("config", "configuration helpers");
    cfg->require_subcommand(1);
    auto* defaults = cfg->add_subcommand("defaults", "print every key with its default and meaning");
    bool markdown = false;
    defaults->add_flag("--markdown", markdown, "print the docs/config.md table");

    CLI11_PARSE(app, argc, argv);
    try {
        if (*run) return cmd_run(config, sets, out_dir, seed, quiet, run_skip_bad);
        if (*stats) return cmd_trace_stats(trace_file, trace_format, skip_bad, as_json, bucket_s);
        if (*defaults) {
            std::cout << sc::describe_config(markdown);
            return 0;
        }
    } catch (const sc::ConfigError& e) {
        for (const auto& p : e.problems()) spdlog::error("{}", p);
        return 2;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
    }
    return 0;
}
