// Grid search, the exhaustive baseline: the Cartesian product of each dimension's levels (every value of
// a small discrete dimension, else `levels` evenly spaced ones), with inactive dimensions collapsed and
// points that break an a-priori constraint left out. Shuffled by default so that a budget smaller than the
// grid samples all of it evenly rather than one corner.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct GridOptions {
    // Values per float dimension, and the most values kept of a discrete one. Range 2..1000. Default 5.
    std::int64_t levels = 5;
    // "shuffled" (seeded) or "lexicographic" (first dimension slowest). Default shuffled.
    std::string order = "shuffled";
    // Largest grid accepted before an error asks for fewer levels. Range >= 1. Default 1,000,000.
    std::int64_t max_points = 1'000'000;
    static GridOptions from(const OptionMap& m);
};

// Every distinct point of the grid in lexicographic order (conditions and a-priori constraints applied).
// Throws std::invalid_argument when it would exceed max_points.
std::vector<Point> enumerate_grid(const Problem& p, std::size_t levels, std::size_t max_points);

class GridSearch {
public:
    GridSearch(const Problem& p, const GridOptions& o);
    std::optional<Point> ask();
    void tell(const Trial&) {}
    std::string_view name() const { return "grid"; }
    bool supports_pending() const { return true; }
    std::size_t size() const { return points_.size(); }

private:
    std::vector<Point> points_;
    std::size_t next_ = 0;
};

}  // namespace dynosim::optimizers
