#include "optimizers/random_search.hpp"

namespace dynosim::optimizers {

RandomOptions RandomOptions::from(const OptionMap& m) {
    RandomOptions o;
    OptionReader r(m, "random");
    r.read("init", o.init, {"sobol", "lhs", "uniform"});
    r.read("init_points", o.init_points, -1, 1'000'000);
    r.read("max_draws", o.max_draws, 1, 100'000'000);
    r.finish();
    return o;
}

RandomSearch::RandomSearch(const Problem& p, const RandomOptions& o)
    : problem_(p),
      options_(o),
      design_(o.init, p.space.size(), o.init_points < 0 ? p.budget : static_cast<std::size_t>(o.init_points), p.seed) {}

std::optional<Point> RandomSearch::ask() {
    const bool discrete_small = problem_.space.cardinality() < 1e12;
    for (std::int64_t draw = 0; draw < options_.max_draws; ++draw) {
        Point x = problem_.space.from_unit(design_.next());
        if (!problem_.known_ok(x)) continue;
        if (discrete_small && asked_.count(x)) continue;
        asked_.insert(x);
        return x;
    }
    return std::nullopt;  // nothing new found: the space (or its feasible part) is exhausted
}

}  // namespace dynosim::optimizers
