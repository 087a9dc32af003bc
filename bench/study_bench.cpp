// Study benchmark (issue 8): trials per minute of a random-search study on the first hour of the Mooncake
// conversation trace with 2 threads, and the Bayesian optimizer's time per ask at 100/250/500 observations
// (target: < 1 s per ask at 500). Figures for issue notes; never asserted.
#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "bench_commit.hpp"  // DYNOSIM_GIT_COMMIT, written on every build
#include "framework/study.hpp"
#include "optimizers/registry.hpp"

namespace fw = dynosim::framework;
namespace opt = dynosim::optimizers;

int main(int argc, char** argv) {
    const int trials = argc > 1 ? std::atoi(argv[1]) : 8;
    fmt::print("dynosim study bench  commit {}\n", DYNOSIM_GIT_COMMIT);
    const std::string text = fmt::format(R"([study]
budget = {}
seed = 1
parallelism = 2
set = ["workload.transform.window_end_s=3600"]
[scenario.model]
name = "Llama-3.1-8B"
[scenario.router]
policy = "least_loaded"
[scenario.workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"
[optimizer]
name = "random"
[[dimension]]
key = "fleet.workers"
type = "int"
min = 4
max = 16
[[dimension]]
key = "engine.max_num_seqs"
type = "int"
min = 64
max = 512
[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
)", trials);
    try {
        const fw::Study study(fw::parse_study(text, "<bench>", "."));
        fw::StudyStorage db(":memory:");
        const auto t0 = std::chrono::steady_clock::now();
        const fw::RunSummary s = fw::run_study(study, db);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        fmt::print("one-hour Mooncake trace, 2 threads: {} trials in {:.2f} s = {:.1f} trials/min\n", s.trials, wall,
                   60.0 * static_cast<double>(s.trials) / wall);
    } catch (const std::exception& e) {
        fmt::print("trace study skipped: {}\n", e.what());
    }
    // GP overhead: a 6-dimensional mixed problem with one constraint; observations from a smooth function.
    opt::Problem p;
    p.space = opt::Space({{"a", opt::DimKind::Float, 0, 1, false, {}},
                          {"b", opt::DimKind::Float, 0, 1, false, {}},
                          {"c", opt::DimKind::Int, 1, 64, true, {}},
                          {"d", opt::DimKind::Int, 0, 20, false, {}},
                          {"e", opt::DimKind::Categorical, 0, 3, false, {}},
                          {"f", opt::DimKind::Bool, 0, 1, false, {}}});
    p.num_constraints = 1;
    p.budget = 600;
    for (std::size_t n : {100, 250, 500}) {
        opt::Optimizer o = opt::builtin_optimizers().make("bayes", p, {{"init_points", std::int64_t(n)}});
        for (std::size_t k = 0; k < n; ++k) {
            const auto x = *o.ask();
            opt::Trial t;
            t.x = x;
            t.objectives = {std::sin(6 * x[0]) + x[1] * x[1] + std::log(x[2]) / 4 + x[3] / 20 + x[4] * 0.1 + x[5]};
            t.constraints = {x[0] + x[1] - 1.5};
            t.status = t.constraints[0] > 0 ? opt::TrialStatus::Infeasible : opt::TrialStatus::Feasible;
            o.tell(t);
        }
        const int asks = 3;
        const auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < asks; ++k) {
            const auto x = *o.ask();
            opt::Trial t;
            t.x = x;
            t.objectives = {x[0]};
            t.constraints = {-1};
            t.status = opt::TrialStatus::Feasible;
            o.tell(t);
        }
        const double per = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / asks;
        fmt::print("bayes (GP, 1 constraint GP) at {} observations: {:.3f} s per ask\n", n, per);
    }
    return 0;
}
