// ServeGen multi-client workloads: Alibaba's ServeGen publishes, per top client of a model service, a
// 24 h profile of 10-minute windows (rate, inter-arrival CV and fitted gap distribution) and, every
// 6 h, empirical input/output length distributions. We replay those statistics: each client's
// arrivals follow its per-window rate and gap shape, and each request's lengths come from the client's
// distributions of the latest dataset window at or before its arrival. The result is a multi-tenant
// workload with client_id = the client's chunk number. No prefix information (block_hashes empty).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

struct ServeGenOptions {
    // Start of the generated span within ServeGen's day, seconds, in [0, 86400). Default 0.
    double start_s = 0;
    // Length of the span, seconds, in (0, 86400]; a span past midnight wraps to the day's start.
    // Request times are relative to start_s. Default 600 (one window).
    double duration_s = 600;
    // Keep the N clients with the most expected requests in the span (ties: lower chunk number),
    // >= 0; 0 = all clients. Ignored when `clients` is given. Default 0.
    std::int32_t top_clients = 0;
    // Explicit client chunk numbers to use (each must exist in the directory). Default empty (all /
    // top_clients).
    std::vector<std::int32_t> clients{};
    // Multiplies every client's rate, > 0 (2 = twice the traffic, same burstiness). Default 1.
    double rate_scale = 1.0;

    // Messages `<prefix><field> = <value>: <rule>`; empty when valid.
    std::vector<std::string> validate(const std::string& prefix = "workload.servegen.") const;
};

// One 10-minute window of a client's chunk-<k>-trace.csv.
struct ServeGenWindow {
    double start_s = 0;   // window start within the day
    double rate = 0;      // requests/s (0: client idle)
    double cv = 0;        // coefficient of variation of inter-arrival gaps
    std::string pattern;  // fitted gap distribution: "Gamma", "Weibull", "Exponential" or "" (idle)
    double param1 = 0;    // fitted shape (Gamma / Weibull)
    double param2 = 0;    // fitted scale
};

// Reads one chunk-<k>-trace.csv (no header: window_start_s, rate, cv, pattern, p1, p2). Errors name
// file, line and field.
std::vector<ServeGenWindow> load_servegen_windows(const std::filesystem::path& csv_path);

// Client chunk numbers present in `dir` (those with a chunk-<k>-trace.csv), ascending.
std::vector<std::int32_t> servegen_client_ids(const std::filesystem::path& dir);

// The chunk numbers `opts` selects from `dir`, in ascending order.
std::vector<std::int32_t> servegen_selected_clients(const std::filesystem::path& dir,
                                                    const ServeGenOptions& opts);

// Generates the finalized multi-client workload. Throws core::InputError for a missing directory or
// client, or malformed files.
Workload generate_servegen(const std::filesystem::path& dir, const ServeGenOptions& opts, std::uint64_t seed);

}  // namespace dynosim::sim::workload
