// The calibrated, table-driven timing model. A forward pass is priced op by op from measured per-op
// latency tables (AIConfigurator's database: GEMM by m, n, k and dtype; context and generation attention by
// batch, length and heads; all-reduce / all-to-all by message size and GPU count; fused MoE by tokens,
// experts, top-k, TP and EP), interpolated in log-log space, summed over layers, plus a per-step overhead
// fitted on measured step times. Where no table covers an op (a GPU or dtype without tables, an unknown
// head layout) it falls back to the roofline with efficiencies fitted on the tables; shapes beyond a
// table's grid are clamped to its edge and scaled by the op's roofline law, with a warning.
// Equations and sources: docs/timing.md.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/log_grid.hpp"
#include "sim/timing/op_tables.hpp"
#include "sim/timing/roofline.hpp"
#include "sim/timing/timing_model.hpp"

namespace dynosim::sim::timing {

// Knobs of the table model ([timing] section of a scenario).
struct TableTimingOptions {
    // Folder holding gpu/aiconfigurator_csv/ (the shared data folder). Path. Default "../shared/data"
    // (the repository's convention: shared data beside the checkout; $DYNOSIM_DATA overrides it when this
    // is left at the default, see resolved_data_dir()).
    std::string data_dir = "../shared/data";
    // Serving framework whose kernels are modelled: "vllm", "sglang" or "trtllm". Its own tables are used
    // where they exist for the GPU, else vLLM's (with a note). Default "vllm" (the engine dynosim models).
    std::string backend = "vllm";
    // Table version folder (e.g. "0.24.0"); "" = the newest present. Default "".
    std::string table_version;
    // Tensor-parallel degree. Integer >= 1, must divide the attention heads. Default 1.
    int tp = 1;
    // Pipeline-parallel stages. Integer >= 1, <= num_layers. Default 1.
    int pp = 1;
    // Expert-parallel degree for MoE layers: 1 = experts sharded by TP (vLLM default); = tp = experts
    // spread over the TP group with all-to-all dispatch (vLLM --enable-expert-parallel). 1 or tp. Default 1.
    int ep = 1;
    // Data-parallel attention ranks among the tp GPUs: 1 = off; d > 1 (dividing tp) = attention runs on d
    // ranks of tp / d GPUs each, every rank with its own share of the batch (the step is as slow as the
    // busiest rank: ceil(sequences / d)), while MoE experts are spread over all tp GPUs (expert parallel,
    // ep must then be tp) with an all-to-all dispatch and combine of each rank's tokens; dense MLP layers
    // stay tensor-parallel over all tokens. SGLang --enable-dp-attention --dp-size d, TRT-LLM
    // enable_attention_dp (d = tp), vLLM --data-parallel-size d --enable-expert-parallel (MoE models).
    // Default 1.
    int attention_dp = 1;
    // Weight element type: "bf16" or "fp8" (per-tensor fp8 GEMMs; MoE uses fp8 or fp8_block tables). The
    // LM head stays bf16 (vLLM's fp8 methods skip it). Default "bf16".
    std::string weight_dtype = "bf16";
    // KV cache element type: "bf16" or "fp8" (vLLM --kv-cache-dtype). Default "bf16".
    std::string kv_dtype = "bf16";
    // Expert-load distribution of the MoE tables: "balanced", "power_law_1.01" or "power_law_1.2".
    // Default "power_law_1.01": assumption, real routers are imbalanced; 1.01 is the milder skew measured.
    std::string moe_distribution = "power_law_1.01";
    // Steps with at most this many tokens run as captured CUDA graphs (graph-mode all-reduce rows; under
    // backend vllm their token count is padded to the next capture size, see cuda_graph_padding); larger
    // steps run eagerly. Tokens >= 0. Default 512: vLLM V1's largest max_cudagraph_capture_size (its default
    // is min(2 x max_num_seqs, 512); a vLLM scenario lowers this to that).
    int cuda_graph_max_tokens = 512;
    // vLLM (backend vllm only): a step of at most cuda_graph_max_tokens tokens runs the captured graph of the
    // next capture size, 1, 2, 4, then multiples of 8 to 256, then of 16 (vLLM's default
    // cudagraph_capture_sizes), so its GEMMs, fused MoE, elementwise kernels and all-reduces process the
    // padded token count (the padding rows hold stale inputs and are routed like real tokens); attention
    // and the LM head (computed outside the graph on the sampled rows) see the real batch. Default true.
    bool cuda_graph_padding = true;
    // Memory-bound bf16 GEMMs (m <= 64 rows, weights of at least 64 MiB) are priced at the median bandwidth
    // the bf16 GEMM table achieves over all such cells, (weights + activations) / bandwidth, instead of
    // their own (n, k) cells. The table's memory-bound cells fall into two kernel modes about 15% apart
    // (H100 bf16, m <= 16: p10 / p50 / p90 2.47 / 2.77 / 3.00 TB/s) that neighbouring shapes and m switch
    // between, a choice of the benchmarking stack's GEMM heuristics that a serving stack need not repeat for
    // the same shape; the median is the estimate that does not depend on which mode a model's shapes hit.
    // fp8 GEMMs keep their cells (their spread is wide, not two modes). Default true.
    bool gemm_median_bandwidth = true;
    // All-reduces up to this many bytes use the framework's custom all-reduce, larger ones NCCL.
    // MiB > 0. Default 8: vLLM CustomAllreduce max_size (8 MiB).
    double custom_allreduce_max_mib = 8;
    // Fixed cost of one engine step, microseconds (what the GPU waits for between forward passes: input
    // preparation, sampling, launch gaps not hidden by async scheduling). >= 0. Default 283: fitted by
    // `dynosim calib fit --method simulate` on the 21 run stages of measured vLLM 0.15.1 serving on H100
    // (shared/data/serving/sim2real-trainval/experiments.csv): every stage simulated, overheads moved until
    // the simulated time per output token matches the measured one (result 283.2 us, with the median-
    // bandwidth GEMMs, CUDA-graph padding and the load generator's 10 x 10 prompts; 48.4 without the
    // median-bandwidth GEMMs, 192.9 before all three, 628 before the elementwise kernel floor and split-KV
    // decode attention of docs/timing.md).
    double step_overhead_us = 283.2;
    // Cost per sequence in the batch, microseconds. >= 0. Default 0.69: fitted with step_overhead_us
    // (result 0.69 us; 0 and 0.06 before).
    double per_seq_overhead_us = 0.69;
    // Cost per prefill token, nanoseconds (input preparation, hashing). >= 0. Default 50: assumption, as
    // the roofline (no prefill-only step-time measurements to fit it on).
    double per_prefill_token_overhead_ns = 50;
    // Fixed latency of one pipeline stage hand-off, microseconds. >= 0. Default 10: aiconfigurator
    // systems/*.yaml node.p2p_latency.
    double p2p_latency_us = 10;
    // Significant bits kept of the summed context lengths in the step cache key (relative resolution
    // 2^-bits; the step is priced at the bucket's midpoint, so results do not depend on call order).
    // 0 = exact keys; else 4..30. Default 10 (0.1% resolution, below the tables' own noise).
    int cache_key_bits = 10;
    // Entries of the step-time cache (direct-mapped); power of two, 0 = no cache. Default 4096.
    int cache_entries = 4096;
    // Optional calibration file written by `dynosim calib fit` ("key = value" lines): overrides the three
    // overhead fields above. "" = none. Default "".
    std::string calibration_file;

