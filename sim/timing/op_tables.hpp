// The measured per-op latency tables (AIConfigurator's per-op database, as gzip'd CSV under
// <data_dir>/gpu/aiconfigurator_csv/<gpu>/<family>/<framework>/<version>/), parsed into grids.
// Tables are read lazily, one file at a time, when a model first needs them, and kept in memory for the
// process (TableStore); nothing is cached on disk. Latencies are kept in milliseconds, as in the files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/timing/log_grid.hpp"

namespace dynosim::sim::timing {

// Interpolation rule of each op family, chosen by held-out error over every table (`dynosim calib
// validate`, docs/timing.md): GEMM latency along m is a staircase of kernel tiles, which a cubic overshoots
// into; attention and collectives bend across their wide grid steps, which the monotone cubic follows.
inline constexpr Interp kGemmInterp = Interp::kLinear;
inline constexpr Interp kAttentionInterp = Interp::kMonotoneCubic;
inline constexpr Interp kCommInterp = Interp::kMonotoneCubic;
inline constexpr Interp kMoeInterp = Interp::kLinear;
// Missing cells of the multi-axis grids (fill_missing_cells): GEMM cells from the axes weighted by how
// smooth each is around the cell (cuBLAS switches kernels at tile and wave boundaries, and a rough axis is
// one whose neighbours straddle a switch or a noisy point); attention's two axes by their mean.
inline constexpr Combine kGemmCombine = Combine::kSmoothnessWeightedMedian;
inline constexpr Combine kAttentionCombine = Combine::kMedian;

// A grid as measured: two axes and a row-major value array in ms with NaN where nothing was measured.
struct RawGrid {
    std::vector<double> a, b;  // axis points (rows, columns), increasing
    std::vector<double> ms;    // a.size() x b.size(), NaN = not measured
    std::size_t measured = 0;  // cells with a measurement
    double at(std::size_t i, std::size_t j) const { return ms[i * b.size() + j]; }
};

// GEMM latency of one dtype over (m, n, k): C[m x n] = A[m x k] B[k x n].
struct GemmGrid {
    std::string dtype;   // gemm_dtype column: bfloat16, fp8, fp8_block, ...
    std::string kernel;  // kernel_source of the rows
    std::vector<double> m, n, k;
    // index (im * n.size() + in) * k.size() + ik; missing cells estimated from the measured cells along m, n
    // and k (fill_missing_cells), else filled along m
    std::vector<double> ms;
    std::size_t measured = 0, filled = 0;
    // Latency over m for fixed (n, k), interpolated bilinearly in (log n, log k); *outside set when n or k
    // lies beyond the grid (then scaled linearly, the GEMM's roofline law in n and k).
    LogCurve curve_over_m(double n_val, double k_val, bool* outside) const;
    // Measured cell (NaN when it was filled).
    std::vector<bool> was_measured;
    // Median achieved bandwidth, bytes/s, over the measured memory-bound cells: m <= max_m and weights
    // (n x k x weight_bytes) of at least min_weight_bytes; bytes = weights + m (n + k) x 2 B of bf16
    // activations. 0 when no cell qualifies.
    double median_stream_bandwidth(double weight_bytes, double max_m, double min_weight_bytes) const;
};

struct GemmTable {
    std::string file;
    std::vector<GemmGrid> grids;
    const GemmGrid* find(std::string_view dtype) const;
};

// Attention latency of one head configuration over (batch, sequence length): for context (prefill)
// attention the prompt length isl with no prior KV, for generation (decode) the KV length (isl + step).
// window > 0: the sliding-window kernel (each query attends to its last `window` keys) at those lengths.
struct AttentionSlice {
    int heads = 0, kv_heads = 0, head_dim = 0;
    int window = 0;        // window_size column: 0 = full attention
    std::string kv_dtype;  // bfloat16 / fp8
    RawGrid raw;           // as measured
    LogGrid2 grid;         // missing cells estimated along both axes (fill_missing_cells), else along batch
    std::size_t filled = 0;
};

struct AttentionTable {
    std::string file;
    bool generation = false;
    std::vector<AttentionSlice> slices;  // full-attention and sliding-window slices
    // The slice of `window` (0: full attention) with exactly these per-rank heads, or nullptr.
    const AttentionSlice* find(int heads, int kv_heads, int head_dim, std::string_view kv_dtype,
                               int window = 0) const;
    // The slice of `window` with the same head_dim and kv dtype closest in (log heads, log kv_heads), or
    // nullptr.
    const AttentionSlice* nearest(int heads, int kv_heads, int head_dim, std::string_view kv_dtype,
                                  int window = 0) const;
};

// Collective latency over message size (elements) for one (op, dtype, GPU count, kernel).
struct CommCurve {
    std::string op;      // all_reduce, all_gather, reduce_scatter, alltoall
    std::string dtype;   // bfloat16 / half / int8
    std::string kernel;  // kernel_source (NCCL, vLLM_custom_graph, ...)
    int num_gpus = 0;
    std::vector<double> elements, ms;  // measured points (duplicates averaged in log space)
    LogCurve curve;                    // over the non-decreasing envelope of ms (nondecreasing_envelope)
};

struct CommTable {
    std::string file;
    std::vector<CommCurve> curves;
    const CommCurve* find(std::string_view op, int num_gpus, std::string_view kernel_contains) const;
};

// Fused-MoE latency over tokens for one configuration.
struct MoeCurve {
    std::string dtype, distribution, kernel;
    int hidden = 0, inter = 0, topk = 0, experts = 0, tp = 0, ep = 0;
    std::vector<double> tokens, ms;
    LogCurve curve;
};

struct MoeTable {
    std::string file;
    std::vector<MoeCurve> curves;
};

// Parsers. Each throws core::InputError naming the file, the row and the field of the first bad value.
std::shared_ptr<const GemmTable> read_gemm_table(const std::filesystem::path& file);
std::shared_ptr<const AttentionTable> read_attention_table(const std::filesystem::path& file,
                                                           bool generation);
std::shared_ptr<const CommTable> read_comm_table(const std::filesystem::path& file);
std::shared_ptr<const MoeTable> read_moe_table(const std::filesystem::path& file);

// Where a GPU's and framework's tables are. gpu_dir: h100_sxm, a100_sxm, ...; framework: vllm, sglang,
// trtllm; version empty = the newest version folder that has the file.
struct TableLocator {
    std::filesystem::path root;  // <data_dir>/gpu/aiconfigurator_csv
    std::string gpu_dir;
    std::string framework;
    std::string version;

    // family: gemm, attention, comm, moe; stem: gemm_perf, context_attention_perf, ... (".csv.gz" added).
    std::optional<std::filesystem::path> find(std::string_view family, std::string_view stem) const;
    // The NCCL table (comm/nccl/<newest>/nccl_perf.csv.gz).
    std::optional<std::filesystem::path> find_nccl() const;
};

// The table folder of a catalog GPU (hw::GpuSpec::name), or "" when none is known.
std::string table_gpu_dir(std::string_view gpu_name);
// GPU folders the tables exist for under `root`.
std::vector<std::string> table_gpu_dirs(const std::filesystem::path& root);

// Process-wide, in-memory cache of parsed tables, keyed by file path; thread-safe.
class TableStore {
  public:
    static std::shared_ptr<const GemmTable> gemm(const std::filesystem::path& file);
    static std::shared_ptr<const AttentionTable> attention(const std::filesystem::path& file,
                                                           bool generation);
    static std::shared_ptr<const CommTable> comm(const std::filesystem::path& file);
    static std::shared_ptr<const MoeTable> moe(const std::filesystem::path& file);
};

}  // namespace dynosim::sim::timing
