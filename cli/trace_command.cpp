// `dynosim trace stats FILE`: requests, duration, rate over time, length percentiles, prefix reuse.
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "sim/workload/trace_loader.hpp"
#include "sim/workload/trace_stats.hpp"

namespace dynosim::cli {

namespace wl = sim::workload;

namespace {
struct StatsArgs {
    std::string file, format = "auto";
    bool skip_bad = false, json = false;
    double bucket_s = 60;
};
}  // namespace

void add_trace_command(CLI::App& app) {
    auto* trace = app.add_subcommand("trace", "inspect request traces");
    trace->require_subcommand(1);
    auto args = std::make_shared<StatsArgs>();
    auto* stats = trace->add_subcommand("stats", "requests, duration, rate over time, lengths, prefix reuse");
    stats->add_option("FILE", args->file, "trace file (Mooncake JSONL or Azure CSV)")->required();
    stats->add_option("--format", args->format, "auto, mooncake or azure");
    stats->add_flag("--skip-bad-lines", args->skip_bad, "count and skip malformed lines instead of failing");
    stats->add_flag("--json", args->json, "print JSON");
    stats->add_option("--bucket-s", args->bucket_s, "width of the rate-over-time buckets, seconds");
    stats->callback([args] {
        wl::LoadOptions lo;
        lo.format = args->format;
        lo.skip_bad_lines = args->skip_bad;
        const wl::Workload w = wl::load_trace(args->file, lo);
        const wl::TraceStats st = wl::compute_trace_stats(w, args->bucket_s);
        if (args->json) std::cout << wl::to_json(st).dump(2) << "\n";
        else std::cout << wl::format_trace_stats(st);
        if (w.skipped_lines > 0) spdlog::warn("{}: skipped {} malformed lines", args->file, w.skipped_lines);
    });
}

}  // namespace dynosim::cli