    // Problems, one message each, "timing.<field> = <value>: <rule>"; empty when valid.
    std::vector<std::string> validate() const;
    // data_dir, or $DYNOSIM_DATA when data_dir is the default and the variable is set.
    std::string resolved_data_dir() const;
};

// Roofline efficiencies fitted on measured tables (fractions of datasheet peaks).
struct FittedEfficiency {
    double gemm = 0.6;       // achieved / peak dense FLOP/s on large GEMMs (m, n, k >= 2048)
    double attention = 0.5;  // achieved / peak bf16 FLOP/s of context attention at isl >= 4096
    double memory = 0.8;     // achieved / peak HBM bandwidth of GEMV-like GEMMs (m <= 16)
    double comm = 0.7;       // achieved bus bandwidth / link bandwidth of the largest all-reduces
    double floor_us = 5;     // smallest kernel latency in the GEMM table, microseconds
    std::string source;      // which tables these came from
};
// Fits on the given tables of `gpu` (any may be null: that field keeps its default).
FittedEfficiency fit_efficiency(const hw::GpuSpec& gpu, const GemmTable* gemm, const AttentionTable* context,
                                const CommTable* comm);
// Median of the per-GPU fits over every GPU that has tables under `root` for `framework` (the estimate
// for a GPU without tables). Cached per root.
FittedEfficiency fit_efficiency_across_gpus(const std::filesystem::path& root, const std::string& framework);

// One line of a forward-pass breakdown (the whole model, all layers).
struct OpCost {
    std::string op;      // qkv_gemm, attention_context, all_reduce, ...
    double ms = 0;       // time over all layers, milliseconds
    std::string source;  // "table", "table (extrapolated)", "roofline (fitted)", "fitted overhead", ...
};

// Aggregates of a batch that the model prices, with the summed lengths quantized (the cache key).
struct StepKey {
    std::int64_t decodes = 0;            // decode sequences
    std::int64_t decode_context = 0;     // sum of their KV lengths (quantized)
    std::int64_t decode_max = 0;         // the longest of them (quantized)
    std::int64_t prefills = 0;           // prefill chunks
    std::int64_t prefill_tokens = 0;     // their new tokens
    std::int64_t prefill_attention = 0;  // sum of (context + new)^2 - context^2 (quantized)
    std::int64_t sampled = 0;            // rows that sample a token (decodes + last chunks)
    // Local (sliding-window / chunked) attention layers only, 0 otherwise: the decode KV lengths and the
    // prefill sum above with every context clipped to what a local layer sees (quantized).
    std::int64_t local_decode_context = 0;
    std::int64_t local_prefill_attention = 0;
    bool operator==(const StepKey&) const = default;
};

class TableTimingModel : public TimingModel {
  public:
    // Loads (lazily, once per process) the tables the model needs. Throws core::InputError for invalid
    // options, a malformed table file (naming file, row, field) or an impossible parallel layout.
    TableTimingModel(const hw::ModelSpec& model, const hw::GpuSpec& gpu, const TableTimingOptions& opts);

