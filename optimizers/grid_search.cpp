#include "optimizers/grid_search.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

namespace dynosim::optimizers {

GridOptions GridOptions::from(const OptionMap& m) {
    GridOptions o;
    OptionReader r(m, "grid");
    r.read("levels", o.levels, 2, 1000);
    r.read("order", o.order, {"shuffled", "lexicographic"});
    r.read("max_points", o.max_points, 1, 100'000'000);
    r.finish();
    return o;
}

std::vector<Point> enumerate_grid(const Problem& p, std::size_t levels, std::size_t max_points) {
    const Space& s = p.space;
    std::vector<std::vector<double>> values(s.size());
    double product = 1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        values[i] = s.levels(i, levels);
        product *= static_cast<double>(values[i].size());
    }
    if (product > static_cast<double>(max_points))
        throw std::invalid_argument("grid has " + std::to_string(static_cast<long long>(product)) +
                                    " points, more than max_points = " + std::to_string(max_points) +
                                    "; lower `levels` or narrow the space");
    std::vector<Point> out;
    std::set<Point> seen;
    std::vector<std::size_t> idx(s.size(), 0);
    while (true) {
        Point x(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) x[i] = values[i][idx[i]];
        x = s.canonical(std::move(x));
        if (p.known_ok(x) && seen.insert(x).second) out.push_back(x);
        // Mixed-radix increment, last dimension fastest.
        std::size_t i = s.size();
        while (i > 0) {
            --i;
            if (++idx[i] < values[i].size()) break;
            idx[i] = 0;
            if (i == 0) return out;
        }
        if (s.size() == 0) return out;
    }
}

GridSearch::GridSearch(const Problem& p, const GridOptions& o)
    : points_(enumerate_grid(p, static_cast<std::size_t>(o.levels), static_cast<std::size_t>(o.max_points))) {
    if (o.order == "shuffled") {
        std::mt19937_64 rng(p.seed);
        std::shuffle(points_.begin(), points_.end(), rng);
    }
}

std::optional<Point> GridSearch::ask() {
    if (next_ >= points_.size()) return std::nullopt;
    return points_[next_++];
}

}  // namespace dynosim::optimizers
