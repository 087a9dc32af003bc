// Replay transforms: reshape a loaded or generated workload before it is fed to the fleet. Applied in
// a fixed order: time window, rate scaling, sampling, request limit.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

struct TransformOptions {
    // Keep arrivals in [window_start_s, window_end_s) of the original timeline, seconds, >= 0; times are
    // re-based so window_start_s becomes 0. Default 0.
    double window_start_s = 0;
    // End of the window, seconds, > window_start_s; < 0 means no end. Default -1.
    double window_end_s = -1;
    // Speed-up factor, > 0: arrival times are divided by it (2 = twice the request rate, same order and
    // lengths; think times within sessions shrink too). Default 1.
    double rate_scale = 1;
    // Keep each request with this probability, in (0, 1]. Requests of one session are kept or dropped
    // together so multi-turn prefixes stay intact. Default 1.
    double sample_fraction = 1;
    // Keep only the first N requests by arrival, >= 1; -1 = no limit. Default -1.
    std::int64_t max_requests = -1;

    // Messages `<prefix><field> = <value>: <rule>`; empty when valid.
    std::vector<std::string> validate(const std::string& prefix = "workload.transform.") const;
    // True when applying would change nothing.
    bool is_identity() const;
};

// Applies the transforms in order (window, scaling, sampling, limit) and finalizes `w` (sorted by
// arrival, ids 0..n-1). `rng` drives the sampling only. Throws core::InputError on invalid options.
void apply_transforms(Workload& w, const TransformOptions& opts, core::Rng& rng);

}  // namespace dynosim::sim::workload
