// Calibration of the table model: (1) leave-one-out validation of the per-op tables (how well the
// interpolation predicts a measured point it was not given), (2) cross-source validation (the tables
// against another group's measurements of the same op), (3) the fit of the per-step overhead on measured
// iteration times. Used by `dynosim calib validate` / `dynosim calib fit`.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/timing/table_model.hpp"

namespace dynosim::sim::timing {

// Absolute percentage errors of one op family on held-out points.
struct ErrorStats {
    std::string family;  // gemm, context_attention, generation_attention, all_reduce, moe, ...
    std::string scope;   // gpu/framework/version or the pair of sources compared
    // "cell": a measured cell held out and estimated from the rest of its table as the model does for a
    // cell it lacks (every axis that brackets it, combined); "axis": held out along one axis only (the
    // interpolation between grid points, across twice the grid spacing). One-axis tables: "cell".
    std::string protocol = "cell";
    std::size_t points = 0;
    double median_pct = 0;
    double p90_pct = 0;
    double max_pct = 0;
};
ErrorStats summarize(std::string family, std::string scope, std::vector<double> abs_pct);

// Leave-one-out over grid points: every measured point that measured points bracket along some axis is
// held out and predicted from the remaining measured points with the model's own rules (interpolation of
// the family, missing-cell estimate for multi-axis grids, the envelope of the collectives); the point
// predicted is never part of its own prediction. Per op family for the tables of one GPU folder and
// framework (newest version); framework "nccl": the NCCL collectives. GEMM and attention give a "cell"
// and an "axis" entry each (ErrorStats::protocol).
std::vector<ErrorStats> leave_one_out(const std::filesystem::path& table_root, const std::string& gpu_dir,
                                      const std::string& framework);

// Cross-source: Vidur's per-layer linear-op profiles (gpu/vidur/compute/<gpu>/<org>/<model>/mlp.csv,
// PyTorch/sarathi kernels) against the AIConfigurator GEMM table of the same GPU interpolated at the same
// (m, n, k). gpu: "h100" or "a100".
std::vector<ErrorStats> cross_source_vidur(const std::filesystem::path& data_dir, const std::string& vidur_gpu,
                                           const std::string& framework);

// Per-step overhead fitted on SplitwiseSim's measured decode iterations (gpu/splitwise_sim/perf_model.csv):
// residual = measured token_time - modelled forward pass (overheads zeroed), least squares
// residual = a + b x batch over every row of `hardware` (h100-80gb, a100-80gb) for `model_dir`.
struct OverheadFit {
    double step_overhead_us = 0;
    double per_seq_overhead_us = 0;
    double rmse_ms = 0;
    std::size_t points = 0;
    double median_abs_pct_before = 0;  // |model - measured| / measured with the default overheads
    double median_abs_pct_after = 0;   // ... with the fitted ones
    std::string source;
};
OverheadFit fit_overhead_splitwise(const std::filesystem::path& data_dir, const std::string& hardware,
                                   const TableTimingOptions& base);

// Per-step overhead fitted on the measured vLLM serving runs of serving/sim2real-trainval/experiments.csv
// (vLLM 0.15.1, H100): per run and stage, the decode batch is taken from Little's law (arrival rate x mean
// E2E), the context from the workload (system prompt + question + 22 framing tokens + half the output),
// and residual = measured mean ITL - modelled decode forward pass is fitted as a + b x batch.
OverheadFit fit_overhead_sim2real(const std::filesystem::path& data_dir, const TableTimingOptions& base);

}  // namespace dynosim::sim::timing
