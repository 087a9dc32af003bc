// Scale benchmark (issue 6): N requests on W workers from the Mooncake conversation trace, tiled. The first
// hour of the trace (on 16 workers in dynosim_bench) is repeated end to end, each copy shifted by one trace
// span and given its own prefix hashes and session ids (copies share no prefixes), then the whole timeline
// is compressed by W / 16 so each worker sees the load of the 16-worker hour. Prints wall time, events,
// events/s, simulated s per wall s and peak RSS. One size per process, so peak RSS is that run's:
//   for n in 1000000 3000000 10000000; do build/bench/dynosim_scale_bench $n 1000; done
// ITLs go to the streaming histogram above 100 M gaps (metrics.itl_histogram = auto); pass a third
// argument on|off|auto to force it.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_common.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/workload_options.hpp"

namespace sc = dynosim::sim::scenario;
namespace wl = dynosim::sim::workload;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// `n` requests: copies of `base` back to back (copy j shifted by j spans), then times divided by `compress`.
wl::Workload tile(const wl::Workload& base, std::uint64_t n, double compress) {
    const auto& b = base.requests;
    const dynosim::sim::core::TimeNs span = b.back().arrival_ns - b.front().arrival_ns + 1'000'000'000;
    std::int64_t max_session = 0;
    for (const auto& r : b) max_session = std::max(max_session, r.session_id);
    wl::Workload w;
    w.source = fmt::format("{} tiled to {} requests, time / {:.2f}", base.source, n, compress);
    w.requests.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t copy = i / b.size();
        wl::Request r = b[i % b.size()];
        const double t = static_cast<double>(r.arrival_ns - b.front().arrival_ns) +
                         static_cast<double>(copy) * static_cast<double>(span);
        r.arrival_ns = static_cast<dynosim::sim::core::TimeNs>(t / compress);
        if (copy > 0) {
            const std::uint64_t salt = copy * 0x9E3779B97F4A7C15ull;
            for (auto& h : r.block_hashes) h ^= salt;
            if (r.session_id >= 0) r.session_id += static_cast<std::int64_t>(copy) * (max_session + 1);
        }
        w.requests.push_back(std::move(r));
    }
    wl::finalize(w);
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const int workers = argc > 2 ? std::atoi(argv[2]) : 1000;
    const std::string itl = argc > 3 ? argv[3] : "auto";
    try {
        const std::string text = dynosim::bench::mooncake_hour_scenario(workers);
        sc::ScenarioOptions o = sc::load_scenario_text(text, "<scale-bench>", {fmt::format("metrics.itl_histogram=\"{}\"", itl)});
        auto t0 = std::chrono::steady_clock::now();
        wl::WorkloadOptions wo = o.workload;
        wo.path = sc::resolve_path(wo.path, o.base_dir).string();
        const wl::Workload base = wl::build_workload(wo, static_cast<std::uint64_t>(o.sim.seed));
        wl::Workload w = tile(base, n, workers / 16.0);
        const double build_s = seconds_since(t0);
        const double rss_workload = dynosim::bench::peak_rss_mib();
        t0 = std::chrono::steady_clock::now();
        sc::Result r = sc::run_scenario(o, std::move(w));
        const double total_s = seconds_since(t0);
        const auto& s = r.stats;
        fmt::print("scale bench: {} requests ({} trace requests tiled {:.1f}x, time / {:.1f}) on {} x H100 8B vllm, "
                   "itl storage {}\n",
                   n, base.requests.size(), static_cast<double>(n) / static_cast<double>(base.requests.size()),
                   workers / 16.0, workers, r.recorder->itl_histogram() ? "histogram" : "exact");
        fmt::print("  workload build {:.2f} s (RSS {:.0f} MiB); replay wall {:.2f} s (run_scenario incl. summary {:.2f} s)\n",
                   build_s, rss_workload, s.wall_seconds, total_s);
        fmt::print("  events {}  events/s {:.3g}  steps {}  simulated {:.0f} s  sim s/wall s {:.0f}  peak RSS {:.0f} MiB\n",
                   s.events, static_cast<double>(s.events) / s.wall_seconds, r.summary.steps, s.simulated_seconds,
                   s.simulated_seconds / s.wall_seconds, dynosim::bench::peak_rss_mib());
        fmt::print("  finished {} / {}  TTFT p50 {:.1f} ms p99 {:.1f} ms  TPOT p50 {:.2f} ms  ITL count {} p50 {:.2f} p99 {:.2f} ms\n",
                   r.summary.finished, r.summary.submitted, r.summary.ttft.p50, r.summary.ttft.p99, r.summary.tpot.p50,
                   r.summary.itl.count, r.summary.itl.p50, r.summary.itl.p99);
    } catch (const std::exception& e) {
        fmt::print(stderr, "scale bench: {}\n", e.what());
        return 1;
    }
    return 0;
}
