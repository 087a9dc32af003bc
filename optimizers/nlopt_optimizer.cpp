#include "optimizers/nlopt_optimizer.hpp"

#include <nlopt.hpp>
#include <algorithm>
#include <limits>
#include <random>

namespace dynosim::optimizers {

namespace {
nlopt::algorithm algorithm_of(const std::string& name) {
    if (name == "cobyla") return nlopt::LN_COBYLA;
    if (name == "bobyqa") return nlopt::LN_BOBYQA;
    if (name == "sbplx") return nlopt::LN_SBPLX;
    if (name == "direct") return nlopt::GN_DIRECT_L;
    if (name == "crs2") return nlopt::GN_CRS2_LM;
    return nlopt::GN_ESCH;
}

// Thrown from the callback to stop NLopt at the first point without an answer.
struct NeedPoint {};

struct Ctx {
    const Problem* problem;
    const std::map<Point, Trial>* told;
    NloptOptimizer::Run* run;
    std::optional<Point> need;
};

NloptOptimizer::Answer answer(Ctx& c, const double* x) {
    const std::size_t d = c.problem->space.size();
    Point p = c.problem->space.from_unit(std::vector<double>(x, x + d));
    if (auto it = c.run->memo.find(p); it != c.run->memo.end()) return it->second;
    NloptOptimizer::Answer a;
    auto t = c.told->find(p);
    const double known = c.problem->known_violation ? c.problem->known_violation(p) : 0.0;
    if (t == c.told->end() && known <= 0) {
        c.need = p;
        throw NeedPoint{};
    }
    const double viol = t != c.told->end() ? t->second.violation() : known;
    double g = viol > 0 ? std::min(viol, 1e6) : -1e-9;
    if (t != c.told->end() && t->second.feasible()) {
        // The aggregated signed constraint: how close the tightest constraint is (COBYLA uses the slope).
        for (double gi : t->second.constraints) g = std::max(g, gi);
        if (t->second.constraints.empty()) g = -1;
    }
    if (viol <= 0 && t != c.told->end() && t->second.has_objectives()) {
        a.f = chebyshev(t->second.objectives, c.run->weights, c.run->norm);
        if (!c.run->barrier_set || a.f > c.run->barrier) c.run->barrier = a.f;
        c.run->barrier_set = true;
    } else {
        a.f = (c.run->barrier_set ? c.run->barrier : 0.0) + 1.0 + std::min(viol, 1e6);
    }
    a.c = g;
    c.run->memo[p] = a;
    return a;
}
}  // namespace

NloptOptions NloptOptions::from(const OptionMap& m) {
    NloptOptions o;
    OptionReader r(m, "nlopt");
    r.read("algorithm", o.algorithm, {"cobyla", "bobyqa", "sbplx", "direct", "crs2", "esch"});
    r.read("max_evals_per_run", o.max_evals_per_run, 2, 100'000'000);
    r.read("xtol_rel", o.xtol_rel, 0.0, 1.0);
    r.read("initial_step", o.initial_step, 1e-9, 1.0);
    r.read("population", o.population, 0, 1'000'000);
    r.read("max_idle_runs", o.max_idle_runs, 1, 1'000'000);
    r.finish();
    return o;
}

NloptOptimizer::NloptOptimizer(const Problem& p, const NloptOptions& o)
    : problem_(p),
      options_(o),
      name_(o.algorithm),
      design_("sobol", p.space.size(), 64, p.seed),
      weight_seed_(p.seed ^ 0x5bd1e995ULL) {
    if (o.algorithm == "bobyqa" && p.space.size() < 2)
        throw OptionError("algorithm", "optimizer nlopt: option algorithm = \"bobyqa\": needs at least 2 dimensions");
}

void NloptOptimizer::new_run() {
    Run r;
    if (runs_.empty() && problem_.start.size() == problem_.space.size()) r.start = problem_.space.to_unit(problem_.space.canonical(problem_.start));
    else r.start = design_.next();
    const std::size_t m = problem_.num_objectives;
    r.weights = equal_weights(m);
    if (m > 1 && !runs_.empty()) {
        std::mt19937_64 rng(weight_seed_ + runs_.size());
        std::exponential_distribution<double> e(1.0);
        double s = 0;
        for (auto& w : r.weights) s += (w = e(rng));
        for (auto& w : r.weights) w /= s;
    }
    r.norm = Normalizer::from(told_list_, m);
    runs_.push_back(std::move(r));
}

std::optional<Point> NloptOptimizer::replay() {
    Run& run = runs_.back();
    run.memo.clear();  // answers are recomputed in the same order, so they come out the same
    run.barrier = 0;
    run.barrier_set = false;
    const auto d = static_cast<unsigned>(problem_.space.size());
    nlopt::opt opt(algorithm_of(options_.algorithm), d);
    opt.set_lower_bounds(std::vector<double>(d, 0.0));
    opt.set_upper_bounds(std::vector<double>(d, 1.0));
    opt.set_maxeval(static_cast<int>(options_.max_evals_per_run));
    opt.set_xtol_rel(options_.xtol_rel);
    opt.set_initial_step(options_.initial_step);
    if (options_.population > 0) opt.set_population(static_cast<unsigned>(options_.population));
    Ctx ctx{&problem_, &told_, &run, std::nullopt};
    auto fobj = [](unsigned, const double* x, double*, void* data) {
        return answer(*static_cast<Ctx*>(data), x).f;
    };
    opt.set_min_objective(fobj, &ctx);
    if (options_.algorithm == "cobyla" && problem_.num_constraints > 0) {
        auto fcon = [](unsigned, const double* x, double*, void* data) {
            return answer(*static_cast<Ctx*>(data), x).c;
        };
        opt.add_inequality_constraint(fcon, &ctx, 0.0);
    }
    // Stochastic methods draw from NLopt's generator: reseed it so every replay takes the same path.
    nlopt::srand(problem_.seed * 7919 + runs_.size());
    std::vector<double> x = run.start;
    double f = 0;
    try {
        opt.optimize(x, f);
    } catch (const NeedPoint&) {
    } catch (const nlopt::forced_stop&) {
    } catch (const std::exception&) {
        // roundoff or invalid state: the run is over, whatever it found is told already
    }
    return ctx.need;
}

std::optional<Point> NloptOptimizer::ask() {
    if (runs_.empty()) new_run();
    while (idle_runs_ < options_.max_idle_runs) {
        if (auto p = replay()) {
            idle_runs_ = 0;
            return p;
        }
        // The run ended without needing a new point: start another.
        ++idle_runs_;
        new_run();
    }
    return std::nullopt;
}

void NloptOptimizer::tell(const Trial& t) {
    told_[t.x] = t;
    told_list_.push_back(t);
}

}  // namespace dynosim::optimizers
