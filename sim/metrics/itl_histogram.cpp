#include "sim/metrics/itl_histogram.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace dynosim::sim::metrics {

ItlHistogram::ItlHistogram(double relative_error)
    : alpha_(relative_error),
      gamma_((1 + relative_error) / (1 - relative_error)),
      log_gamma_(std::log((1 + relative_error) / (1 - relative_error))) {
    if (!(relative_error > 0 && relative_error < 0.5))
        throw std::invalid_argument("ItlHistogram: relative error must be in (0, 0.5)");
}

std::int32_t ItlHistogram::bucket_of(core::TimeNs v) const {
    // Gaps repeat (step times come from a cached timing model) and a log per token cost an eighth of a
    // validate run: a direct-mapped memo of the exact computation, per thread, keyed on value and gamma.
    struct Memo {
        core::TimeNs v = -1;
        double log_gamma = 0;
        std::int32_t bucket = 0;
    };
    thread_local std::array<Memo, 1024> memo{};
    Memo& m = memo[static_cast<std::size_t>((static_cast<std::uint64_t>(v) * 0x9E3779B97F4A7C15ull) >> 54)];
    if (m.v == v && m.log_gamma == log_gamma_) return m.bucket;
    // v >= 1: bucket i >= 1 with g^(i-1) < v <= g^i (bucket 0 holds exactly 1 ns).
    const double up = std::ceil(std::log(static_cast<double>(v)) / log_gamma_);
    const auto b = std::max(0, static_cast<std::int32_t>(up));
    m = Memo{v, log_gamma_, b};
    return b;
}

double ItlHistogram::value_of(std::int32_t bucket) const {
    return 2 * std::pow(gamma_, bucket) / (gamma_ + 1);
}

void ItlHistogram::add(core::TimeNs gap_ns, std::uint64_t count) {
    if (count == 0) return;
    const core::TimeNs v = std::max<core::TimeNs>(gap_ns, 0);
    if (count_ == 0) min_ = max_ = v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    count_ += count;
    sum_ += static_cast<std::uint64_t>(v) * count;
    if (v == 0) {
        zeros_ += count;
        return;
    }
    const auto b = static_cast<std::size_t>(bucket_of(v));
    if (b >= counts_.size()) counts_.resize(b + 1, 0);
    counts_[b] += count;
}

double ItlHistogram::order_stat_ns(std::uint64_t k) const {
    if (k == 0) return static_cast<double>(min_);
    if (k + 1 >= count_) return static_cast<double>(max_);
    if (k < zeros_) return 0;
    std::uint64_t seen = zeros_;
    for (std::size_t b = 0; b < counts_.size(); ++b) {
        seen += counts_[b];
        if (k < seen) {
            // Clamp to the exact extremes (the first and last buckets may hold them).
            return std::clamp(value_of(static_cast<std::int32_t>(b)), static_cast<double>(min_),
                              static_cast<double>(max_));
        }
    }
    return static_cast<double>(max_);
}

double ItlHistogram::percentile_ns(double q) const {
    const double pos = q * static_cast<double>(count_ - 1);
    const auto lo = static_cast<std::uint64_t>(std::floor(pos));
    const std::uint64_t hi = std::min(lo + 1, count_ - 1);
    const double a = order_stat_ns(lo);
    const double b = hi == lo ? a : order_stat_ns(hi);
    return a + (b - a) * (pos - static_cast<double>(lo));
}

}  // namespace dynosim::sim::metrics
