// Trace statistics: what a workload looks like before it is replayed (size, rate over time, length
// percentiles, how much prompt prefix is shared, sessions and clients). Backs `dynosim trace stats`.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

// Distribution summary of a token length. Percentiles interpolate linearly between order statistics
// (numpy's default), so p50 of {1, 2} is 1.5.
struct LengthStats {
    double mean = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
    std::int64_t max = 0;
};

struct TraceStats {
    std::string source;
    std::uint64_t num_requests = 0;
    std::uint64_t skipped_lines = 0;
    // Last arrival minus first arrival, seconds.
    double duration_s = 0;
    // num_requests / duration_s (0 when the duration is 0), requests/s.
    double mean_rate = 0;
    // Width of the rate buckets, seconds.
    double bucket_s = 60;
    // Requests/s in [first + i * bucket_s, first + (i + 1) * bucket_s); the last bucket is partial and
    // its rate is over the part covered by the trace.
    std::vector<double> rate_per_bucket;
    LengthStats input;
    LengthStats output;
    // Tokens per hash block (the largest in the trace); 0 when the trace has no prefix hashes.
    std::int32_t hash_block_tokens = 0;
    // Prompt blocks (ceil(input / block) per request with hashes) and those whose position-chained
    // hash, i.e. the block together with its whole prefix, appeared in an earlier request.
    std::uint64_t prompt_blocks = 0;
    std::uint64_t reused_blocks = 0;
    // reused_blocks / prompt_blocks: the prompt fraction an unbounded prefix cache could serve.
    double prefix_reuse_ratio = 0;
    std::uint64_t num_sessions = 0;  // distinct session_id >= 0
    std::uint64_t num_clients = 0;   // distinct client_id >= 0
};

// bucket_s > 0. The workload must be finalized (sorted by arrival).
TraceStats compute_trace_stats(const Workload& w, double bucket_s = 60);

// A readable multi-line report.
std::string format_trace_stats(const TraceStats& s);

nlohmann::json to_json(const TraceStats& s);

}  // namespace dynosim::sim::workload
