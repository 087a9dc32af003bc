// Streaming histogram of inter-token gaps (ns) with bounded relative error, for runs whose ITL count is too
// large to keep every gap (10 M requests x hundreds of tokens). Buckets are geometric: bucket i holds
// (g^(i-1), g^i] with g = (1 + a) / (1 - a), and a value read back from a bucket is its midpoint in the
// relative sense, 2 g^i / (g + 1), so any returned quantile is within a relative error a of a value of the
// same rank (the DDSketch construction). Count, min, max and the integer sum of gaps are exact, so the mean
// is exact. Adding is O(1) and deterministic; memory is a few thousand counters whatever the count.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/time.hpp"

namespace dynosim::sim::metrics {

class ItlHistogram {
public:
    // relative_error: a in (0, 0.5). Default 0.5%.
    explicit ItlHistogram(double relative_error = 0.005);

    void add(core::TimeNs gap_ns) { add(gap_ns, 1); }
    // `count` gaps of the same value (the same as as many add calls).
    void add(core::TimeNs gap_ns, std::uint64_t count);

    std::uint64_t count() const { return count_; }
    core::TimeNs min() const { return min_; }
    core::TimeNs max() const { return max_; }
    // Exact sum of every gap (ns).
    std::uint64_t sum_ns() const { return sum_; }
    double relative_error() const { return alpha_; }
    // The k-th smallest gap (0-based, k < count), in ns, within relative error a; the smallest and largest
    // ranks return min() and max() exactly.
    double order_stat_ns(std::uint64_t k) const;
    // Percentile with the same interpolation as summarize_ms: rank q x (count - 1), linear between the two
    // neighbouring order statistics. count must be > 0.
    double percentile_ns(double q) const;

private:
    std::int32_t bucket_of(core::TimeNs v) const;
    double value_of(std::int32_t bucket) const;

    double alpha_, gamma_, log_gamma_;
    std::uint64_t zeros_ = 0;                 // gaps of 0 ns (same-instant tokens)
    std::vector<std::uint64_t> counts_;       // counts_[i] = bucket i + 1 (values >= 1 ns)
    std::uint64_t count_ = 0, sum_ = 0;
    core::TimeNs min_ = 0, max_ = 0;
};

}  // namespace dynosim::sim::metrics
