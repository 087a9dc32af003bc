#include "optimizers/coord_descent.hpp"

#include <algorithm>
#include <sstream>

#include "optimizers/scalarize.hpp"

namespace dynosim::optimizers {

CoordDescentOptions CoordDescentOptions::from(const OptionMap& m) {
    CoordDescentOptions o;
    OptionReader r(m, "coord_descent");
    r.read("blocks", o.blocks);
    r.read("points_per_dim", o.points_per_dim, 2, 1000);
    r.read("max_block_points", o.max_block_points, 1, 1'000'000);
    r.read("start", o.start, {"base", "random"});
    r.read("restart", o.restart);
    r.finish();
    return o;
}

CoordDescent::CoordDescent(const Problem& p, const CoordDescentOptions& o)
    : problem_(p), options_(o), rng_(p.seed) {
    const auto& dims = p.space.dims();
    std::vector<bool> used(dims.size(), false);
    for (const std::string& spec : o.blocks) {
        std::vector<std::size_t> block;
        std::stringstream ss(spec);
        for (std::string name; std::getline(ss, name, ',');) {
            name.erase(0, name.find_first_not_of(' '));
            name.erase(name.find_last_not_of(' ') + 1);
            auto it = std::find_if(dims.begin(), dims.end(), [&](const Dimension& d) { return d.name == name; });
            if (it == dims.end())
                throw OptionError("blocks", "optimizer coord_descent: option blocks names '" + name +
                                                "', which is not a dimension of the study");
            const auto i = static_cast<std::size_t>(it - dims.begin());
            if (used[i])
                throw OptionError("blocks", "optimizer coord_descent: option blocks names '" + name + "' twice");
            used[i] = true;
            block.push_back(i);
        }
        if (!block.empty()) blocks_.push_back(block);
    }
    for (std::size_t i = 0; i < dims.size(); ++i)
        if (!used[i]) blocks_.push_back({i});
    if (o.start == "base" && p.start.size() == dims.size()) {
        incumbent_ = p.space.canonical(p.start);
    } else if (o.start == "base") {
        std::vector<double> centre(dims.size(), 0.5);
        incumbent_ = p.space.from_unit(centre);
    } else {
        incumbent_ = random_feasible_point();
    }
    if (!p.known_ok(incumbent_)) incumbent_ = random_feasible_point();
}

Point CoordDescent::random_feasible_point() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Point x;
    for (int tries = 0; tries < 10000; ++tries) {
        std::vector<double> c(problem_.space.size());
        for (auto& v : c) v = u(rng_);
        x = problem_.space.from_unit(c);
        if (problem_.known_ok(x) && !asked_.count(x)) return x;
    }
    return x;
}

double CoordDescent::scalar(const Trial& t) const {
    if (!t.has_objectives()) return 0;
    std::vector<Trial> all;
    all.reserve(told_.size());
    for (const auto& kv : told_) all.push_back(kv.second);
    return chebyshev(t.objectives, equal_weights(problem_.num_objectives),
                     Normalizer::from(all, problem_.num_objectives));
}

void CoordDescent::plan_block() {
    const auto& block = blocks_[block_ % blocks_.size()];
    std::vector<std::vector<double>> values;
    double product = 1;
    for (std::size_t i : block) {
        values.push_back(problem_.space.levels(i, static_cast<std::size_t>(options_.points_per_dim)));
        product *= static_cast<double>(values.back().size());
    }
    std::vector<Point> pts;
    auto make = [&](const std::vector<std::size_t>& idx) {
        Point x = incumbent_;
        for (std::size_t k = 0; k < block.size(); ++k) x[block[k]] = values[k][idx[k]];
        return problem_.space.canonical(std::move(x));
    };
    std::vector<std::size_t> idx(block.size(), 0);
    if (product <= static_cast<double>(options_.max_block_points)) {
        while (true) {
            pts.push_back(make(idx));
            std::size_t k = block.size();
            bool done = true;
            while (k > 0) {
                --k;
                if (++idx[k] < values[k].size()) {
                    done = false;
                    break;
                }
                idx[k] = 0;
            }
            if (done) break;
        }
    } else {
        for (std::int64_t n = 0; n < options_.max_block_points; ++n) {
            for (std::size_t k = 0; k < block.size(); ++k)
                idx[k] = std::uniform_int_distribution<std::size_t>(0, values[k].size() - 1)(rng_);
            pts.push_back(make(idx));
        }
    }
    block_points_.clear();
    std::set<Point> seen;
    for (Point& x : pts) {
        if (!problem_.known_ok(x) || !seen.insert(x).second) continue;
        block_points_.push_back(x);
        if (!told_.count(x) && !asked_.count(x)) queue_.push_back(x);
    }
    in_block_ = true;
}

void CoordDescent::finish_block() {
    in_block_ = false;
    auto key = [&](const Point& x) -> std::pair<double, double> {
        auto it = told_.find(x);
        if (it == told_.end()) return {std::numeric_limits<double>::infinity(), 0.0};
        return {it->second.violation(), scalar(it->second)};
    };
    Point best = incumbent_;
    auto [bv, bs] = key(best);
    for (const Point& x : block_points_) {
        auto [v, s] = key(x);
        if (deb_better(v, s, bv, bs)) {
            best = x;
            bv = v;
            bs = s;
        }
    }
    if (best != incumbent_) {
        incumbent_ = best;
        blocks_without_gain_ = 0;
    } else {
        ++blocks_without_gain_;
    }
    ++block_;
}

std::optional<Point> CoordDescent::ask() {
    if (!started_) {
        started_ = true;
        queue_.push_back(incumbent_);
    }
    for (int guard = 0; guard < 100000 && !finished_; ++guard) {
        while (!queue_.empty()) {
            Point x = queue_.front();
            queue_.pop_front();
            if (told_.count(x) || asked_.count(x)) continue;
            asked_.insert(x);
            ++outstanding_;
            return x;
        }
        if (outstanding_ > 0) return std::nullopt;  // wait for the block's results
        if (in_block_) finish_block();
        if (blocks_without_gain_ >= blocks_.size()) {
            // Converged: every block tried around the incumbent without a gain.
            if (!options_.restart) {
                finished_ = true;
                break;
            }
            incumbent_ = random_feasible_point();
            if (asked_.count(incumbent_)) {
                finished_ = true;  // no unasked feasible point found: the space is exhausted
                break;
            }
            blocks_without_gain_ = 0;
            queue_.push_back(incumbent_);
            continue;
        }
        plan_block();
    }
    return std::nullopt;
}

void CoordDescent::tell(const Trial& t) {
    told_[t.x] = t;
    if (asked_.count(t.x) && outstanding_ > 0) --outstanding_;
}

}  // namespace dynosim::optimizers
