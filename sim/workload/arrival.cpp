// Arrival processes (see arrival.hpp).
#include "sim/workload/arrival.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/errors.hpp"

namespace dynosim::sim::workload {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

double weibull_cv2(double k) {
    return std::exp(std::lgamma(1.0 + 2.0 / k) - 2.0 * std::lgamma(1.0 + 1.0 / k)) - 1.0;
}
}  // namespace

double weibull_shape_for_cv(double cv) {
    DYNOSIM_ASSERT(cv > 0);
    const double target = cv * cv;
    // cv^2(k) falls from ~1e16 at k = 0.02 to ~1e-7 at k = 5000; search in log k for uniform precision.
    double lo = std::log(0.02), hi = std::log(5000.0);
    if (target >= weibull_cv2(std::exp(lo))) return std::exp(lo);
    if (target <= weibull_cv2(std::exp(hi))) return std::exp(hi);
    for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (weibull_cv2(std::exp(mid)) > target)
            lo = mid;
        else
            hi = mid;
    }
    return std::exp(0.5 * (lo + hi));
}

GapSampler::GapSampler(GapShape shape, double cv)
    : shape_(shape), cv_(shape == GapShape::Exponential ? 1.0 : cv) {
    DYNOSIM_ASSERT(cv_ > 0);
    switch (shape_) {
        case GapShape::Exponential:
            break;
        case GapShape::Gamma:
            k_ = 1.0 / (cv_ * cv_);
            scale_ = 1.0 / k_;
            break;
        case GapShape::Weibull:
            k_ = weibull_shape_for_cv(cv_);
            scale_ = 1.0 / std::exp(std::lgamma(1.0 + 1.0 / k_));
            break;
    }
}

double GapSampler::next(core::Rng& rng) const {
    switch (shape_) {
        case GapShape::Exponential:
            return rng.exponential(1.0);
        case GapShape::Gamma:
            return rng.gamma(k_, scale_);
        case GapShape::Weibull:
            return rng.weibull(k_, scale_);
    }
    return rng.exponential(1.0);
}

double GapSampler::first(core::Rng& rng) const {
    // Length-biased gap L (density x f(x) / mean), then a uniform point inside it.
    double len = 0;
    switch (shape_) {
        case GapShape::Exponential:
            return rng.exponential(1.0);  // memoryless: the residual is again exponential
        case GapShape::Gamma:
            len = rng.gamma(k_ + 1.0, scale_);
            break;
        case GapShape::Weibull:
            // x f(x) for Weibull(k, s): with y = (x/s)^k, y ~ Gamma(1 + 1/k, 1).
            len = scale_ * std::pow(rng.gamma(1.0 + 1.0 / k_, 1.0), 1.0 / k_);
            break;
    }
    return rng.uniform() * len;
}

RateSchedule::RateSchedule(std::vector<RateSegment> segments, double tail_rate)
    : segments_(std::move(segments)), tail_rate_(tail_rate) {
    starts_.reserve(segments_.size() + 1);
    cum_.reserve(segments_.size() + 1);
    double t = 0, c = 0;
    starts_.push_back(t);
    cum_.push_back(c);
    for (const RateSegment& s : segments_) {
        DYNOSIM_ASSERT(s.duration_s >= 0 && s.rate_start >= 0 && s.rate_end >= 0);
        t += s.duration_s;
        c += 0.5 * (s.rate_start + s.rate_end) * s.duration_s;
        starts_.push_back(t);
        cum_.push_back(c);
    }
}

std::size_t RateSchedule::segment_at(double t) const {
    // First start strictly greater than t, minus one; t past the last end -> tail.
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), t);
    const std::size_t i = static_cast<std::size_t>(it - starts_.begin());
    if (i == 0) return 0;
    return std::min(i - 1, segments_.size());
}

double RateSchedule::rate_at(double t) const {
    const std::size_t i = segment_at(t);
    if (i >= segments_.size()) return tail_rate_;
    const RateSegment& s = segments_[i];
    if (s.duration_s <= 0) return s.rate_end;
    const double f = (t - starts_[i]) / s.duration_s;
    return s.rate_start + (s.rate_end - s.rate_start) * f;
}

double RateSchedule::cumulative(double t) const {
    if (t <= 0) return 0;
    const std::size_t i = segment_at(t);
    if (i >= segments_.size()) return cum_.back() + tail_rate_ * (t - starts_.back());
    const RateSegment& s = segments_[i];
    const double x = t - starts_[i];
    const double slope = s.duration_s > 0 ? (s.rate_end - s.rate_start) / s.duration_s : 0.0;
    return cum_[i] + s.rate_start * x + 0.5 * slope * x * x;
}

double RateSchedule::inverse(double tau) const {
    if (tau <= 0) {
        // The first instant with positive rate ahead (skips leading idle segments).
        for (std::size_t i = 0; i < segments_.size(); ++i)
            if (segments_[i].duration_s > 0 && (segments_[i].rate_start > 0 || segments_[i].rate_end > 0))
                return starts_[i];
        return tail_rate_ > 0 ? starts_.back() : kInf;
    }
    // First segment whose end accumulates more than tau; flat (idle) segments are skipped over.
    const auto it = std::upper_bound(cum_.begin() + 1, cum_.end(), tau);
    if (it == cum_.end()) {
        if (tail_rate_ <= 0) return kInf;
        return starts_.back() + (tau - cum_.back()) / tail_rate_;
    }
    const std::size_t i = static_cast<std::size_t>(it - cum_.begin()) - 1;
    const RateSegment& s = segments_[i];
    const double delta = tau - cum_[i];
    const double a = s.rate_start;
    const double b = s.duration_s > 0 ? (s.rate_end - s.rate_start) / s.duration_s : 0.0;
    // Root of b/2 x^2 + a x - delta = 0 in the form that stays exact for b -> 0 and b < 0.
    const double disc = std::max(0.0, a * a + 2.0 * b * delta);
    const double den = a + std::sqrt(disc);
    double x = den > 0 ? 2.0 * delta / den : 0.0;
    x = std::clamp(x, 0.0, s.duration_s);
    return starts_[i] + x;
}

std::vector<double> arrival_times(const RateSchedule& schedule, const std::vector<GapSampler>& gaps,
                                  double horizon_s, std::int64_t max_count, core::Rng& rng) {
    DYNOSIM_ASSERT(!gaps.empty());
    std::vector<double> out;
    if (max_count == 0) return out;
    auto sampler_at = [&](double t) -> const GapSampler& {
        const std::size_t i = schedule.segment_at(t);
        return gaps[std::min(i, gaps.size() - 1)];
    };
    // The first gap takes the shape in force where arrivals can first happen.
    const double t0 = schedule.inverse(0.0);
    if (!(t0 < horizon_s)) return out;
    double tau = sampler_at(t0).first(rng);
    for (;;) {
        const double t = schedule.inverse(tau);
        if (!(t < horizon_s)) break;
        out.push_back(t);
        if (max_count > 0 && static_cast<std::int64_t>(out.size()) >= max_count) break;
        tau += sampler_at(t).next(rng);
    }
    return out;
}

}  // namespace dynosim::sim::workload
