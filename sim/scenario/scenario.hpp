// A scenario: the validated options tree of one simulation (model, hardware, fleet, router, engine,
// timing, workload, SLA, seed), how it is read from TOML, and run_scenario(), which builds the
// simulation, runs it and returns the metrics.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/engine_options.hpp"
#include "sim/fleet/disagg.hpp"
#include "sim/fleet/planner_options.hpp"
#include "sim/fleet/router.hpp"
#include "sim/kv/kvbm_options.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/metrics/timeseries.hpp"
#include "sim/scenario/config.hpp"
#include "sim/timing/roofline.hpp"
#include "sim/timing/table_model.hpp"
#include "sim/workload/workload_options.hpp"

namespace dynosim::sim::scenario {

struct ModelOptions {
    // Built-in model name (Llama-3.1-8B, Llama-3.1-70B, Qwen3-32B, Qwen3-30B-A3B) or a path to a Hugging
    // Face config.json (or its folder); a relative path is taken from the config file's folder, and a
    // "data:" prefix from the shared data folder.
    std::string name = "Llama-3.1-8B";
};

struct HardwareOptions {
    // GPU of every worker: H100-SXM, H200, A100-80GB, B200, L40S, H100-PCIe.
    std::string gpu = "H100-SXM";
    // Tensor-parallel GPUs per worker. Range >= 1.
    std::int32_t tp = 1;
    // Data-parallel attention ranks among the tp GPUs; 1 = off (scenario_parallel_keys.cpp).
    std::int32_t attention_dp = 1;
    // Host memory and local disk of the machine per GPU, GB: the most the KVBM host and disk tiers of a
    // worker may take is this x tp. Defaults: a DGX/HGX H100 node, 2 TB RAM and 8 x 3.84 TB NVMe for 8 GPUs.
    double host_memory_gb_per_gpu = 256;
    double disk_gb_per_gpu = 3840;
};

struct FleetOptions {
    // Identical workers behind the router. Range >= 1.
    std::int32_t workers = 1;
};

struct TimingSection {
    // Which model prices each engine step: "table" (per-op latencies interpolated from measured
    // AIConfigurator tables, docs/timing.md) or "roofline" (datasheet peaks x efficiencies). Default table.
    std::string kind = "table";
    // Weight and KV-cache element types ("bf16" or "fp8"): they set both the step time and the KV capacity.
    std::string weight_dtype = "bf16";
    std::string kv_dtype = "bf16";
    timing::RooflineOptions roofline;
    // data_dir "data:" = the shared data folder ($DYNOSIM_DATA or ../shared/data beside the repository).
    timing::TableTimingOptions table = [] {
        timing::TableTimingOptions t;
        t.data_dir = "data:";
        return t;
    }();
};

struct SimOptions {
    // Seed of every random choice (generators, sampling, random router). Same config + seed: same output.
    std::int64_t seed = 0;
    // Stop the simulated clock here, seconds; requests still in flight are reported unfinished. 0 = run
    // until every request has finished.
    double max_time_s = 0;
};

struct ScenarioOptions {
    ModelOptions model;
    HardwareOptions hardware;
    FleetOptions fleet;
    fleet::RouterOptions router;
    fleet::DisaggOptions disagg;  // separate prefill and decode pools (docs/disaggregation.md)
    kv::KvbmOptions kvbm;         // KV block manager tiers below G1 (docs/kvbm.md)
    engine::EngineOptions engine;
    TimingSection timing;
    workload::WorkloadOptions workload{.kind = "generator"};  // defaults run without any data file
    metrics::SlaOptions sla;
    metrics::RecorderOptions metrics;  // metrics.itl_histogram
    SimOptions sim;
    fleet::PlannerOptions planner;  // autoscaling (docs/planner.md); kind = none leaves the fleet static
    // Folder that relative paths in the config are taken from (the config file's folder).
    std::filesystem::path base_dir = ".";

    // Every rule broken, "key = value: rule", prefixed with where the key was set when known.
    std::vector<std::string> validate(const SourceMap& where = {}) const;
};

// Every key a scenario accepts, in documentation order.
const std::vector<Binding<ScenarioOptions>>& scenario_bindings();
// Markdown (docs/config.md) or plain text listing of every key, its type, default and meaning.
std::string describe_config(bool markdown);

// Reads a scenario file (or the built-in defaults when path is empty) plus --set overrides, and
// validates it. Throws ConfigError naming file:line and key for every problem.
ScenarioOptions load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides);
ScenarioOptions load_scenario_text(const std::string& text, const std::string& source_name,
                                   const std::vector<std::string>& overrides);

// The shared data folder: $DYNOSIM_DATA, else the first `shared/data` found beside a parent of the given
// start folders (the repo sits next to `shared/`). Empty when not found.
std::filesystem::path find_data_dir(const std::filesystem::path& start);
// Resolves "data:rel" against the data dir, an absolute path as is, a relative one against base_dir.
std::filesystem::path resolve_path(const std::string& p, const std::filesystem::path& base_dir);

struct RunStats {
    std::uint64_t events = 0;
    std::uint64_t multi_steps = 0;  // engine steps run by multi-step decoding (Engine::run_decode_steps)
    double wall_seconds = 0;
    double simulated_seconds = 0;
    std::int64_t kv_blocks_per_worker = 0;
    std::int32_t max_num_batched_tokens = 0;
    std::int32_t max_num_seqs = 0;
    std::vector<std::string> timing_notes;  // what the timing model decided (tables used, fallbacks)
};

struct Result {
    std::unique_ptr<workload::Workload> workload;
    std::unique_ptr<metrics::Recorder> recorder;
    metrics::Summary summary;
    RunStats stats;
    std::unique_ptr<metrics::TimeseriesSampler> timeseries;  // metrics.timeseries_interval_s > 0 only
};

// Called now and then during a run (every few simulated seconds) with the simulated time reached and the
// number of requests that have arrived out of the total; the CLI draws its progress bar from it.
using ProgressFn = std::function<void(double simulated_s, std::uint64_t arrived, std::uint64_t total)>;

// Builds and runs the scenario. Throws core::InputError for inputs that cannot be modelled.
Result run_scenario(const ScenarioOptions& opts, const ProgressFn& progress = {});
// The same with the caller's workload (finalized: sorted, ids 0..n-1) in place of opts.workload, which is
// then ignored.
Result run_scenario(const ScenarioOptions& opts, workload::Workload wl, const ProgressFn& progress = {});

// Writes summary.json, requests.csv and config.toml (the effective options) into `dir`, and timeseries.csv
// when the run sampled one.
void write_outputs(const Result& r, const ScenarioOptions& opts, const std::filesystem::path& dir);

}  // namespace dynosim::sim::scenario
