// Continuous sweep on recent traffic (`dynosim watch`): a folder of recorded traces grows; every `every_s`
// of trace time a tick takes the last `window_s` of traffic, re-runs the study on it warm-started from the
// previous tick's Pareto front and the deployment running now, and recommends a new deployment only when
// the best feasible trial beats the running one on the study's first objective by `margin` (relative) and
// meets every SLA constraint of the study. Each tick and its decision is logged (watch.log, ticks.csv);
// each recommendation is written as launch settings (deployment.hpp). Ticks follow trace time, never the
// wall clock, so the same traces give the same decisions; only --follow waits (wall clock) for new files.
//
// Trace files: every regular file of the folder whose name does not start with '.', in name order, in any
// format load_trace reads. A file that cannot be read or holds no request is skipped with a warning, as
// are its malformed lines; a file is read again when its size changes (a recorder still appending to it).
// Timeline "sequential" (default): each file's timestamps are relative to its own start and the files are
// consecutive recordings, so file k starts where file k-1's last arrival was. "absolute": every file uses
// the same clock (e.g. epoch milliseconds in Mooncake JSONL).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "optimizers/problem.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::framework {

struct WatchOptions {
    std::filesystem::path traces_dir;
    std::filesystem::path study_file;
    std::filesystem::path out_dir = "watch-out";
    double window_s = 1800;   // traffic each tick looks at, seconds of trace time. > 0.
    double every_s = 600;     // trace time between ticks, seconds. > 0.
    double margin = 0.05;     // relative improvement of the first objective needed to switch. >= 0.
    std::size_t max_ticks = 0;  // stop after this many ticks; 0 = while the traces cover the next tick
    bool once = false;        // one tick on the most recent window (ending at the last arrival)
    bool follow = false;      // when the traces do not reach the next tick, wait for new files (wall clock)
    double poll_s = 30;       // --follow: seconds between looks at the folder
    std::string timeline = "sequential";  // "sequential" or "absolute"
    std::string format = "auto";          // trace format for load_trace
};

struct TickResult {
    std::size_t tick = 0;           // from 1
    double t_end_s = 0;             // trace time the tick looks back from
    double window_start_s = 0;
    std::size_t requests = 0;       // in the window
    std::size_t trials = 0;
    std::optional<double> current;  // first objective of the running deployment on this window (nullopt: infeasible)
    std::optional<double> best;     // of the best feasible trial
    std::string decision;           // "keep", "switch", "keep (no feasible deployment)", "keep (no traffic)"
    std::map<std::string, std::string> deployment;  // the running deployment after the tick (dimension values)
    std::filesystem::path deployment_yaml;          // written when the tick switched
};

// Runs the watch loop; `on_tick` is called after each tick. Throws core::InputError / ConfigError for bad
// options, a missing folder or a bad study file.
std::vector<TickResult> run_watch(const WatchOptions& o, const std::function<void(const TickResult&)>& on_tick = {});

// Mooncake JSONL of requests (timestamps in ms from `origin_ns`), hash_ids when the requests carry them.
std::string to_mooncake_jsonl(const std::vector<sim::workload::Request>& reqs, sim::core::TimeNs origin_ns);

}  // namespace dynosim::framework
