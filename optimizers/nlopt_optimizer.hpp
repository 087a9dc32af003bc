// NLopt's derivative-free methods (COBYLA, BOBYQA, Sbplx, DIRECT, CRS2, ESCH) over the relaxed search space:
// NLopt moves in the continuous unit cube and each point is decoded (rounded) before it is simulated.
// NLopt drives its own loop through a callback, which cannot wait for a simulated trial; so ask() replays
// the current run from its start, answering the callback from what has been told (in NLopt's own order,
// hence the same path), until NLopt asks for a point nobody has evaluated: that is the next ask. The state is
// plain data, so the optimizer copies, and the same seed gives the same points. A run that ends (tolerance,
// evaluation cap) is followed by another from a fresh space-filling start and, for several objectives,
// fresh Chebyshev weights. Scalarization freezes at the start of a run (normalization from the trials seen
// then). Constraints: COBYLA gets the outcome constraints as real inequality constraints; the other methods
// see infeasible points ranked after every feasible point seen so far in the run, by violation (Deb's order
// as a number, not a fixed penalty). Sequential: one trial at a time.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "optimizers/design.hpp"
#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"
#include "optimizers/scalarize.hpp"

namespace dynosim::optimizers {

struct NloptOptions {
    // cobyla, bobyqa, sbplx, direct, crs2, esch. Default sbplx.
    std::string algorithm = "sbplx";
    // Callback evaluations per run (cached points included) before it ends. Range >= 2. Default 200.
    std::int64_t max_evals_per_run = 200;
    // Relative tolerance on the unit-cube point that ends a local run. Range [0, 1]. Default 1e-3.
    double xtol_rel = 1e-3;
    // First step of local methods, in unit-cube units. Range (0, 1]. Default 0.25.
    double initial_step = 0.25;
    // Population of CRS2 / ESCH; 0 = NLopt's default. Range >= 0.
    std::int64_t population = 0;
    // Runs in a row that find no unevaluated point before the optimizer reports that it is finished.
    std::int64_t max_idle_runs = 10;
    static NloptOptions from(const OptionMap& m);
};

class NloptOptimizer {
public:
    NloptOptimizer(const Problem& p, const NloptOptions& o);
    std::optional<Point> ask();
    void tell(const Trial& t);
    std::string_view name() const { return name_; }
    bool supports_pending() const { return false; }

    struct Answer {
        double f = 0, c = 0;  // scalar objective, aggregated signed constraint (COBYLA)
    };
    struct Run {
        std::vector<double> start;
        std::vector<double> weights;
        Normalizer norm;
        double barrier = 0;  // worst feasible scalar seen in this run so far
        bool barrier_set = false;
        std::map<Point, Answer> memo;  // frozen answers, so replays follow the same path
    };

private:
    std::optional<Point> replay();
    void new_run();

    Problem problem_;
    NloptOptions options_;
    std::string name_;
    InitialDesign design_;
    std::uint64_t weight_seed_;
    std::vector<Run> runs_;
    std::map<Point, Trial> told_;
    std::vector<Trial> told_list_;
    std::int64_t idle_runs_ = 0;
};

}  // namespace dynosim::optimizers
