// End-to-end fidelity against measured serving runs (`dynosim validate`, docs/fidelity.md).
//
// A runs table (the format of shared/data/serving/sim2real-trainval/experiments.csv) lists one measured
// vLLM serving run per row: the setup (model, GPU, TP/DP, precision, vLLM knobs, KV blocks), the workload
// (inference-perf "shared_prefix": groups of users sharing a system prompt, Poisson arrivals per load stage,
// forced output lengths) and the measured metrics (summary_* and s<i>_* per stage). Every row is rebuilt
// as a scenario and a workload, simulated, and each measured metric is compared with its prediction.
// A per-request replay (`validate --replay DIR`) feeds a recorded run's exact arrivals and lengths.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::framework {

// One load stage: `rate_rps` Poisson arrivals per second for `duration_s` seconds.
struct LoadStage {
    double rate_rps = 0;
    double duration_s = 0;
};
// Parses "5x600s;10x600s" (the trailing 's' optional). Throws core::InputError naming the text.
std::vector<LoadStage> parse_stages(const std::string& text);

// The setup and workload of one measured run, as read from its row.
struct RunSpec {
    std::string id;      // exp_id, else folder, else "row N"
    std::string folder;  // the run's folder name (may be empty)
    std::string model;   // Hugging Face id ("org/name") or a path to a config.json / its folder
    std::string hardware;
    std::string precision;  // FP16, BF16, FP8
    std::int32_t tp = 1, dp = 1;
    std::string cpu_offload;  // empty / False = none
    double gpu_mem_util = 0.9;
    std::int32_t max_num_batched_tokens = 0, max_num_seqs = 0, max_model_len = 0, block_size = 16;
    std::string engine = "vllm";
    bool prefix_caching = true, chunked_prefill = true;
    std::string arrivals = "poisson";
    std::string workload;  // preset name (general-lite, codegen, ...), for grouping only
    std::int32_t sys_prompt_len = 0, question_len = 0, output_len = 0;
    std::int32_t num_system_prompts = 1, users_per_prompt = 1;
    std::vector<LoadStage> stages;
    std::int64_t total_kv_blocks = 0;  // 0 = derive from memory
    // Measured metrics present in the row: column name ("s0_ttft_mean_ms") -> value in ms.
    std::map<std::string, double> measured;
};

// Validation-wide constants (docs/fidelity.md says where each comes from). Nothing here is per row.
struct ValidateOptions {
    // Chat framing added by the load generator around system prompt + question, tokens. Default 26: the
    // recorded codegen replay's 9000 prompts average 591.6 tokens for 100 + 466 configured.
    std::int32_t framing_tokens = 26;
    // The load generator's prompt set, groups x prompts per group, used instead of the row's
    // num_system_prompts x users_per_prompt when > 0. The study's load profiles name these
    // `num_unique_system_prompts` / `num_users_per_system_prompt` (the columns' source), keys the
    // inference-perf it ran does not read: its parsed config (replay/<run>-run/results/config.yaml) shows its
    // defaults, num_groups 10 and num_prompts_per_group 10, for a profile that asked 11 x 4, and the recorded
    // requests' input lengths repeat with period 100 (99% of request pairs 100 apart, 2% at 44). Default
    // 10 x 10 for that reason; 0 = the row's columns (a generator that reads them).
    std::int32_t prompt_groups = 10, prompts_per_group = 10;
    // Latency of the serving front end outside the engine (vLLM's OpenAI server: HTTP, chat template,
    // tokenization, IPC to the engine core, detokenization and streaming of the first token), ms, added
    // to every request's TTFT and E2E. Default 7.34: the median over the 13 sim2real-trainval runs of
    // measured minus simulated stage-0 mean TTFT (vLLM 0.15.1, H100), one value for (H100, vLLM); printed by
    // `dynosim calib fit --method simulate` with the overheads it fits (result 7.34 ms; 8.07 before the
    // median-bandwidth GEMMs, 8.65 before CUDA-graph padding and the generator's prompt set).
    double frontend_ms = 7.34;
    // CPU KV pool of a row whose cpu_offload is True, GiB over all TP ranks (vLLM's --kv-offloading-size).
    // Default 8: the cpu_bytes_to_use = 8589934592 of the vllm.log line the study's log parser
    // (experiment/kv_cache_extractor.py) documents; the runs table itself carries only True / False. A
    // numeric cpu_offload is that size in GiB instead.
    double cpu_offload_default_gib = 8;
    // Seed of the generated workloads (arrival times, user picks) and of the simulation.
    std::uint64_t seed = 1;
    // Data folder (models/ under it). Empty = scenario::find_data_dir(".").
    std::filesystem::path data_dir;
    // Timing section every row starts from (kind, table options); dtypes and TP are set per row.
    sim::scenario::TimingSection timing;
};

// A runs table read and checked: the header has every required column and nothing unknown.
struct RunsTable {
    std::string source;
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;  // raw fields, one vector per data row
};
// Reads the CSV. Throws core::InputError naming the file and the missing or unknown column, or the line
// with the wrong number of fields.
RunsTable read_runs_csv(const std::filesystem::path& path);
// Parses one row; throws core::InputError naming the column whose value is invalid.
RunSpec parse_run(const RunsTable& t, std::size_t row);

