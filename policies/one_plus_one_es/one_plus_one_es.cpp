// Optimizer: (1+1) evolution strategy with the 1/5th success rule, in the unit cube of the search space.
// The first point is the study's start (the base scenario) or a random one; each later point is the best so
// far plus Gaussian noise of step `sigma`. A child at least as good replaces the parent and widens the step
// (x1.5); a worse one narrows it (x1.5^-1/4), so about one child in five succeeds at equilibrium. Better
// means: smaller constraint violation, then smaller first objective; failed trials are worst.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dynosim_plugin.hpp"

struct OnePlusOneEs {
    static constexpr ds_param_doc kParams[] = {
        {"sigma", "float", "0.2", "initial step, unit-cube units, in (0, 1]"},
        {"min_sigma", "float", "0.001", "smallest step; it is reset to sigma when reached (restart)"}};

    explicit OnePlusOneEs(const dynosim_plugin::Context& c)
        : rng(c.seed ^ 0x1e5u), sigma0(c.params.get("sigma", 0.2)), min_sigma(c.params.get("min_sigma", 0.001)) {
        if (!(sigma0 > 0 && sigma0 <= 1)) throw std::invalid_argument("parameter sigma must be in (0, 1]");
        if (!(min_sigma > 0 && min_sigma < sigma0)) throw std::invalid_argument("parameter min_sigma must be in (0, sigma)");
        dims.assign(c.dims, c.dims + c.num_dims);
        parent.resize(c.num_dims);
        for (std::uint32_t i = 0; i < c.num_dims; ++i) parent[i] = c.start ? encode(i, c.start[i]) : rng.uniform();
        sigma = sigma0;
    }

    bool ask(double* x, std::uint32_t n) {
        if (n != dims.size()) throw std::invalid_argument("ask: dimension count changed");
        child = parent;
        if (evaluated)
            for (double& u : child) u = std::clamp(u + sigma * rng.normal(), 0.0, 1.0);
        for (std::uint32_t i = 0; i < n; ++i) x[i] = decode(i, child[i]);
        return true;
    }
    void tell(const ds_trial& t) {
        const double v = t.status == DS_TRIAL_FAILED ? std::numeric_limits<double>::infinity() : t.violation;
        const double f = t.num_objectives > 0 && t.objectives ? t.objectives[0] : std::numeric_limits<double>::infinity();
        const bool better = !evaluated || v < parent_violation || (v == parent_violation && f <= parent_f);
        if (!evaluated) {
            evaluated = true;
        } else {
            sigma = better ? std::min(1.0, sigma * 1.5) : sigma * std::pow(1.5, -0.25);
            if (sigma < min_sigma) sigma = sigma0;
        }
        if (better) {
            parent = child;
            parent_violation = v;
            parent_f = f;
        }
    }

    double encode(std::uint32_t i, double v) const {
        const ds_dimension& d = dims[i];
        if (d.kind == DS_DIM_CATEGORICAL || d.kind == DS_DIM_BOOL) return (v - d.low + 0.5) / (d.high - d.low + 1);
        if (d.high <= d.low) return 0.5;
        if (d.log) return (std::log(v) - std::log(d.low)) / (std::log(d.high) - std::log(d.low));
        return (v - d.low) / (d.high - d.low);
    }
    double decode(std::uint32_t i, double u) const {
        const ds_dimension& d = dims[i];
        if (d.kind == DS_DIM_CATEGORICAL || d.kind == DS_DIM_BOOL)
            return std::min(d.high, d.low + std::floor(u * (d.high - d.low + 1)));
        double v = d.log ? std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low)))
                         : d.low + u * (d.high - d.low);
        if (d.kind == DS_DIM_INT) v = std::round(v);
        return std::clamp(v, d.low, d.high);
    }

    dynosim_plugin::Rng rng;
    double sigma0, min_sigma, sigma = 0.2;
    std::vector<ds_dimension> dims;
    std::vector<double> parent, child;
    bool evaluated = false;
    double parent_violation = std::numeric_limits<double>::infinity();
    double parent_f = std::numeric_limits<double>::infinity();
};

DYNOSIM_PLUGIN(OnePlusOneEs, "one_plus_one_es", "1.0", "(1+1) evolution strategy, 1/5th success rule, unit cube")
