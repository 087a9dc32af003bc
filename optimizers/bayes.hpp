// Bayesian optimization: a Gaussian process (gaussian_process.hpp) over the trials told so far, and the
// next point the candidate with the highest acquisition. One objective: expected improvement over the best
// feasible value times the probability that every outcome constraint holds (each constraint its own GP;
// Gardner et al. 2014); while nothing is feasible, the probability of feasibility alone. Several objectives:
// ParEGO (Knowles 2006), a fresh random weight vector per ask scalarizing the normalized objectives by
// augmented Chebyshev. Integers and categoricals are handled by rounding inside the acquisition: candidates
// are decoded (rounded) points, featurized with categoricals one-hot. Pending points enter the objective GP
// at their predicted mean (kriging believer), so parallel asks spread out.
#pragma once
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "optimizers/design.hpp"
#include "optimizers/gaussian_process.hpp"
#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct BayesOptions {
    // Start design before the GP takes over: "sobol", "lhs" or "uniform". Default sobol.
    std::string init = "sobol";
    // Start points; -1 = auto: 2 x dimensions + 1, clamped to [5, 20] and to a quarter of the budget (>= 2).
    std::int64_t init_points = -1;
    // Random candidates scored per ask. Range 10..1,000,000. Default 2000.
    std::int64_t candidates = 2000;
    // Extra candidates perturbed around the best trials (Gaussian, sd 0.1 of each unit range). Default 500.
    std::int64_t local_candidates = 500;
    // EI margin in standard deviations of the objective: larger explores more. Range >= 0. Default 0.01.
    double xi = 0.01;
    // Refit the hyperparameters every this many asks (warm-started between). Range >= 1. Default 1.
    std::int64_t refit_every = 1;
    // Likelihood evaluations per hyperparameter fit. Range >= 1. Default 100.
    std::int64_t fit_evals = 100;
    // Trials the hyperparameters are fitted on (evenly strided subset). Range >= 3. Default 200.
    std::int64_t max_fit_points = 200;
    static BayesOptions from(const OptionMap& m);
};

class BayesOptimizer {
public:
    BayesOptimizer(const Problem& p, const BayesOptions& o);
    std::optional<Point> ask();
    void tell(const Trial& t);
    std::string_view name() const { return "bayes"; }
    bool supports_pending() const { return true; }

private:
    Eigen::MatrixXd features(const std::vector<Point>& pts) const;
    std::optional<Point> design_point();

    Problem problem_;
    BayesOptions options_;
    InitialDesign design_;
    std::mt19937_64 rng_;
    std::vector<Trial> told_;
    std::vector<Point> pending_;
    std::set<Point> asked_;
    std::size_t init_points_ = 0, asks_ = 0;
    std::vector<int> group_;
    int num_features_ = 0;
    std::vector<GpHyper> warm_;  // objective, then one per constraint
};

}  // namespace dynosim::optimizers