// The workload of a run: per stage, rate x duration requests at Poisson arrival times (uniform order
// statistics over the stage, i.e. a Poisson process given its count); each picks a user uniformly, its
// group's system prompt is the shared prefix (block hashes per group), then a unique question, framing
// and `output_len` forced output tokens.
sim::workload::Workload make_run_workload(const RunSpec& run, const ValidateOptions& o);
// The load generator's prompt set of a run, {groups, prompts per group}: the options' when set, else the
// row's num_system_prompts x users_per_prompt.
std::pair<std::int32_t, std::int32_t> prompt_set(const RunSpec& run, const ValidateOptions& o);
// CPU KV pool size of a cpu_offload value, GiB: 0 for empty / False, `o.cpu_offload_default_gib` for True,
// else the value as GiB ("16", "16GiB"). Throws core::InputError ("cannot model cpu_offload = ...")
// otherwise.
double cpu_offload_gib(const std::string& value, const ValidateOptions& o);
// The scenario of a run (model, GPU, TP/DP, dtypes, vLLM knobs, KV blocks, the CPU KV tier of cpu_offload as
// the KVBM host tier). Throws core::InputError ("cannot model ...") for a row the simulator cannot model
// (unknown GPU or model, unknown cpu_offload value).
sim::scenario::ScenarioOptions make_run_scenario(const RunSpec& run, const ValidateOptions& o);

// The metrics of a set of requests, as the study measures them (ms).
struct LatencyStats {
    std::size_t count = 0;
    double e2e_mean = 0, e2e_p90 = 0, e2e_p99 = 0;
    double ttft_mean = 0, ttft_p90 = 0, ttft_p99 = 0;
    double itl_mean = 0;  // (mean E2E - mean TTFT) / (mean output tokens - 1)
    double output_mean = 0;
};
// Percentile with linear interpolation between closest ranks (numpy's default); q in [0, 100].
double percentile(std::vector<double> v, double q);
// From per-request E2E and TTFT (ms) and output token counts; the ITL is the study's definition.
LatencyStats latency_stats(const std::vector<double>& e2e_ms, const std::vector<double>& ttft_ms,
                           const std::vector<double>& output_tokens);

struct MetricError {
    std::string column;  // "summary_e2e_mean_ms", "s1_itl_mean_ms"
    std::string scope;   // "summary", "s0", "s1", ...
    std::string metric;  // "e2e_mean_ms", "itl_mean_ms", ...
    double measured = 0, predicted = 0;
    double ape_pct = 0;  // |predicted - measured| / measured x 100
};

struct RowResult {
    std::string id, folder, model, family, hardware, workload;
    std::string error;  // non-empty: the row could not be modelled (and has no metrics)
    std::vector<MetricError> metrics;
    std::size_t requests = 0, unfinished = 0;
    std::int64_t kv_blocks = 0;
    double wall_s = 0;
};

// Model family for grouping: the model id's last component, lower-case, up to the first size/variant
// token ("Llama-3.1-70B-Instruct" -> "llama-3.1", "Qwen2.5-7B-Instruct" -> "qwen2.5").
std::string model_family(const std::string& model);

// Simulates one row; a row that cannot be modelled gets `error` set rather than throwing.
RowResult validate_run(const RunSpec& run, const ValidateOptions& o);
// Every row of the table, `jobs` at a time (results in row order; the same for any jobs).
std::vector<RowResult> validate_table(const RunsTable& t, const ValidateOptions& o, int jobs);

// Median and mean APE of one metric over the rows of one group.
struct Aggregate {
    std::string by;     // "all", "gpu", "family", "workload", "stage"
    std::string group;  // "all", "H100", "llama-3.1", "codegen", "summary" / "s0" ...
    std::string metric;
    std::size_t n = 0;
    double median_ape = 0, mean_ape = 0;
};
// by "all" and "gpu"/"family"/"workload" aggregate the summary_* metrics; by "stage" each scope's metrics.
std::vector<Aggregate> aggregate(const std::vector<RowResult>& rows);

// rows.csv: one line per row and metric (measured, predicted, APE, wall time, or the row's error).
std::string rows_csv(const std::vector<RowResult>& rows);
// summary.csv: the aggregates.
std::string summary_csv(const std::vector<Aggregate>& agg);
// A readable table of the aggregates (by "all" and "stage") for the terminal.
std::string format_summary(const std::vector<Aggregate>& agg, const std::vector<RowResult>& rows);

// Per-request replay of a recorded run (the replay/ folder: <name>.json.gz with every request's arrival
// and lengths, <name>_ground_truth.json.gz with measured TTFT / E2E, <name>-run/ with the load profile).
struct ReplayRequestError {
    std::uint64_t index = 0;
    double measured_ttft_ms = 0, predicted_ttft_ms = 0, measured_e2e_ms = 0, predicted_e2e_ms = 0;
};
struct ReplayResult {
    std::string name;
    std::size_t requests = 0, compared = 0;
    std::int32_t output_tokens = 0;  // forced output length replayed (the profile's output_len)
    std::vector<ReplayRequestError> per_request;
    // Percentiles (p50, p90, p99) of per-request absolute error, ms, and of APE, %.
    double ttft_abs_ms[3] = {0, 0, 0}, ttft_ape[3] = {0, 0, 0};
    double e2e_abs_ms[3] = {0, 0, 0}, e2e_ape[3] = {0, 0, 0};
    // Means over requests (ms), measured and predicted.
    double ttft_mean_meas = 0, ttft_mean_pred = 0, e2e_mean_meas = 0, e2e_mean_pred = 0;
    double wall_s = 0;
};
// Replays every `*.json.gz` run in `dir` that has a ground truth beside it. `runs` (optional) is the runs
// table whose row with the same folder supplies the setup the replay file lacks (GPU, precision, memory);
// without it the run is taken as H100 FP16 at gpu_memory_utilization 0.9.
std::vector<ReplayResult> replay_dir(const std::filesystem::path& dir, const ValidateOptions& o,
                                     const RunsTable* runs);
std::string replay_csv(const ReplayResult& r);
std::string format_replay(const std::vector<ReplayResult>& rs);

}  // namespace dynosim::framework