    // Cached: O(sequences) to build the key, then one table probe; no allocation in steady state.
    core::TimeNs step_time(const BatchShape& batch) override;
    // The same key and cache as step_time; -1 with local attention layers (they clip each length).
    core::TimeNs decode_step_time(std::int64_t decodes, std::int64_t context, std::int64_t longest) override;
    std::string_view name() const override { return "table"; }

    // Uncached step time in seconds (same value step_time rounds, from the quantized key).
    double step_seconds(const BatchShape& batch) const;
    // Per-op breakdown of one step (allocates; for reports).
    std::vector<OpCost> breakdown(const BatchShape& batch) const;
    StepKey make_key(const BatchShape& batch) const;
    double key_seconds(const StepKey& key) const { return evaluate(key, nullptr); }

    // What the model decided at construction (tables used, fallbacks, fitted efficiencies) and warnings
    // raised since (first out-of-grid shape per op); meant for the run's log.
    const std::vector<std::string>& notes() const { return notes_; }
    // Called once per op the first time a shape falls outside its table's grid (and for construction
    // notes already raised when set). Default: none (notes() still records them).
    void set_warning_sink(std::function<void(std::string_view)> sink);
    bool uses_tables() const { return table_ops_ > 0; }
    std::uint64_t cache_hits() const { return hits_; }
    std::uint64_t cache_misses() const { return misses_; }
    std::uint64_t out_of_grid_evaluations() const { return out_of_grid_; }
    const FittedEfficiency& efficiency() const { return eff_; }

