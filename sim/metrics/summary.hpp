// The run summary users read: latency percentiles (TTFT, TPOT, ITL, E2E, queue), throughput, goodput
// under an SLA, prefix hit rate, preemptions, GPU-seconds, and the conservation check.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/planner_report.hpp"
#include "sim/metrics/recorder.hpp"

namespace dynosim::sim::metrics {

// Latency distribution in milliseconds. Percentiles interpolate linearly between order statistics
// (numpy's default), so small hand-checked cases give exact values.
struct Distribution {
    std::uint64_t count = 0;
    double mean = 0, p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};
Distribution summarize_ms(std::vector<double> values_ms);

// The goodput SLA: a finished request is good when both bounds hold. <= 0 disables a bound.
struct SlaOptions {
    double ttft_ms = 2000;  // time to first token bound, ms (Dynamo planner examples use 200-2000 ms)
    double tpot_ms = 100;   // time per output token bound, ms
};

struct RunInfo {
    std::int32_t num_workers = 0;
    std::int32_t gpus_per_worker = 1;
    std::uint64_t seed = 0;
    TimeNs end_ns = 0;  // simulated time when the run ended
    std::int32_t total_gpus = 0;  // GPUs of the fleet when pools differ in TP (0 = num_workers x gpus_per_worker)
    bool disaggregated = false;   // report KV transfers (summary "disagg")
};

struct Summary {
    std::uint64_t submitted = 0, arrived = 0, finished = 0, rejected = 0, unfinished = 0;
    bool conserved = false;  // arrived == finished + rejected + unfinished
    Distribution ttft, tpot, itl, e2e, queue;
    double duration_s = 0;   // first arrival to last finish
    double request_throughput = 0;  // finished requests / s
    double output_token_throughput = 0;  // generated tokens / s
    double total_token_throughput = 0;   // (prompt + generated) tokens / s of finished requests
    double tokens_per_s_per_gpu = 0;     // output tokens / s / GPU
    double goodput = 0;                  // SLA-meeting requests / s
    double sla_attainment = 0;           // fraction of finished requests meeting the SLA
    double prefix_hit_rate = 0;          // hit tokens / looked-up prompt tokens
    std::uint64_t preemptions = 0;
    std::uint64_t steps = 0;
    double gpu_seconds = 0;
    double gpu_utilization = 0;          // busy time / (workers x duration)
    std::int32_t num_workers = 0;
    std::int32_t gpus = 0;
    // Disaggregated runs: KV transfers (requests whose prompt KV moved from a prefill to a decode worker),
    // requests prefilled on their decode worker, mean transfer time (queueing on the link included), GB moved.
    bool disaggregated = false;
    std::uint64_t transfers = 0, local_prefills = 0;
    double transfer_ms_mean = 0;
    double transfer_gb = 0;
    SlaOptions sla;
    // Planner runs only (planner.kind != none): what the planner did; gpu_seconds is then its bill.
    std::optional<PlannerReport> planner;
};

Summary summarize(const Recorder& rec, const RunInfo& info, const SlaOptions& sla);

// Human-readable table (the CLI prints it).
std::string format_summary(const Summary& s);
// summary.json content (stable key order, fixed number formatting).
std::string summary_json(const Summary& s);
// requests.csv content: one row per request.
std::string requests_csv(const Recorder& rec);

}  // namespace dynosim::sim::metrics
