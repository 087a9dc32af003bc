#include "optimizers/gaussian_process.hpp"

#include <nlopt.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

namespace dynosim::optimizers {

namespace {
// Bounds of the log hyperparameters (features live in the unit cube, targets are standardized).
constexpr double kLogLenMin = -4.0, kLogLenMax = 3.0;      // lengthscale 0.018 .. 20
constexpr double kLogSigMin = -3.0, kLogSigMax = 3.0;      // signal variance 0.05 .. 20
constexpr double kLogNoiseMin = -13.8, kLogNoiseMax = -1.0;  // noise variance 1e-6 .. 0.37

std::vector<double> pack(const GpHyper& h) {
    std::vector<double> v = h.log_lengthscale;
    v.push_back(h.log_signal_var);
    v.push_back(h.log_noise_var);
    return v;
}
GpHyper unpack(const std::vector<double>& v, std::size_t groups) {
    GpHyper h;
    h.log_lengthscale.assign(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(groups));
    h.log_signal_var = v[groups];
    h.log_noise_var = v[groups + 1];
    return h;
}
}  // namespace

Eigen::MatrixXd GaussianProcess::scaled(const Eigen::MatrixXd& A, const GpHyper& h) const {
    Eigen::MatrixXd S = A;
    for (Eigen::Index j = 0; j < A.cols(); ++j) S.col(j) /= std::exp(h.log_lengthscale[static_cast<std::size_t>(group_[static_cast<std::size_t>(j)])]);
    return S;
}

Eigen::MatrixXd GaussianProcess::kernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const GpHyper& h) const {
    const Eigen::MatrixXd SA = scaled(A, h), SB = scaled(B, h);
    const Eigen::VectorXd na = SA.rowwise().squaredNorm(), nb = SB.rowwise().squaredNorm();
    Eigen::MatrixXd K = (-2.0 * SA * SB.transpose()).colwise() + na;
    K.rowwise() += nb.transpose();
    const double s2 = std::exp(h.log_signal_var), r5 = std::sqrt(5.0);
    return K.unaryExpr([&](double d2) {
        const double r = std::sqrt(std::max(d2, 0.0));
        return s2 * (1 + r5 * r + 5.0 / 3.0 * r * r) * std::exp(-r5 * r);
    });
}

double GaussianProcess::nll(const GpHyper& h, const Eigen::MatrixXd& X, const Eigen::VectorXd& ys) const {
    Eigen::MatrixXd K = kernel(X, X, h);
    K.diagonal().array() += std::exp(h.log_noise_var) + 1e-9;
    Eigen::LLT<Eigen::MatrixXd> llt(K);
    if (llt.info() != Eigen::Success) return 1e10;
    const Eigen::VectorXd a = llt.solve(ys);
    const double logdet = 2 * llt.matrixLLT().diagonal().array().log().sum();
    return 0.5 * ys.dot(a) + 0.5 * logdet + 0.5 * static_cast<double>(ys.size()) * std::log(2 * M_PI);
}

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<int>& group,
                          int num_groups, const GpHyper* warm, const GpFitOptions& o) {
    group_ = group;
    X_ = X;
    const auto n = static_cast<double>(y.size());
    y_mean_ = y.mean();
    const double var = n > 1 ? (y.array() - y_mean_).square().sum() / (n - 1) : 0.0;
    y_std_ = var > 1e-300 ? std::sqrt(var) : 1.0;
    const Eigen::VectorXd ys = (y.array() - y_mean_) / y_std_;
    const auto groups = static_cast<std::size_t>(num_groups);
    if (warm && warm->log_lengthscale.size() == groups) {
        hyper_ = *warm;
    } else {
        hyper_ = GpHyper{};
        hyper_.log_lengthscale.assign(groups, std::log(0.3));
    }
    if (o.optimize && y.size() >= 3) {
        // Fit on an evenly strided subset: the likelihood's O(n^3) would otherwise dominate every ask.
        const auto rows = static_cast<std::size_t>(X.rows());
        const std::size_t m = std::min(rows, o.max_fit_points);
        Eigen::MatrixXd Xf(static_cast<Eigen::Index>(m), X.cols());
        Eigen::VectorXd yf(static_cast<Eigen::Index>(m));
        for (std::size_t k = 0; k < m; ++k) {
            const auto src = static_cast<Eigen::Index>(k * rows / m);
            Xf.row(static_cast<Eigen::Index>(k)) = X.row(src);
            yf(static_cast<Eigen::Index>(k)) = ys(src);
        }
        struct Ctx {
            const GaussianProcess* gp;
            const Eigen::MatrixXd* X;
            const Eigen::VectorXd* y;
            std::size_t groups;
        } ctx{this, &Xf, &yf, groups};
        nlopt::opt opt(nlopt::LN_SBPLX, static_cast<unsigned>(groups + 2));
        std::vector<double> lo(groups, kLogLenMin), hi(groups, kLogLenMax);
        lo.push_back(kLogSigMin);
        hi.push_back(kLogSigMax);
        lo.push_back(kLogNoiseMin);
        hi.push_back(kLogNoiseMax);
        opt.set_lower_bounds(lo);
        opt.set_upper_bounds(hi);
        opt.set_maxeval(o.max_evals);
        opt.set_xtol_rel(1e-3);
        opt.set_min_objective(
            [](unsigned, const double* x, double*, void* data) {
                const auto* c = static_cast<const Ctx*>(data);
                const std::vector<double> v(x, x + c->groups + 2);
                return c->gp->nll(unpack(v, c->groups), *c->X, *c->y);
            },
            &ctx);
        std::vector<double> x = pack(hyper_);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::clamp(x[i], lo[i], hi[i]);
        double best = 0;
        try {
            opt.optimize(x, best);
        } catch (const nlopt::roundoff_limited&) {
            // x holds the best point found; good enough for a surrogate
        } catch (const std::runtime_error&) {
        }
        hyper_ = unpack(x, groups);
    }
    // Factor the full kernel; if round-off breaks positive definiteness, add noise until it holds.
    for (int attempt = 0; attempt < 8; ++attempt) {
        Eigen::MatrixXd K = kernel(X, X, hyper_);
        K.diagonal().array() += std::exp(hyper_.log_noise_var) + 1e-9;
        Eigen::LLT<Eigen::MatrixXd> llt(K);
        if (llt.info() == Eigen::Success) {
            L_ = llt.matrixL();
            alpha_ = llt.solve(ys);
            return;
        }
        hyper_.log_noise_var += 2;
    }
    L_ = Eigen::MatrixXd::Identity(X.rows(), X.rows());
    alpha_ = ys;
}

void GaussianProcess::predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const {
    const Eigen::MatrixXd Ks = kernel(X_, Xs, hyper_);  // n x m
    mean = (Ks.transpose() * alpha_).array() * y_std_ + y_mean_;
    const Eigen::MatrixXd V = L_.triangularView<Eigen::Lower>().solve(Ks);
    const double s2 = std::exp(hyper_.log_signal_var);
    sd = ((s2 - V.colwise().squaredNorm().array()).max(1e-12)).sqrt().matrix().transpose() * y_std_;
}

}  // namespace dynosim::optimizers
