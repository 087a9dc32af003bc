// Plugin benchmark (issue 7): the cost of routing through the C plugin ABI against the built-in router, on
// a full run (the whole Mooncake conversation trace, 8 workers, least_loaded both ways: the plugin computes
// the same answers, so both runs do identical work) and per decision (choose() in a loop over fixed loads);
// the same for the LRU cache policy plugin; and the overhead per trial of process isolation (a forked child
// per trial) against running the trial in the thread; and the cost of one ask + tell of an optimizer plugin
// in this process against in its own server process (study.isolation = "process"). Figures for issue notes;
// never asserted.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "bench_commit.hpp"  // DYNOSIM_GIT_COMMIT, written on every build
#include "framework/evaluator.hpp"
#include "plugins/adapters.hpp"
#include "sim/scenario/scenario.hpp"

namespace sc = dynosim::sim::scenario;
namespace fw = dynosim::framework;
namespace pl = dynosim::plugins;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Best of `reps` wall times of a run (the least disturbed by other load on the machine).
double best_run(const sc::ScenarioOptions& o, int reps, std::uint64_t* decisions) {
    double best = 1e300;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        const sc::Result r = sc::run_scenario(o);
        best = std::min(best, seconds_since(t0));
        *decisions = r.summary.arrived;
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
    pl::install_plugin_factories();
    fmt::print("dynosim plugin bench  commit {}  (best of {} runs)\n", DYNOSIM_GIT_COMMIT, reps);
    const std::string base = R"(
fleet.workers = 8
router.policy = "least_loaded"
[workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"
)";
    try {
        const sc::ScenarioOptions builtin = sc::load_scenario_text(base, "<bench>", {});
        const sc::ScenarioOptions plugin = sc::load_scenario_text(
            base, "<bench>",
            {"router.policy=plugin", fmt::format("router.plugin=\"{}\"", DS_POLICY_LEAST_LOADED)});
        const sc::ScenarioOptions lru_plugin = sc::load_scenario_text(
            base, "<bench>", {fmt::format("kv.cache_policy.plugin=\"{}\"", DS_POLICY_LRU)});
        std::uint64_t n = 0;
        const double tb = best_run(builtin, reps, &n);
        const double tp = best_run(plugin, reps, &n);
        const double tc = best_run(lru_plugin, reps, &n);
        fmt::print("full run, Mooncake conversation trace ({} requests), 8 workers:\n", n);
        fmt::print("  built-in least_loaded + lru   {:8.3f} s\n", tb);
        fmt::print("  plugin least_loaded           {:8.3f} s  ({:+.1f}%; target within 10%)\n", tp, 100 * (tp / tb - 1));
        fmt::print("  plugin lru cache policy       {:8.3f} s  ({:+.1f}%)\n", tc, 100 * (tc / tb - 1));
    } catch (const std::exception& e) {
        fmt::print("full run skipped: {}\n", e.what());
    }

    // Per decision: the same loads, 8 workers, through each router.
    std::vector<dynosim::sim::engine::WorkerLoad> loads(8);
    for (std::size_t i = 0; i < loads.size(); ++i) {
        loads[i].running = static_cast<std::int32_t>((i * 7) % 5);
        loads[i].waiting = static_cast<std::int32_t>((i * 3) % 4);
        loads[i].queued_prefill_tokens = static_cast<std::int64_t>(i * 100);
    }
    dynosim::sim::workload::Request req;
    req.block_hashes = {1, 2, 3, 4};
    constexpr int kCalls = 5'000'000;
    auto per_call = [&](dynosim::sim::fleet::Router& r) {
        std::size_t sink = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kCalls; ++i) {
            req.id = static_cast<std::uint64_t>(i);
            sink += r.choose(req, loads);
        }
        const double ns = 1e9 * seconds_since(t0) / kCalls;
        if (sink == 1) fmt::print(" ");
        return ns;
    };
    auto builtin_router = dynosim::sim::fleet::make_router({"least_loaded", "", {}}, dynosim::sim::core::Rng(1));
    auto plugin_router = pl::make_plugin_router({"plugin", DS_POLICY_LEAST_LOADED, {}}, dynosim::sim::core::Rng(1));
    const double nb = per_call(*builtin_router), np = per_call(*plugin_router);
    fmt::print("per decision, 8 workers: built-in {:.1f} ns, plugin {:.1f} ns ({:+.1f} ns)\n", nb, np, np - nb);

    // Process isolation: the same small trial in the thread and in a forked child.
    fw::EvaluatorOptions eo;
    eo.scenario_text = "[workload]\nkind = \"generator\"\n[workload.generator]\nnum_requests = 200\n";
    eo.scenario_source = "<bench>";
    constexpr int kTrials = 40;
    for (bool forked : {false, true}) {
        eo.process_isolation = forked;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kTrials; ++i) {
            const fw::EvalResult r = forked ? fw::evaluate_trial_forked(eo, {static_cast<std::uint64_t>(i), {}})
                                            : fw::evaluate_trial(eo, {static_cast<std::uint64_t>(i), {}});
            if (!r.ok) fmt::print("trial failed: {}\n", r.error);
        }
        fmt::print("isolation {:<8} {:7.2f} ms per trial (200-request trial)\n", forked ? "process" : "none",
                   1e3 * seconds_since(t0) / kTrials);
    }

    // Optimizer plugin: ask + tell through the ABI in this process vs over pipes to its server process.
    dynosim::optimizers::Problem p;
    p.space = dynosim::optimizers::Space({{"x", dynosim::optimizers::DimKind::Float, -5, 5, false, {}},
                                          {"n", dynosim::optimizers::DimKind::Int, 1, 64, true, {}}});
    p.budget = 2000;
    for (bool isolated : {false, true}) {
        auto opt = pl::make_plugin_optimizer(DS_POLICY_ONE_PLUS_ONE_ES, p, {}, isolated, 0);
        constexpr int kAsks = 2000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kAsks; ++i) {
            dynosim::optimizers::Trial t;
            t.id = static_cast<std::uint64_t>(i);
            t.x = *opt.ask();
            t.status = dynosim::optimizers::TrialStatus::Feasible;
            t.objectives = {(t.x[0] - 1.5) * (t.x[0] - 1.5) + t.x[1]};
            opt.tell(t);
        }
        fmt::print("optimizer plugin {:<8} {:7.2f} us per ask + tell\n", isolated ? "process" : "none",
                   1e6 * seconds_since(t0) / kAsks);
    }
    return 0;
}
