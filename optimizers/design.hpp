// Space-filling start points shared by the optimizers: Sobol (Boost's sobol engine, Joe-Kuo direction
// numbers; scrambled by a seeded random shift so repeats differ), Latin hypercube (one point per stratum in
// every dimension, strata paired at random) or plain uniform. Points are in the unit cube; Space decodes.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dynosim::optimizers {

class InitialDesign {
public:
    // kind: "sobol", "lhs" or "uniform"; `count` points are planned (LHS needs it up front), further
    // next() calls continue with uniform points.
    InitialDesign(std::string kind, std::size_t dims, std::size_t count, std::uint64_t seed);
    std::vector<double> next();
    const std::string& kind() const { return kind_; }

private:
    std::string kind_;
    std::size_t dims_, count_, drawn_ = 0;
    std::mt19937_64 rng_;
    std::vector<double> shift_;                // Sobol: Cranley-Patterson rotation
    std::vector<std::vector<double>> lhs_;     // LHS: the planned points
    std::uint64_t sobol_index_ = 0;
};

}  // namespace dynosim::optimizers
