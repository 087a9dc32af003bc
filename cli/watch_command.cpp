// `dynosim watch --traces DIR --window 30m --every 10m --study STUDY.toml [--out DIR] [--ticks N | --once]`:
// re-run a study on the most recent window of recorded traffic at every tick and recommend a deployment
// (framework/watch.hpp, docs/watch.md, docs/deploy.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "cli/commands.hpp"
#include "framework/watch.hpp"
#include "sim/core/errors.hpp"

namespace dynosim::cli {

namespace {

// "90", "90s", "30m", "1.5h" -> seconds.
double parse_duration(const std::string& flag, const std::string& v) {
    std::size_t used = 0;
    double x = 0;
    try {
        x = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    const std::string unit = v.substr(used);
    const double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : -1;
    if (used == 0 || mult < 0 || !std::isfinite(x) || x <= 0)
        throw sim::core::InputError(
            fmt::format("{} {}: expected a positive duration: seconds, or a number with s, m, h or d (30m)", flag, v));
    return x * mult;
}

struct WatchArgs {
    std::string traces, study, out = "watch-out", window = "30m", every = "10m", poll = "30s", timeline = "sequential",
                                   format = "auto";
    double margin = 0.05;
    std::size_t ticks = 0;
    bool once = false, follow = false;
};

int watch(const WatchArgs& a) {
    framework::WatchOptions o;
    o.traces_dir = a.traces;
    o.study_file = a.study;
    o.out_dir = a.out;
    o.window_s = parse_duration("--window", a.window);
    o.every_s = parse_duration("--every", a.every);
    o.poll_s = parse_duration("--poll", a.poll);
    o.margin = a.margin;
    o.max_ticks = a.ticks;
    o.once = a.once;
    o.follow = a.follow;
    o.timeline = a.timeline;
    o.format = a.format;
    const auto ticks = framework::run_watch(o);
    std::size_t switches = 0;
    for (const auto& t : ticks) switches += t.decision == "switch";
    spdlog::info("{} tick(s), {} recommendation(s); log in {}/watch.log, ticks in {}/ticks.csv{}", ticks.size(), switches,
                 a.out, a.out, switches ? fmt::format(", latest launch settings in {}/recommended", a.out) : "");
    return 0;
}

}  // namespace

void add_watch_command(CLI::App& app) {
    auto args = std::make_shared<WatchArgs>();
    auto* cmd = app.add_subcommand("watch", "re-run a study on the latest window of recorded traffic every tick and "
                                            "recommend deployments (docs/watch.md)");
    cmd->add_option("--traces", args->traces, "folder of recorded traces (new files are picked up each tick)")->required();
    cmd->add_option("--study", args->study, "study TOML file (its scenario's workload is replaced by the window)")->required();
    cmd->add_option("--out", args->out, "where the log, ticks.csv, per-tick studies and launch settings go (default watch-out)");
    cmd->add_option("--window", args->window, "traffic each tick looks at, trace time (default 30m)");
    cmd->add_option("--every", args->every, "trace time between ticks (default 10m)");
    cmd->add_option("--margin", args->margin, "relative gain of the first objective needed to switch (default 0.05)");
    auto* ticks = cmd->add_option("--ticks", args->ticks, "stop after N ticks (default: while the traces reach the next tick)");
    cmd->add_flag("--once", args->once, "one tick on the most recent window")->excludes(ticks);
    cmd->add_flag("--follow", args->follow, "wait for new trace files when the traces do not reach the next tick");
    cmd->add_option("--poll", args->poll, "--follow: wall time between looks at the folder (default 30s)");
    cmd->add_option("--timeline", args->timeline,
                    "sequential (each file continues the previous one) or absolute (one clock in every file)");
    cmd->add_option("--format", args->format, "trace format: auto, mooncake or azure (default auto)");
    cmd->callback([args] { exit_code() = watch(*args); });
}

}  // namespace dynosim::cli
