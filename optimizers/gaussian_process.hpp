// Gaussian-process regression for the Bayesian optimizer: Matern 5/2 kernel with one lengthscale per
// group of input features (a numeric dimension is one feature, a categorical one its one-hot block),
// signal and noise variances, all fitted by maximizing the log marginal likelihood (NLopt Sbplx on log
// parameters, warm-started from the previous fit). Targets are standardized internally; predictions come
// back in the caller's units.
#pragma once
#include <Eigen/Dense>
#include <cstddef>
#include <vector>

namespace dynosim::optimizers {

struct GpHyper {
    std::vector<double> log_lengthscale;  // one per group, in feature units (unit cube)
    double log_signal_var = 0;            // of the standardized target
    double log_noise_var = -9;            // of the standardized target; the simulator is deterministic
};

struct GpFitOptions {
    bool optimize = true;            // fit hyperparameters (false: keep the warm start)
    int max_evals = 100;             // likelihood evaluations of one fit
    std::size_t max_fit_points = 200;  // hyperparameters are fitted on an evenly strided subset this large
};

class GaussianProcess {
public:
    // group[j]: lengthscale index of feature column j; num_groups lengthscales. `warm` may be null.
    void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<int>& group, int num_groups,
             const GpHyper* warm, const GpFitOptions& o);
    void predict(const Eigen::MatrixXd& Xs, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const;
    const GpHyper& hyper() const { return hyper_; }
    double y_scale() const { return y_std_; }
    // Negative log marginal likelihood of standardized targets (exposed for tests).
    double nll(const GpHyper& h, const Eigen::MatrixXd& X, const Eigen::VectorXd& ys) const;

private:
    Eigen::MatrixXd kernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, const GpHyper& h) const;
    Eigen::MatrixXd scaled(const Eigen::MatrixXd& A, const GpHyper& h) const;

    std::vector<int> group_;
    GpHyper hyper_;
    Eigen::MatrixXd X_;
    Eigen::VectorXd alpha_;
    Eigen::MatrixXd L_;
    double y_mean_ = 0, y_std_ = 1;
};

}  // namespace dynosim::optimizers
