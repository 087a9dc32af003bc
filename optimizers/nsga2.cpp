#include "optimizers/nsga2.hpp"

#include <pagmo/utils/genetic_operators.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include <algorithm>
#include <limits>
#include <numeric>

#include "optimizers/design.hpp"

namespace dynosim::optimizers {

Nsga2Options Nsga2Options::from(const OptionMap& m) {
    Nsga2Options o;
    OptionReader r(m, "nsga2");
    r.read("population", o.population, 4, 10000);
    if (o.population % 2) throw OptionError("population", "optimizer nsga2: option population = " +
                                                              std::to_string(o.population) + ": must be even");
    r.read("crossover_prob", o.crossover_prob, 0.0, 1.0);
    r.read("eta_c", o.eta_c, 1.0, 100.0);
    r.read("mutation_prob", o.mutation_prob, -1.0, 1.0);
    r.read("eta_m", o.eta_m, 1.0, 100.0);
    r.read("init", o.init, {"lhs", "sobol", "uniform"});
    r.finish();
    return o;
}

namespace {
std::vector<std::vector<std::size_t>> fronts_of(const std::vector<std::vector<double>>& objs) {
    if (objs.empty()) return {};
    if (objs.size() == 1) return {{0}};
    const auto fnds = pagmo::fast_non_dominated_sorting(objs);
    std::vector<std::vector<std::size_t>> out;
    for (const auto& f : std::get<0>(fnds)) out.emplace_back(f.begin(), f.end());
    return out;
}

// Crowding distance within one front (boundary points infinite), Deb 2002.
std::vector<double> crowding(const std::vector<std::vector<double>>& objs, const std::vector<std::size_t>& front) {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> d(front.size(), 0.0);
    if (front.size() <= 2) return std::vector<double>(front.size(), inf);
    const std::size_t m = objs[front[0]].size();
    std::vector<std::size_t> idx(front.size());
    for (std::size_t k = 0; k < m; ++k) {
        std::iota(idx.begin(), idx.end(), 0);
        std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return objs[front[a]][k] < objs[front[b]][k]; });
        const double lo = objs[front[idx.front()]][k], hi = objs[front[idx.back()]][k];
        d[idx.front()] = d[idx.back()] = inf;
        if (hi <= lo) continue;
        for (std::size_t j = 1; j + 1 < idx.size(); ++j)
            d[idx[j]] += (objs[front[idx[j + 1]]][k] - objs[front[idx[j - 1]]][k]) / (hi - lo);
    }
    return d;
}
}  // namespace

Ranking rank_trials(const std::vector<Trial>& trials) {
    Ranking r;
    r.rank.assign(trials.size(), 0);
    r.crowding.assign(trials.size(), 0.0);
    std::vector<std::size_t> feas, infeas;
    for (std::size_t i = 0; i < trials.size(); ++i) (trials[i].feasible() ? feas : infeas).push_back(i);
    std::vector<std::vector<double>> objs;
    for (std::size_t i : feas) objs.push_back(trials[i].objectives);
    const auto fronts = fronts_of(objs);
    for (std::size_t f = 0; f < fronts.size(); ++f) {
        const auto cd = crowding(objs, fronts[f]);
        for (std::size_t j = 0; j < fronts[f].size(); ++j) {
            r.rank[feas[fronts[f][j]]] = f;
            r.crowding[feas[fronts[f][j]]] = cd[j];
        }
    }
    std::stable_sort(infeas.begin(), infeas.end(),
                     [&](std::size_t a, std::size_t b) { return trials[a].violation() < trials[b].violation(); });
    for (std::size_t j = 0; j < infeas.size(); ++j) r.rank[infeas[j]] = fronts.size() + j;
    return r;
}

std::vector<std::size_t> select_best(const std::vector<Trial>& trials, std::size_t n) {
    const Ranking r = rank_trials(trials);
    std::vector<std::size_t> idx(trials.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        if (r.rank[a] != r.rank[b]) return r.rank[a] < r.rank[b];
        return r.crowding[a] > r.crowding[b];
    });
    idx.resize(std::min(n, idx.size()));
    return idx;
}

Nsga2::Nsga2(const Problem& p, const Nsga2Options& o) : problem_(p), options_(o), rng_(static_cast<unsigned>(p.seed)) {}

void Nsga2::next_generation() {
    const auto n = static_cast<std::size_t>(options_.population);
    const std::size_t d = problem_.space.size();
    batch_.clear();
    batch_next_ = 0;
    auto accept = [&](const Point& x) {
        if (asked_.count(x)) return false;
        for (const Point& b : batch_)
            if (b == x) return false;
        batch_.push_back(x);
        return true;
    };
    if (generation_ == 0) {
        InitialDesign design(options_.init, d, n, problem_.seed);
        for (int draws = 0; batch_.size() < n && draws < 100 * static_cast<int>(n); ++draws) {
            Point x = problem_.space.from_unit(design.next());
            if (problem_.known_ok(x)) accept(x);
        }
    } else {
        std::vector<Trial> pool = parents_;
        pool.insert(pool.end(), offspring_told_.begin(), offspring_told_.end());
        std::vector<Trial> next;
        for (std::size_t i : select_best(pool, n)) next.push_back(pool[i]);
        parents_ = std::move(next);
        offspring_told_.clear();
        if (parents_.empty()) return;
        const Ranking r = rank_trials(parents_);
        std::uniform_int_distribution<std::size_t> pick(0, parents_.size() - 1);
        auto tournament = [&] {
            const std::size_t a = pick(rng_), b = pick(rng_);
            if (r.rank[a] != r.rank[b]) return r.rank[a] < r.rank[b] ? a : b;
            return r.crowding[a] >= r.crowding[b] ? a : b;
        };
        const std::pair<pagmo::vector_double, pagmo::vector_double> bounds{pagmo::vector_double(d, 0.0),
                                                                            pagmo::vector_double(d, 1.0)};
        const double pm = options_.mutation_prob < 0 ? 1.0 / static_cast<double>(std::max<std::size_t>(d, 1))
                                                     : options_.mutation_prob;
        for (int tries = 0; batch_.size() < n && tries < 50 * static_cast<int>(n); ++tries) {
            auto u1 = problem_.space.to_unit(parents_[tournament()].x);
            auto u2 = problem_.space.to_unit(parents_[tournament()].x);
            auto children = d > 0 ? pagmo::sbx_crossover(u1, u2, bounds, 0, options_.crossover_prob, options_.eta_c, rng_)
                                  : std::make_pair(u1, u2);
            for (auto* c : {&children.first, &children.second}) {
                if (d > 0) pagmo::polynomial_mutation(*c, bounds, 0, pm, options_.eta_m, rng_);
                Point x = problem_.space.from_unit(*c);
                if (problem_.known_ok(x) && batch_.size() < n) accept(x);
            }
        }
    }
    ++generation_;
}

std::optional<Point> Nsga2::ask() {
    if (batch_next_ < batch_.size()) {
        asked_.insert(batch_[batch_next_]);
        return batch_[batch_next_++];
    }
    if (offspring_told_.size() < batch_.size()) return std::nullopt;  // generation still running
    next_generation();
    if (batch_.empty()) return std::nullopt;  // nothing new could be bred: converged on a finite space
    asked_.insert(batch_[0]);
    return batch_[batch_next_++];
}

void Nsga2::tell(const Trial& t) {
    asked_.insert(t.x);
    offspring_told_.push_back(t);
}

}  // namespace dynosim::optimizers
