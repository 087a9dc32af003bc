// Ranking finished trials the same way in every optimizer: Deb's feasibility rules (a feasible trial beats
// an infeasible one; two infeasible ones compare by total violation; two feasible ones by objective), and
// for several objectives an augmented Chebyshev scalarization over objectives normalized to the observed
// [ideal, nadir] box (ParEGO's, Knowles 2006: rho = 0.05).
#pragma once
#include <vector>

#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct Normalizer {
    std::vector<double> ideal, nadir;  // per objective, over the trials seen; empty = identity
    static Normalizer from(const std::vector<Trial>& trials, std::size_t num_objectives);
    double normalize(std::size_t i, double f) const;
};

// Weighted augmented Chebyshev value of a trial's objectives (lower is better).
double chebyshev(const std::vector<double>& objectives, const std::vector<double>& weights, const Normalizer& n,
                 double rho = 0.05);

// Deb's rule on (violation, scalar): true when a is strictly better than b.
bool deb_better(double violation_a, double scalar_a, double violation_b, double scalar_b);

// Equal weights, 1/m each.
std::vector<double> equal_weights(std::size_t m);

}  // namespace dynosim::optimizers