  private:
    // A linear layer priced from a GEMM table curve over m (tokens), or by the fitted roofline.
    struct GemmOp {
        const char* name = "";
        double n = 0, k = 0;    // per-rank output and input widths
        double flops_peak = 0;  // dense peak FLOP/s of its dtype
        double weight_bytes = 2;
        LogCurve curve;  // empty: roofline
        bool extrapolated_nk = false;
        double stream_bw = 0;  // bytes/s for m <= kStreamMaxM (gemm_median_bandwidth), 0 = the curve
    };
    enum Op : int {
        kQkv,
        kQb,
        kKvb,
        kAttnCtx,
        kAttnGen,
        kOProj,
        kGateUp,
        kDown,
        kRouter,
        kExperts,
        kSharedUp,
        kSharedDown,
        kAllReduce,
        kAllToAll,
        kElementwise,
        kLmHead,
        kPipeline,
        kOverhead,
        kNumOps
    };

    void build_gemm(GemmOp& op, const char* op_name, double n, double k, bool bf16_only,
                    const GemmTable* table);
    double gemm_ms(const GemmOp& op, double m, int op_id) const;
    double roofline_gemm_ms(const GemmOp& op, double m) const;
    double attention_context_ms(double prefills, double eff_len, double new_tokens, double kv_tokens) const;
    double attention_generation_ms(double decodes, double mean_kv) const;
    // Local (sliding-window) layers priced from a window slice at the length the kernel sees.
    struct WindowSlice {
        const AttentionSlice* slice = nullptr;  // null: clipped-context pricing on the full rows
        double scale = 1, batch_mult = 1;       // as ctx_scale_ / ctx_batch_mult_
    };
    double window_attention_ms(const WindowSlice& w, double batch, double len, int op_id) const;
    double allreduce_ms(double tokens) const;
    // All-reduce over the attention TP group (tp / attention_dp GPUs).
    double attention_allreduce_ms(double tokens) const;
    double mla_context_ms(double prefills, double eff_len, double new_tokens) const;
    double mla_generation_ms(double decodes, double mean_kv) const;
    double alltoall_ms(double tokens) const;
    double experts_ms(double tokens) const;
    double evaluate(const StepKey& key, std::vector<OpCost>* out) const;
    core::TimeNs cached_ns(const StepKey& key);
    void note(std::string text) const;
    // Records that op `op_id` was priced outside its grid at `x` (first time: a note and the sink).
    void flag(int op_id, double x) const;

    // Model shape (per rank).
    int layers_ = 0, tp_ = 1, pp_ = 1, ep_ = 1;
    int attn_dp_ = 1, tp_attn_ = 1;  // data-parallel attention ranks, GPUs per attention rank
    // Layer types: full / local attention, dense / MoE MLP (DeepSeek's leading dense layers).
    double full_layers_ = 0, local_layers_ = 0, dense_layers_ = 0, moe_layers_ = 0;
    hw::ModelSpec::LocalAttention local_kind_ = hw::ModelSpec::LocalAttention::kNone;
    std::int64_t window_ = 0;
    // MLA (kv_lora_ > 0): latent width, rope and nope dims, value dim.
    double kv_lora_ = 0, rope_ = 0, nope_ = 0, v_dim_ = 0;
    double hidden_ = 0, heads_ = 0, kv_heads_ = 0, head_dim_ = 0, inter_ = 0;
    // SMs of the GPU when decode attention is FlashAttention's split-KV kernel (vLLM), else 0 (see evaluate).
    double split_kv_sms_ = 0;
    // gemm_median_bandwidth: GEMMs of at most kStreamMaxM rows with at least kStreamMinWeightBytes of weights
    // are priced at their grid's median memory-bound bandwidth (GemmOp::stream_bw).
    bool median_bw_ = false;
    static constexpr double kStreamMaxM = 64;
    static constexpr double kStreamMinWeightBytes = 64.0 * 1024 * 1024;
    bool moe_ = false;
    double experts_ = 0, topk_ = 0, expert_inter_ = 0, shared_inter_ = 0;
    double kv_bytes_ = 2;
    bool weight_fp8_ = false;
    int graph_max_tokens_ = 512;
    bool graph_padding_ = false;  // vLLM capture-size padding of the token count (cuda_graph_padding)
    // The token count a step's graph runs: `tokens` padded to the next capture size when graph_padding_
    // and tokens <= graph_max_tokens_, else `tokens`.
    double graph_tokens(double tokens) const;
    double custom_ar_max_bytes_ = 0;
    double bf16_peak_ = 0, fp8_peak_ = 0, hbm_bw_ = 0, link_bw_ = 0;

