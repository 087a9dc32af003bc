#include "optimizers/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "optimizers/bayes.hpp"
#include "optimizers/coord_descent.hpp"
#include "optimizers/grid_search.hpp"
#include "optimizers/nlopt_optimizer.hpp"
#include "optimizers/nsga2.hpp"
#include "optimizers/random_search.hpp"

namespace dynosim::optimizers {

void OptimizerRegistry::add(OptimizerEntry e) {
    if (find(e.name)) throw std::logic_error(fmt::format("optimizer '{}' is registered twice", e.name));
    entries_.push_back(std::move(e));
}

const OptimizerEntry* OptimizerRegistry::find(std::string_view name) const {
    for (const auto& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<std::string> OptimizerRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.emplace_back(e.name);
    return out;
}

Optimizer OptimizerRegistry::make(std::string_view name, const Problem& p, const OptionMap& options) const {
    if (const OptimizerEntry* e = find(name)) return e->make(p, options);
    throw OptionError("name", fmt::format("unknown optimizer '{}'; known: {}", name, fmt::join(names(), ", ")));
}

namespace {
// An NLopt method under its own name: the `algorithm` option is implied.
template <const char* Algo>
Optimizer make_nlopt_named(const Problem& p, const OptionMap& m) {
    if (m.count("algorithm"))
        throw OptionError("algorithm", fmt::format("optimizer {}: option algorithm is implied by the name", Algo));
    OptionMap with = m;
    with["algorithm"] = std::string(Algo);
    return Optimizer(NloptOptimizer(p, NloptOptions::from(with)));
}
constexpr char kCobyla[] = "cobyla", kBobyqa[] = "bobyqa", kSbplx[] = "sbplx", kDirect[] = "direct",
               kCrs2[] = "crs2", kEsch[] = "esch";

std::vector<OptionDoc> nlopt_docs() {
    return {{"max_evals_per_run", "integer", "200", "callback evaluations per run (cached points included)"},
            {"xtol_rel", "float", "1e-3", "relative unit-cube tolerance ending a local run"},
            {"initial_step", "float", "0.25", "first step of local methods, unit-cube units"},
            {"population", "integer", "0", "CRS2/ESCH population (0 = NLopt default)"},
            {"max_idle_runs", "integer", "10", "runs in a row without a new point before finishing"}};
}
}  // namespace

const OptimizerRegistry& builtin_optimizers() {
    static const OptimizerRegistry registry = [] {
        OptimizerRegistry r;
        r.add({"grid", "Cartesian grid of each dimension's levels, shuffled",
               {{"levels", "integer", "5", "values per float dimension / most kept of a discrete one"},
                {"order", "string", "shuffled", "shuffled or lexicographic"},
                {"max_points", "integer", "1000000", "largest grid accepted"}},
               [](const Problem& p, const OptionMap& m) { return Optimizer(GridSearch(p, GridOptions::from(m))); }});
        r.add({"random", "Sobol/LHS start points, then uniform random",
               {{"init", "string", "sobol", "start design: sobol, lhs or uniform"},
                {"init_points", "integer", "-1", "points from the start design (-1 = whole budget)"},
                {"max_draws", "integer", "1000", "draws tried per new point"}},
               [](const Problem& p, const OptionMap& m) { return Optimizer(RandomSearch(p, RandomOptions::from(m))); }});
        r.add({"coord_descent", "block-coordinate descent, one block of knobs at a time (original DynoSim)",
               {{"blocks", "array of strings", "one per dimension", "blocks in order, comma-separated keys each"},
                {"points_per_dim", "integer", "8", "values tried per dimension in a block"},
                {"max_block_points", "integer", "64", "most points per block (sampled beyond)"},
                {"start", "string", "base", "base (scenario values) or random"},
                {"restart", "bool", "true", "restart from a random point after convergence"}},
               [](const Problem& p, const OptionMap& m) {
                   return Optimizer(CoordDescent(p, CoordDescentOptions::from(m)));
               }});
        r.add({"bayes", "Gaussian process (Matern 5/2), constrained EI; ParEGO for several objectives",
               {{"init", "string", "sobol", "start design: sobol, lhs or uniform"},
                {"init_points", "integer", "-1", "start points (-1 = 2d+1 clamped to [5, 20] and budget/4)"},
                {"candidates", "integer", "2000", "random candidates scored per ask"},
                {"local_candidates", "integer", "500", "candidates perturbed around the best trials"},
                {"xi", "float", "0.01", "EI margin in objective standard deviations"},
                {"refit_every", "integer", "1", "refit hyperparameters every N asks"},
                {"fit_evals", "integer", "100", "likelihood evaluations per fit"},
                {"max_fit_points", "integer", "200", "trials the hyperparameters are fitted on"}},
               [](const Problem& p, const OptionMap& m) {
                   return Optimizer(BayesOptimizer(p, BayesOptions::from(m)));
               }});
        r.add({"nsga2", "NSGA-II (pagmo2 SBX, polynomial mutation, non-dominated sorting), constrained domination",
               {{"population", "integer", "20", "individuals per generation (even)"},
                {"crossover_prob", "float", "0.95", "SBX crossover probability"},
                {"eta_c", "float", "10", "SBX distribution index"},
                {"mutation_prob", "float", "-1", "per-coordinate mutation probability (-1 = 1/d)"},
                {"eta_m", "float", "50", "polynomial mutation distribution index"},
                {"init", "string", "lhs", "first generation: lhs, sobol or uniform"}},
               [](const Problem& p, const OptionMap& m) { return Optimizer(Nsga2(p, Nsga2Options::from(m))); }});
        auto docs = nlopt_docs();
        docs.insert(docs.begin(), {"algorithm", "string", "sbplx", "cobyla, bobyqa, sbplx, direct, crs2, esch"});
        r.add({"nlopt", "an NLopt method over the relaxed space with rounding (sequential)", docs,
               [](const Problem& p, const OptionMap& m) {
                   return Optimizer(NloptOptimizer(p, NloptOptions::from(m)));
               }});
        r.add({"cobyla", "NLopt COBYLA: local, linear approximations, outcome constraints native", nlopt_docs(),
               &make_nlopt_named<kCobyla>});
        r.add({"bobyqa", "NLopt BOBYQA: local, quadratic models (>= 2 dimensions)", nlopt_docs(),
               &make_nlopt_named<kBobyqa>});
        r.add({"sbplx", "NLopt Sbplx: local, Nelder-Mead on subspaces", nlopt_docs(), &make_nlopt_named<kSbplx>});
        r.add({"direct", "NLopt DIRECT-L: global, deterministic rectangle division", nlopt_docs(),
               &make_nlopt_named<kDirect>});
        r.add({"crs2", "NLopt CRS2-LM: global, controlled random search", nlopt_docs(), &make_nlopt_named<kCrs2>});
        r.add({"esch", "NLopt ESCH: global, evolutionary", nlopt_docs(), &make_nlopt_named<kEsch>});
        return r;
    }();
    return registry;
}

}  // namespace dynosim::optimizers
