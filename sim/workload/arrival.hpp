// Arrival processes: when generated requests arrive. A renewal process (exponential, gamma or Weibull
// gaps with a chosen coefficient of variation) is run on a time-varying rate by time-rescaling: gaps of
// mean 1 are drawn in "operational time" tau and mapped to real time through the inverse of the
// cumulative rate Lambda(t) = integral of rate over [0, t]. The mean arrival count over any interval is
// then the integral of the rate over it, and within a constant-rate stretch the gaps keep their shape.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"

namespace dynosim::sim::workload {

enum class GapShape { Exponential, Gamma, Weibull };

// Inter-arrival gaps of mean 1 with a given shape and coefficient of variation (stddev / mean).
class GapSampler {
  public:
    GapSampler() = default;  // exponential (Poisson arrivals)
    // cv > 0; ignored for Exponential (whose cv is 1).
    GapSampler(GapShape shape, double cv);

    // One gap of the ordinary renewal process.
    double next(core::Rng& rng) const;
    // The first gap of the stationary process (the forward recurrence time: a length-biased gap times a
    // uniform fraction). Starting with an ordinary gap instead would add (cv^2 - 1) / 2 arrivals at the
    // start of every run, which for bursty processes (cv of 5+) is a large bias on short runs.
    double first(core::Rng& rng) const;

    GapShape shape() const { return shape_; }
    double cv() const { return cv_; }

  private:
    GapShape shape_ = GapShape::Exponential;
    double cv_ = 1.0;
    double k_ = 1.0;      // gamma / Weibull shape
    double scale_ = 1.0;  // gamma / Weibull scale giving mean 1
};

// The Weibull shape k whose coefficient of variation is `cv` (> 0), solved by bisection on
// cv^2 = Gamma(1 + 2/k) / Gamma(1 + 1/k)^2 - 1 (decreasing in k).
double weibull_shape_for_cv(double cv);

// One stretch of a rate schedule: the rate goes linearly from rate_start to rate_end (req/s) over
// duration_s seconds; equal ends give a constant rate, a short high-rate stretch a burst.
struct RateSegment {
    double duration_s = 0;
    double rate_start = 0;
    double rate_end = 0;
};

// A piecewise-linear rate over consecutive segments starting at t = 0; after the last segment the
// `tail_rate` holds forever (0: no arrivals after the schedule).
class RateSchedule {
  public:
    RateSchedule(std::vector<RateSegment> segments, double tail_rate);
    static RateSchedule constant(double rate) { return RateSchedule({}, rate); }

    double rate_at(double t) const;
    // Lambda(t): expected arrivals in [0, t].
    double cumulative(double t) const;
    // The earliest t with Lambda(t) >= tau; +infinity when the schedule never accumulates tau.
    double inverse(double tau) const;
    // Sum of the segments' durations (the tail is not counted).
    double duration() const { return starts_.empty() ? 0.0 : starts_.back(); }
    std::size_t num_segments() const { return segments_.size(); }
    // Index of the segment holding t; num_segments() for the tail.
    std::size_t segment_at(double t) const;

  private:
    std::vector<RateSegment> segments_;
    std::vector<double> starts_;  // segment start times, plus the end of the last (size n + 1)
    std::vector<double> cum_;     // Lambda at those times (size n + 1)
    double tail_rate_ = 0;
};

// Arrival times in seconds, increasing, in [0, horizon_s), at most max_count of them (< 0: no limit).
// gaps[i] shapes the gaps drawn while real time lies in segment i (the last entry also covers the
// tail); a single entry applies everywhere. A gap drawn in one segment that lands in the next keeps its
// shape: the shape changes at the first arrival after the boundary.
std::vector<double> arrival_times(const RateSchedule& schedule, const std::vector<GapSampler>& gaps,
                                  double horizon_s, std::int64_t max_count, core::Rng& rng);

}  // namespace dynosim::sim::workload
