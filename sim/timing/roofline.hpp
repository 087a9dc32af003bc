// Roofline timing model: a forward pass costs, per operator, the larger of its FLOPs at the achieved
// tensor-core rate and its bytes at the achieved memory bandwidth, summed over operators, plus fixed
// per-step and per-sequence CPU costs. Uncalibrated first-principles estimate; the table model replaces it
// where measured data exists.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/timing_model.hpp"

namespace dynosim::sim::timing {

// Knobs of the roofline. Efficiencies are fractions of the datasheet peak actually achieved.
struct RooflineOptions {
    // Tensor-parallel degree: GPUs one worker spans. Integer >= 1. Default 1.
    int tp = 1;
    // Weight element type: "bf16" or "fp8". fp8 halves weight bytes and uses the GPU's fp8 tensor peak for
    // GEMMs (LM head stays bf16, as in vLLM's fp8 methods). Default "bf16" (vLLM's dtype=auto for
    // bf16 checkpoints).
    std::string weight_dtype = "bf16";
    // KV cache element type: "bf16" or "fp8" (vLLM --kv-cache-dtype). Default "bf16" (vLLM kv_cache_dtype=auto).
    std::string kv_dtype = "bf16";
    // Fraction of peak dense tensor FLOP/s reached by the linear layers (GEMMs). (0, 1]. Default 0.6:
    // assumption, cuBLAS bf16 GEMMs at serving shapes typically reach 55-70% of H100 dense peak; to be
    // calibrated against shared/data/gpu/aiconfigurator gemm_perf.parquet.
    double compute_efficiency = 0.6;
    // Fraction of peak bf16 tensor FLOP/s reached by attention kernels. (0, 1]. Default 0.5: FlashAttention-3
    // reaches ~75% of H100 peak on long uniform sequences (Shah et al. 2024, FA3 paper); serving batches are
    // ragged and shorter, so assume less.
    double attention_efficiency = 0.5;
    // Fraction of peak HBM bandwidth reached by memory-bound kernels. (0, 1]. Default 0.8: aiconfigurator
    // systems/*.yaml mem_bw_empirical_scaling_factor.
    double memory_efficiency = 0.8;
    // Fraction of the one-direction NVLink (or PCIe when no NVLink) bandwidth reached by all-reduce.
    // (0, 1]. Default 0.7: assumption (NCCL/custom all-reduce bus bandwidth on 8x H100 NVLink reaches
    // roughly 70-80% of 450 GB/s); to be calibrated against aiconfigurator comm/nccl_perf.parquet.
    double comm_efficiency = 0.7;
    // Fixed latency of one all-reduce, microseconds. >= 0. Default 10: aiconfigurator systems/*.yaml
    // node.p2p_latency (10 us).
    double allreduce_latency_us = 10;
    // Fixed cost of one engine step, microseconds: scheduler, input preparation, kernel launch/graph
    // replay, output processing. >= 0. Default 800: fitted so the roofline matches the mean ITL vLLM 0.15.1
    // measured on H100 for Qwen2.5-7B tp1 (7.0 ms) and Mistral-Nemo tp2 (6.1 ms) at low load
    // (shared/data/serving/sim2real-trainval/experiments.csv).
    double step_overhead_us = 800;
    // Cost per sequence in the batch, microseconds: sampling, detokenization, per-request bookkeeping in
    // vLLM's model runner and output processor. >= 0. Default 3: assumption (vLLM V1 at batch 256 spends a
    // few hundred microseconds per step outside the GPU forward pass beyond the fixed cost).
    double per_seq_overhead_us = 3;
    // Cost per prefill token, nanoseconds: input ids/positions/slot-mapping preparation and prefix-block
    // hashing. >= 0. Default 50: assumption (~0.4 ms for an 8192-token chunk).
    double per_prefill_token_overhead_ns = 50;

    // Problems, one message each, "timing.<field> = <value>: <rule>"; empty when valid.
    std::vector<std::string> validate() const;
};

class RooflineModel : public TimingModel {
public:
    // Throws core::InputError when opts.validate() finds problems, or when fp8 weights are asked of a GPU
    // without fp8 tensor cores.
    RooflineModel(const hw::ModelSpec& model, const hw::GpuSpec& gpu, const RooflineOptions& opts);

    // O(sequences in the batch); no allocation.
    core::TimeNs step_time(const BatchShape& batch) override;
    core::TimeNs decode_step_time(std::int64_t decodes, std::int64_t context, std::int64_t longest) override;
    std::string_view name() const override { return "roofline"; }

    // The step time in seconds, without rounding to nanoseconds (for tests and reports).
    double step_seconds(const BatchShape& batch) const;

private:
    // The step from its batch sums: tokens, sampled rows, prefill tokens, one layer's attention FLOPs and
    // bytes, sequences.
    double price(double tokens, double sampled, double prefill_tokens, double attn_flops, double attn_bytes,
                 double seqs) const;
    // Time of a linear layer: `params` weights per rank, `tokens` rows, in/out widths per rank.
    double gemm_seconds(double tokens, double params, double in_width, double out_width) const;

    int layers_ = 0;
    double hidden_ = 0;
    // Per-rank widths.
    double q_width_ = 0;    // heads/tp * head_dim
    double kv_width_ = 0;   // kv_heads_per_rank * head_dim
    double heads_ = 0;      // attention heads per rank
    double head_dim_ = 0;
    double mlp_width_ = 0;  // dense intermediate / tp
    double expert_width_ = 0;  // moe_intermediate / tp
    double shared_width_ = 0;  // shared expert intermediate / tp
    double num_experts_ = 0;
    double top_k_ = 0;
    double vocab_per_rank_ = 0;
    bool moe_ = false;
    int tp_ = 1;
    // Rates.
    double gemm_flops_ = 0;      // achieved GEMM FLOP/s
    double lm_head_flops_ = 0;   // achieved bf16 FLOP/s (LM head is not quantized)
    double attn_flops_ = 0;      // achieved attention FLOP/s
    double mem_bw_ = 0;          // achieved HBM bytes/s
    double link_bw_ = 0;         // achieved all-reduce link bytes/s
    double weight_bytes_ = 2;
    double kv_bytes_ = 2;
    // Per-layer constants.
    double kv_bytes_per_token_layer_ = 0;  // K+V bytes of one token in one layer on one rank
    double allreduce_latency_s_ = 0;
    double step_overhead_s_ = 0;
    double per_seq_overhead_s_ = 0;
    double per_prefill_token_overhead_s_ = 0;
};

}  // namespace dynosim::sim::timing
