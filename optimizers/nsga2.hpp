// NSGA-II (Deb et al. 2002) in ask/tell form, built from pagmo2's genetic operators (SBX crossover and
// polynomial mutation) and non-dominated sorting. pagmo's own nsga2::evolve() calls the fitness function
// itself, which cannot wait for a simulated trial, so the generational loop lives here: a generation's
// offspring are asked together (they run in parallel), and when all are told, parents + offspring are
// reduced to the next population. Constraints by Deb's constrained domination: feasible points by
// front and crowding, then infeasible ones by total violation; never a penalty added to the objectives.
// Works in the unit cube; integers and categoricals are decoded by rounding.
#pragma once
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct Nsga2Options {
    // Individuals per generation; even. Range 4..10000. Default 20.
    std::int64_t population = 20;
    // SBX crossover probability. Range [0, 1]. Default 0.95 (pagmo's nsga2 default).
    double crossover_prob = 0.95;
    // SBX distribution index. Range [1, 100]. Default 10 (pagmo).
    double eta_c = 10;
    // Per-coordinate mutation probability; -1 = 1 / dimensions. Default -1.
    double mutation_prob = -1;
    // Polynomial mutation distribution index. Range [1, 100]. Default 50 (pagmo).
    double eta_m = 50;
    // First generation: "lhs", "sobol" or "uniform". Default lhs.
    std::string init = "lhs";
    static Nsga2Options from(const OptionMap& m);
};

// Ranks for constrained NSGA-II: front index (feasible first, then infeasible by violation) and crowding.
struct Ranking {
    std::vector<std::size_t> rank;
    std::vector<double> crowding;
};
Ranking rank_trials(const std::vector<Trial>& trials);
// Indices of the n best trials under constrained domination and crowding.
std::vector<std::size_t> select_best(const std::vector<Trial>& trials, std::size_t n);

class Nsga2 {
public:
    Nsga2(const Problem& p, const Nsga2Options& o);
    std::optional<Point> ask();
    void tell(const Trial& t);
    std::string_view name() const { return "nsga2"; }
    bool supports_pending() const { return true; }
    std::size_t generation() const { return generation_; }

private:
    void next_generation();

    Problem problem_;
    Nsga2Options options_;
    std::mt19937 rng_;  // pagmo's operators take its random_engine_type (std::mt19937)
    std::vector<Trial> parents_, offspring_told_;
    std::vector<Point> batch_;
    std::size_t batch_next_ = 0, generation_ = 0;
    std::set<Point> asked_;
};

}  // namespace dynosim::optimizers
