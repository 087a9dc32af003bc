#include "sim/fleet/predictor.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace dynosim::sim::fleet {

void LoadPredictor::observe(double y) {
    if (!std::isfinite(y)) y = 0;
    if (n_ == 0 && y == 0) return;  // leading idle intervals say nothing about the load to come
    ++n_;
    add(y);
}

double LoadPredictor::predict() const { return n_ == 0 ? 0.0 : std::max(0.0, forecast()); }

void MovingAveragePredictor::add(double y) {
    ring_[next_] = y;
    next_ = (next_ + 1) % ring_.size();
    filled_ = std::min(filled_ + 1, ring_.size());
}

double MovingAveragePredictor::forecast() const {
    double sum = 0;
    for (std::size_t i = 0; i < filled_; ++i) sum += ring_[i];
    return filled_ ? sum / static_cast<double>(filled_) : 0.0;
}

void HoltPredictor::add(double y) {
    if (seen_ == 0) {
        level_ = y;
        trend_ = 0;
    } else if (seen_ == 1) {
        trend_ = y - level_;
        level_ = y;
    } else {
        const double prev = level_;
        level_ = alpha_ * y + (1 - alpha_) * (level_ + trend_);
        trend_ = beta_ * (level_ - prev) + (1 - beta_) * trend_;
    }
    ++seen_;
}

void KalmanPredictor::add(double y) {
    if (!init_) {
        level_ = y;
        trend_ = 0;
        init_ = true;
        return;
    }
    // Predict: x = F x, P = F P F' + Q.
    level_ += trend_;
    const double p00 = p00_ + 2 * p01_ + p11_ + ql_;
    const double p01 = p01_ + p11_;
    const double p11 = p11_ + qt_;
    // Update with y: K = P H' / (H P H' + R).
    const double s = p00 + r_;
    const double k0 = p00 / s, k1 = p01 / s;
    const double innov = y - level_;
    level_ += k0 * innov;
    trend_ += k1 * innov;
    p00_ = (1 - k0) * p00;
    p01_ = (1 - k0) * p01;
    p11_ = p11 - k1 * p01;
}

std::unique_ptr<LoadPredictor> make_predictor(const PredictorOptions& o) {
    if (o.kind == "constant") return std::make_unique<ConstantPredictor>();
    if (o.kind == "moving_average") return std::make_unique<MovingAveragePredictor>(o.window);
    if (o.kind == "holt") return std::make_unique<HoltPredictor>(o.holt_alpha, o.holt_beta);
    if (o.kind == "kalman") return std::make_unique<KalmanPredictor>(o.q_level, o.q_trend, o.r);
    throw core::InputError("planner.predictor = " + o.kind + ": must be constant, moving_average, holt or kalman");
}

}  // namespace dynosim::sim::fleet