    GemmOp qkv_, q_b_, kv_b_, o_, gate_up_, down_, router_, shared_up_, shared_down_, lm_head_;
    // Attention slices (null: roofline) and their head scale factors when taken from a neighbour layout.
    std::shared_ptr<const AttentionTable> ctx_table_, gen_table_;
    const AttentionSlice* ctx_ = nullptr;
    const AttentionSlice* gen_ = nullptr;
    double ctx_scale_ = 1, gen_scale_ = 1;
    // Batch multipliers when the layout is priced as fewer KV heads of the same group size (kv / kv').
    double ctx_batch_mult_ = 1, gen_batch_mult_ = 1;
    // Sliding-window slices of the model's window (local layers), when the tables measure it.
    WindowSlice local_ctx_, local_gen_;
    // Collectives.
    std::shared_ptr<const CommTable> custom_ar_table_, nccl_table_;
    const CommCurve* ar_graph_ = nullptr;
    const CommCurve* ar_eager_ = nullptr;
    const CommCurve* ar_nccl_ = nullptr;
    const CommCurve* a2a_ = nullptr;
    // All-reduce curves of the attention TP group when it is smaller than tp (attention DP).
    const CommCurve* attn_ar_graph_ = nullptr;
    const CommCurve* attn_ar_eager_ = nullptr;
    const CommCurve* attn_ar_nccl_ = nullptr;
    // MoE.
    std::shared_ptr<const MoeTable> moe_table_;
    const MoeCurve* moe_curve_ = nullptr;
    double moe_token_scale_ = 1;  // tokens x topk / table topk when the curve has another top-k
    std::shared_ptr<const GemmTable> gemm_table_;

    FittedEfficiency eff_;
    double step_overhead_s_ = 0, per_seq_s_ = 0, per_prefill_token_s_ = 0, p2p_latency_s_ = 0;
    int key_bits_ = 10;
    int table_ops_ = 0;

    // Cache: direct-mapped, fixed size.
    struct Entry {
        StepKey key;
        core::TimeNs ns = -1;
    };
    std::vector<Entry> cache_;
    std::uint64_t mask_ = 0;
    std::uint64_t hits_ = 0, misses_ = 0;
    // decode_step_time's last key (decodes, quantized context and longest) and its time.
    std::int64_t last_decodes_ = -1, last_context_ = -1, last_longest_ = -1;
    core::TimeNs last_ns_ = 0;
    // Warnings are raised from const pricing: first time per op only, so at most kNumOps allocations.
    mutable std::uint64_t out_of_grid_ = 0;
    mutable std::uint32_t warned_ = 0;  // bit per Op already warned about
    mutable std::vector<std::string> notes_;
    std::function<void(std::string_view)> sink_;
};

// The timing model for a scenario: kind "table" (this model) or "roofline" (RooflineModel with the
// parallelism and dtypes of `opts` and the efficiencies of `roofline`). Throws core::InputError for an
// unknown kind or bad options. `notes` (optional) receives the model's construction notes.
std::unique_ptr<TimingModel> make_timing_model(std::string_view kind, const hw::ModelSpec& model,
                                               const hw::GpuSpec& gpu, const TableTimingOptions& opts,
                                               const RooflineOptions& roofline = {},
                                               std::vector<std::string>* notes = nullptr);

}  // namespace dynosim::sim::timing
