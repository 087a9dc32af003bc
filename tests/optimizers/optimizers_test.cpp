// Every registered optimizer on small analytic problems: finds the optimum within its budget, respects
// bounds, integrality, conditions and a-priori constraints, and is deterministic for its seed.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "optimizers/registry.hpp"
#include "optimizers/nsga2.hpp"
#include "optimizers/random_search.hpp"
#include "optimizers/scalarize.hpp"

using namespace dynosim::optimizers;

namespace {
// x0 int in [0, 20], x1 float in [-2, 2], x2 categorical {a, b, c}: minimum 0 at (7, 1.0, b).
Problem analytic(std::uint64_t seed, std::size_t budget) {
    Problem p;
    p.space = Space({{"n", DimKind::Int, 0, 20, false, {}},
                     {"x", DimKind::Float, -2, 2, false, {}},
                     {"c", DimKind::Categorical, 0, 2, false, {}}});
    p.seed = seed;
    p.budget = budget;
    return p;
}
double f(const Point& x) { return std::pow((x[0] - 7) / 20, 2) + std::pow(x[1] - 1.0, 2) / 4 + (x[2] == 1 ? 0 : 0.3); }

Trial evaluate(const Problem& p, const Point& x, std::uint64_t id) {
    Trial t;
    t.id = id;
    t.x = x;
    t.objectives = {f(x)};
    t.status = TrialStatus::Feasible;
    if (p.num_constraints) {
        t.constraints = {x[0] - 12};  // outcome constraint n <= 12 (the optimum satisfies it)
        if (t.constraints[0] > 0) t.status = TrialStatus::Infeasible;
    }
    return t;
}

struct Run {
    std::vector<Point> points;
    double best = 1e9;
};
Run drive(Optimizer o, const Problem& p, std::size_t budget) {
    Run r;
    std::vector<Point> pending;
    for (std::size_t k = 0; k < budget; ++k) {
        auto x = o.ask();
        if (!x) {
            if (pending.empty()) break;
            const Trial t = evaluate(p, pending.front(), k);
            pending.erase(pending.begin());
            o.tell(t);
            --k;
            continue;
        }
        r.points.push_back(*x);
        pending.push_back(*x);
        // Tell in ask order, keeping up to 4 pending when the optimizer allows it.
        while (!pending.empty() && (!o.supports_pending() || pending.size() >= 4)) {
            const Trial t = evaluate(p, pending.front(), k);
            if (t.feasible()) r.best = std::min(r.best, t.objectives[0]);
            pending.erase(pending.begin());
            o.tell(t);
        }
    }
    for (const auto& x : r.points) {
        const Trial t = evaluate(p, x, 0);
        if (t.feasible()) r.best = std::min(r.best, t.objectives[0]);
    }
    return r;
}
}  // namespace

TEST_CASE("every optimizer finds the optimum of a small mixed problem within its budget", "[optimizers]") {
    for (const auto& e : builtin_optimizers().entries()) {
        DYNAMIC_SECTION("optimizer " << e.name) {
            const std::size_t budget = 120;
            const Problem p = analytic(3, budget);
            const Run r = drive(builtin_optimizers().make(e.name, p, {}), p, budget);
            REQUIRE(!r.points.empty());
            for (const Point& x : r.points) {
                CHECK(x[0] >= 0);
                CHECK(x[0] <= 20);
                CHECK(x[0] == std::round(x[0]));
                CHECK(x[1] >= -2);
                CHECK(x[1] <= 2);
                CHECK((x[2] == 0 || x[2] == 1 || x[2] == 2));
            }
            // Within 0.05 of the optimum 0 (the categorical wrong costs 0.3, the integer off by 3 costs 0.0225).
            CHECK(r.best < 0.05);
        }
    }
}

TEST_CASE("optimizers never propose points that break a-priori constraints and honour conditions", "[optimizers]") {
    Problem p;
    // x1 is active only when x0 == 1; known constraint: n + m <= 10.
    p.space = Space({{"mode", DimKind::Categorical, 0, 1, false, {}},
                     {"extra", DimKind::Int, 1, 8, false, Condition{0, {1}}},
                     {"n", DimKind::Int, 1, 10, false, {}},
                     {"m", DimKind::Int, 1, 10, false, {}}});
    p.known_violation = [](const Point& x) { return std::max(0.0, x[2] + x[3] - 10); };
    p.budget = 40;
    for (const char* name : {"grid", "random", "coord_descent", "bayes", "nsga2"}) {
        DYNAMIC_SECTION("optimizer " << name) {
            Optimizer o = builtin_optimizers().make(name, p, {});
            for (int k = 0; k < 40; ++k) {
                auto x = o.ask();
                if (!x) break;
                CHECK(x->at(2) + x->at(3) <= 10);
                if (x->at(0) == 0) CHECK(x->at(1) == 1);  // inactive: canonical low value
                Trial t;
                t.x = *x;
                t.status = TrialStatus::Feasible;
                t.objectives = {x->at(2) - x->at(3) + x->at(1)};
                o.tell(t);
            }
        }
    }
}

TEST_CASE("the same seed gives the same points and another seed different ones", "[optimizers]") {
    for (const char* name : {"random", "bayes", "nsga2", "crs2"}) {
        DYNAMIC_SECTION("optimizer " << name) {
            const Problem p1 = analytic(11, 30), p2 = analytic(12, 30);
            const Run a = drive(builtin_optimizers().make(name, p1, {}), p1, 30);
            const Run b = drive(builtin_optimizers().make(name, p1, {}), p1, 30);
            const Run c = drive(builtin_optimizers().make(name, p2, {}), p2, 30);
            CHECK(a.points == b.points);
            CHECK(a.points != c.points);
        }
    }
}

TEST_CASE("infeasible trials steer constrained optimizers to the feasible optimum", "[optimizers]") {
    for (const char* name : {"bayes", "nsga2", "cobyla", "coord_descent"}) {
        DYNAMIC_SECTION("optimizer " << name) {
            Problem p = analytic(5, 100);
            p.num_constraints = 1;
            const Run r = drive(builtin_optimizers().make(name, p, {}), p, 100);
            CHECK(r.best < 0.05);
        }
    }
}

TEST_CASE("an unknown optimizer or option is an error naming it", "[optimizers]") {
    const Problem p = analytic(0, 10);
    CHECK_THROWS_WITH(builtin_optimizers().make("simulated_annealing", p, {}),
                      Catch::Contains("unknown optimizer 'simulated_annealing'") && Catch::Contains("bayes"));
    CHECK_THROWS_WITH(builtin_optimizers().make("bayes", p, {{"xii", 0.1}}), Catch::Contains("unknown option 'xii'"));
    CHECK_THROWS_WITH(builtin_optimizers().make("nsga2", p, {{"population", std::int64_t{5}}}),
                      Catch::Contains("population = 5: must be even"));
    CHECK_THROWS_WITH(builtin_optimizers().make("grid", p, {{"levels", std::int64_t{1}}}),
                      Catch::Contains("levels = 1: must be in [2, 1000]"));
}

TEST_CASE("the optimizer wrapper copies its strategy and exposes it", "[optimizers]") {
    const Problem p = analytic(1, 10);
    Optimizer a = builtin_optimizers().make("random", p, {});
    (void)a.ask();
    Optimizer b = a;  // clone: both continue from the same state
    CHECK(a.ask() == b.ask());
    CHECK(a.extract<RandomSearch>() != nullptr);
    CHECK(a.extract<Nsga2>() == nullptr);
}
