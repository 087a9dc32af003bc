// Block-coordinate descent as the original DynoSim tunes a deployment: hold every knob but one block (TP
// shape, then worker split, then router setting, ...), try the block's values around the incumbent, move to
// the best (Deb's rules: feasible first), go to the next block; a cycle through all blocks that improves
// nothing has converged, and the search restarts from a random point while budget remains. A block's points
// are independent, so they are asked together and run in parallel.
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::optimizers {

struct CoordDescentOptions {
    // Blocks in visiting order, each a comma-separated list of dimension names (config keys), e.g.
    // ["hardware.tp", "fleet.workers", "router.policy"]. Dimensions left out get a block each, after these.
    // Default: one block per dimension, in study order.
    std::vector<std::string> blocks;
    // Values tried per dimension within a block (all values of a discrete dimension with fewer). Range 2..1000.
    // Default 8.
    std::int64_t points_per_dim = 8;
    // Most points tried in one block; larger products are sampled (seeded). Range >= 1. Default 64.
    std::int64_t max_block_points = 64;
    // Start from "base" (the base scenario's values; centre where not in the space) or "random". Default base.
    std::string start = "base";
    // After convergence, restart from a random point (true) or stop (false). Default true.
    bool restart = true;
    static CoordDescentOptions from(const OptionMap& m);
};

class CoordDescent {
public:
    CoordDescent(const Problem& p, const CoordDescentOptions& o);
    std::optional<Point> ask();
    void tell(const Trial& t);
    std::string_view name() const { return "coord_descent"; }
    bool supports_pending() const { return true; }
    const Point& incumbent() const { return incumbent_; }

private:
    Point random_feasible_point();
    void finish_block();
    void plan_block();
    double scalar(const Trial& t) const;

    Problem problem_;
    CoordDescentOptions options_;
    std::vector<std::vector<std::size_t>> blocks_;
    std::mt19937_64 rng_;
    Point incumbent_;
    std::map<Point, Trial> told_;
    std::set<Point> asked_;
    std::deque<Point> queue_;
    std::vector<Point> block_points_;
    std::size_t outstanding_ = 0;
    std::size_t block_ = 0;
    std::size_t blocks_without_gain_ = 0;
    bool started_ = false, in_block_ = false, finished_ = false;
};

}  // namespace dynosim::optimizers
