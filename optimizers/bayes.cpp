#include "optimizers/bayes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "optimizers/scalarize.hpp"

namespace dynosim::optimizers {

namespace {
double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double norm_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }
}  // namespace

BayesOptions BayesOptions::from(const OptionMap& m) {
    BayesOptions o;
    OptionReader r(m, "bayes");
    r.read("init", o.init, {"sobol", "lhs", "uniform"});
    r.read("init_points", o.init_points, -1, 100'000);
    r.read("candidates", o.candidates, 10, 1'000'000);
    r.read("local_candidates", o.local_candidates, 0, 1'000'000);
    r.read("xi", o.xi, 0.0, 100.0);
    r.read("refit_every", o.refit_every, 1, 1'000'000);
    r.read("fit_evals", o.fit_evals, 1, 100'000);
    r.read("max_fit_points", o.max_fit_points, 3, 100'000);
    r.finish();
    return o;
}

static std::size_t auto_init(const Problem& p, std::int64_t requested) {
    if (requested >= 0) return static_cast<std::size_t>(requested);
    std::size_t n = std::clamp<std::size_t>(2 * p.space.size() + 1, 5, 20);
    return std::max<std::size_t>(2, std::min(n, p.budget / 4));
}

BayesOptimizer::BayesOptimizer(const Problem& p, const BayesOptions& o)
    : problem_(p),
      options_(o),
      design_(o.init, p.space.size(), auto_init(p, o.init_points), p.seed),
      rng_(p.seed ^ 0x9e3779b97f4a7c15ULL),
      init_points_(auto_init(p, o.init_points)) {
    const auto& dims = p.space.dims();
    for (std::size_t i = 0; i < dims.size(); ++i) {
        const int width = dims[i].kind == DimKind::Categorical ? static_cast<int>(dims[i].cardinality()) : 1;
        for (int k = 0; k < width; ++k) group_.push_back(static_cast<int>(i));
        num_features_ += width;
    }
}

Eigen::MatrixXd BayesOptimizer::features(const std::vector<Point>& pts) const {
    const auto& dims = problem_.space.dims();
    Eigen::MatrixXd F = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(pts.size()), num_features_);
    for (std::size_t r = 0; r < pts.size(); ++r) {
        Eigen::Index c = 0;
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (dims[i].kind == DimKind::Categorical) {
                // One-hot scaled so two different choices are at distance 1, like the ends of a unit range.
                const auto k = static_cast<Eigen::Index>(pts[r][i] - dims[i].low);
                F(static_cast<Eigen::Index>(r), c + k) = std::sqrt(0.5);
                c += static_cast<Eigen::Index>(dims[i].cardinality());
            } else if (dims[i].kind == DimKind::Bool) {
                F(static_cast<Eigen::Index>(r), c++) = pts[r][i];
            } else {
                F(static_cast<Eigen::Index>(r), c++) = problem_.space.to_unit(i, pts[r][i]);
            }
        }
    }
    return F;
}

std::optional<Point> BayesOptimizer::design_point() {
    for (int draw = 0; draw < 10000; ++draw) {
        Point x = problem_.space.from_unit(design_.next());
        if (problem_.known_ok(x) && !asked_.count(x)) return x;
    }
    return std::nullopt;
}

std::optional<Point> BayesOptimizer::ask() {
    ++asks_;
    std::vector<const Trial*> data;
    for (const Trial& t : told_)
        if (t.has_objectives()) data.push_back(&t);
    std::optional<Point> x;
    if (asked_.size() < init_points_ || data.size() < 2) {
        x = design_point();
    } else {
        const std::size_t n = data.size(), m = problem_.num_objectives;
        // Scalar target: the objective, or ParEGO's Chebyshev value under a fresh random weight vector.
        std::vector<double> w(m, 1.0);
        if (m > 1) {
            std::vector<double> cuts(m - 1);
            std::uniform_real_distribution<double> u(0.0, 1.0);
            for (auto& c : cuts) c = u(rng_);
            std::sort(cuts.begin(), cuts.end());
            double prev = 0;
            for (std::size_t i = 0; i + 1 < m; ++i) {
                w[i] = cuts[i] - prev;
                prev = cuts[i];
            }
            w[m - 1] = 1 - prev;
        }
        const Normalizer norm = Normalizer::from(told_, m);
        std::vector<Point> pts;
        Eigen::VectorXd y(static_cast<Eigen::Index>(n));
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < n; ++k) {
            pts.push_back(data[k]->x);
            y(static_cast<Eigen::Index>(k)) = chebyshev(data[k]->objectives, w, norm);
            if (data[k]->feasible()) best = std::min(best, y(static_cast<Eigen::Index>(k)));
        }
        const Eigen::MatrixXd X = features(pts);
        GpFitOptions fo;
        fo.optimize = (asks_ % static_cast<std::size_t>(options_.refit_every)) == 0 || warm_.empty();
        fo.max_evals = static_cast<int>(options_.fit_evals);
        fo.max_fit_points = static_cast<std::size_t>(options_.max_fit_points);
        warm_.resize(1 + problem_.num_constraints);
        GaussianProcess gp;
        gp.fit(X, y, group_, static_cast<int>(problem_.space.size()), warm_[0].log_lengthscale.empty() ? nullptr : &warm_[0], fo);
        warm_[0] = gp.hyper();
        if (!pending_.empty()) {
            // Kriging believer: pretend pending points returned their predicted mean, refit without
            // re-optimizing the hyperparameters.
            Eigen::VectorXd pm, ps;
            const Eigen::MatrixXd P = features(pending_);
            gp.predict(P, pm, ps);
            Eigen::MatrixXd X2(X.rows() + P.rows(), X.cols());
            X2 << X, P;
            Eigen::VectorXd y2(y.size() + pm.size());
            y2 << y, pm;
            GpFitOptions keep = fo;
            keep.optimize = false;
            GaussianProcess believer;
            believer.fit(X2, y2, group_, static_cast<int>(problem_.space.size()), &warm_[0], keep);
            gp = believer;
        }
        std::vector<GaussianProcess> cgp(problem_.num_constraints);
        for (std::size_t j = 0; j < problem_.num_constraints; ++j) {
            Eigen::VectorXd g(static_cast<Eigen::Index>(n));
            for (std::size_t k = 0; k < n; ++k) g(static_cast<Eigen::Index>(k)) = data[k]->constraints[j];
            cgp[j].fit(X, g, group_, static_cast<int>(problem_.space.size()),
                       warm_[1 + j].log_lengthscale.empty() ? nullptr : &warm_[1 + j], fo);
            warm_[1 + j] = cgp[j].hyper();
        }
        // Candidates: uniform points plus perturbations of the best trials, decoded (rounded) and new.
        std::vector<std::size_t> order(n);
        for (std::size_t k = 0; k < n; ++k) order[k] = k;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const double va = data[a]->violation(), vb = data[b]->violation();
            if ((va <= 0) != (vb <= 0)) return va <= 0;
            if (va > 0) return va < vb;
            return y(static_cast<Eigen::Index>(a)) < y(static_cast<Eigen::Index>(b));
        });
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::normal_distribution<double> gauss(0.0, 0.1);
        std::vector<Point> cand;
        std::set<Point> seen;
        const std::size_t d = problem_.space.size();
        auto consider = [&](const std::vector<double>& unit) {
            Point c = problem_.space.from_unit(unit);
            if (!problem_.known_ok(c) || asked_.count(c) || !seen.insert(c).second) return;
            cand.push_back(std::move(c));
        };
        for (std::int64_t k = 0; k < options_.candidates; ++k) {
            std::vector<double> unit(d);
            for (auto& v : unit) v = u(rng_);
            consider(unit);
        }
        const std::size_t top = std::min<std::size_t>(5, n);
        for (std::int64_t k = 0; k < options_.local_candidates; ++k) {
            std::vector<double> unit = problem_.space.to_unit(data[order[static_cast<std::size_t>(k) % top]]->x);
            // Perturb about half the coordinates so that single-knob moves are common.
            for (auto& v : unit)
                if (u(rng_) < 0.5) v = std::clamp(v + gauss(rng_), 0.0, 1.0);
            consider(unit);
        }
        if (!cand.empty()) {
            const Eigen::MatrixXd C = features(cand);
            Eigen::VectorXd mu, sd;
            gp.predict(C, mu, sd);
            Eigen::VectorXd pof = Eigen::VectorXd::Ones(C.rows());
            for (auto& c : cgp) {
                Eigen::VectorXd gm, gs;
                c.predict(C, gm, gs);
                for (Eigen::Index k = 0; k < C.rows(); ++k) pof(k) *= norm_cdf(-gm(k) / std::max(gs(k), 1e-12));
            }
            const double margin = options_.xi * gp.y_scale();
            Eigen::Index arg = 0;
            double best_a = -1;
            for (Eigen::Index k = 0; k < C.rows(); ++k) {
                double a = pof(k);
                if (std::isfinite(best)) {
                    const double s = std::max(sd(k), 1e-12), imp = best - mu(k) - margin, z = imp / s;
                    a *= imp * norm_cdf(z) + s * norm_pdf(z);
                }
                if (a > best_a) {
                    best_a = a;
                    arg = k;
                }
            }
            if (best_a <= 0) {
                // EI underflowed everywhere: fall back to the lowest confidence bound.
                double lcb = std::numeric_limits<double>::infinity();
                for (Eigen::Index k = 0; k < C.rows(); ++k)
                    if (mu(k) - 2 * sd(k) < lcb) {
                        lcb = mu(k) - 2 * sd(k);
                        arg = k;
                    }
            }
            x = cand[static_cast<std::size_t>(arg)];
        } else {
            x = design_point();
        }
    }
    if (x) {
        asked_.insert(*x);
        pending_.push_back(*x);
    }
    return x;
}

void BayesOptimizer::tell(const Trial& t) {
    told_.push_back(t);
    asked_.insert(t.x);
    auto it = std::find(pending_.begin(), pending_.end(), t.x);
    if (it != pending_.end()) pending_.erase(it);
}

}  // namespace dynosim::optimizers
