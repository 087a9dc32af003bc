// Synthetic workload generator: arrivals from a renewal process on a (possibly time-varying) rate,
// prompt and output lengths from chosen distributions, shared system-prompt prefixes (groups) and
// multi-turn sessions whose later turns repeat the earlier turns' content, as block hashes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/workload/arrival.hpp"
#include "sim/workload/lengths.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

struct ArrivalOptions {
    // Renewal process of the inter-arrival gaps: "poisson" (exponential gaps), "gamma" or "weibull".
    // Default "poisson".
    std::string process = "poisson";
    // Mean arrival rate in requests/s (> 0), used when `schedule` is empty. Default 1.
    double rate = 1.0;
    // Coefficient of variation of the gaps (stddev / mean) for gamma and weibull, > 0: 1 is as bursty
    // as Poisson, > 1 burstier, < 1 more regular. Ignored for poisson. Default 1.
    double cv = 1.0;
    // Time-varying rate replacing `rate` when non-empty: consecutive segments from t = 0, each ramping
    // linearly from rate_start to rate_end (req/s, >= 0) over duration_s (> 0) seconds. After the last
    // segment its rate_end holds. Default empty.
    std::vector<RateSegment> schedule{};
};

struct PrefixGroupOptions {
    // Number of shared system prompts, >= 0; 0 disables prefix groups. Default 0.
    std::int32_t num_groups = 0;
    // Tokens of each group's shared prefix, >= 1 when num_groups > 0. Only its whole blocks of
    // hash_block_tokens are shareable. Default 0.
    std::int32_t prefix_tokens = 0;
    // How a request picks its group: "uniform" or "zipf" (group g with weight 1 / (g + 1)^zipf_skew).
    // Default "uniform".
    std::string pick = "uniform";
    // Zipf exponent, >= 0 (0 = uniform; larger = a few groups dominate). Default 1.
    double zipf_skew = 1.0;
};

struct SessionOptions {
    // Turns per session (a length distribution over counts, values >= 1). A fixed 1 (the default) gives
    // independent single-turn requests with session_id -1.
    LengthDistOptions turns{.kind = "fixed", .value = 1};
    // Mean think time between one turn's arrival and the next's, seconds, > 0 (exponential). The
    // generator does not know when a turn completes, so the gap is measured from the previous turn's
    // arrival; choose a mean well above the expected latency. Default 30.
    double think_time_mean_s = 30.0;
    // New user tokens appended by each later turn. kind "" (default) draws from `input`.
    LengthDistOptions followup_input{.kind = ""};
    // A session ends before a turn whose prompt would exceed this many tokens, >= 0; 0 = no limit.
    // Default 0.
    std::int32_t max_input_tokens = 0;
};

struct GeneratorOptions {
    // When requests (or, with sessions, first turns) arrive.
    ArrivalOptions arrival{};
    // Prompt tokens of a request, after any group prefix (the prompt is prefix_tokens + this).
    // Default fixed 512.
    LengthDistOptions input{};
    // Output tokens of a request. Default fixed 128.
    LengthDistOptions output{.kind = "fixed", .value = 128};
    // Shared system prompts.
    PrefixGroupOptions prefix{};
    // Multi-turn conversations.
    SessionOptions session{};
    // Arrivals are generated in [0, duration_s) seconds, > 0; <= 0 means no time limit (then
    // num_requests must be set, or the schedule's end is used). Default 60.
    double duration_s = 60.0;
    // Keep at most this many requests (the earliest), >= 1; -1 = no limit. Default -1.
    std::int64_t num_requests = -1;
    // Tokens per block hash in the generated Request::block_hashes, >= 1. Default 16.
    std::int32_t hash_block_tokens = 16;

    // One message per invalid field, `<prefix><field> = <value>: <rule>`; empty when valid.
    std::vector<std::string> validate(const std::string& prefix = "workload.") const;
};

// Generates a finalized workload; the same options and seed give the same workload on every platform.
// Throws core::InputError when the options do not validate or an empirical trace cannot be loaded.
Workload generate(const GeneratorOptions& opts, std::uint64_t seed);

}  // namespace dynosim::sim::workload
