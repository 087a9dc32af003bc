// Random search, the other baseline: `init_points` points of a space-filling design (Sobol or Latin
// hypercube), then uniform random points. Points breaking an a-priori constraint and points already asked
// (a discrete space repeats) are redrawn, up to a limit.
#pragma once
#include <optional>
#include <set>
#include <string>

#include "optimizers/design.hpp"
#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct RandomOptions {
    // Start design: "sobol", "lhs" or "uniform". Default sobol.
    std::string init = "sobol";
    // Points drawn from the start design before plain uniform ones; -1 = the whole budget. Default -1.
    std::int64_t init_points = -1;
    // Draws tried for one new point before giving up (the space may be exhausted). Range >= 1. Default 1000.
    std::int64_t max_draws = 1000;
    static RandomOptions from(const OptionMap& m);
};

class RandomSearch {
public:
    RandomSearch(const Problem& p, const RandomOptions& o);
    std::optional<Point> ask();
    void tell(const Trial&) {}
    std::string_view name() const { return "random"; }
    bool supports_pending() const { return true; }

private:
    Problem problem_;
    RandomOptions options_;
    InitialDesign design_;
    std::set<Point> asked_;
};

}  // namespace dynosim::optimizers
