// Simulated time: one virtual clock in integer nanoseconds shared by every actor.
// Integers, not doubles, so event order and sums are exact and platform-independent.
#pragma once
#include <cmath>
#include <cstdint>

namespace dynosim::sim::core {

using TimeNs = std::int64_t;

inline constexpr TimeNs kNsPerUs = 1'000;
inline constexpr TimeNs kNsPerMs = 1'000'000;
inline constexpr TimeNs kNsPerSec = 1'000'000'000;
inline constexpr TimeNs kTimeMax = INT64_MAX;

// Seconds (double) to nanoseconds, rounded to nearest so that round trips are stable.
inline TimeNs seconds_to_ns(double s) { return static_cast<TimeNs>(std::llround(s * 1e9)); }
inline double ns_to_seconds(TimeNs t) { return static_cast<double>(t) * 1e-9; }
inline double ns_to_ms(TimeNs t) { return static_cast<double>(t) * 1e-6; }

}  // namespace dynosim::sim::core
