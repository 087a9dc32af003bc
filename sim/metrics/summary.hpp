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
    bool kvbm = false;            // report the TTFT breakdown (summary "kvbm"); tiers are filled by the caller
    // The run went on until nothing was left to happen (no sim.max_time_s): a request still unfinished then
    // can never finish, so it is reported as stalled.
    bool run_to_completion = false;
};

// One KVBM tier over all workers (summary "kvbm.tiers").
struct KvbmTierSummary {
    std::string name, policy;
    std::int64_t capacity_blocks = 0;  // per worker
    double capacity_gb = 0;            // per worker
    std::uint64_t lookups = 0, hits = 0;  // blocks looked up here by admissions (missed above) / found here
    double hit_rate = 0;                  // hits / prompt blocks of all admissions (as prefix_hit_rate for G1)
    std::uint64_t offloaded_blocks = 0, onboarded_blocks = 0, evictions = 0;
    double offloaded_gb = 0, onboarded_gb = 0;
    double transfer_s = 0;          // link busy time, summed over workers
    double occupancy_mean = 0, occupancy_peak = 0;  // fraction of capacity, over the samples of all workers
    double sample_interval_s = 0;
    std::vector<double> occupancy_gb;  // summed over workers at t = i x sample_interval_s
};

struct Summary {
    std::uint64_t submitted = 0, arrived = 0, finished = 0, rejected = 0, unfinished = 0;
    bool conserved = false;  // arrived == finished + rejected + unfinished
    // Unfinished requests of a run to completion: the deployment stopped serving them (e.g. a decode
    // worker whose KV is held by waiting requests behind one that cannot be admitted). Latency figures cover
    // finished requests only, so a stalled run must not pass for a good one.
    std::uint64_t stalled = 0;
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
    // KVBM runs: TTFT split into queue (arrival to admission), onboard (lower-tier blocks moving to G1;
    // 0 for requests without) and prefill (the rest), requests that onboarded, and per-tier figures.
    bool kvbm = false;
    Distribution ttft_queue, ttft_onboard, ttft_prefill;
    std::uint64_t onboarded_requests = 0;
    std::vector<KvbmTierSummary> kvbm_tiers;
    SlaOptions sla;
    // Planner runs only (planner.kind != none): what the planner did; gpu_seconds is then its bill.
    std::optional<PlannerReport> planner;
};

Summary summarize(const Recorder& rec, const RunInfo& info, const SlaOptions& sla);

// Human-readable table (the CLI prints it).
std::string format_summary(const Summary& s);
// summary.json content (stable key order, fixed number formatting).
std::string summary_json(const Summary& s);
// kvbm_occupancy.csv content (KVBM runs): time_s, tier, occupancy_gb, occupancy fraction.
std::string kvbm_occupancy_csv(const Summary& s);
// requests.csv content: one row per request.
std::string requests_csv(const Recorder& rec);

}  // namespace dynosim::sim::metrics
