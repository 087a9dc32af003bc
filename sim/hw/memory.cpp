// KV capacity of one worker, following vLLM V1's memory profiling (vllm/v1/worker/gpu_worker.py
// determine_available_memory, vllm/v1/core/kv_cache_utils.py get_kv_cache_config):
//
//   requested  = hbm_bytes * gpu_memory_utilization               (per GPU)
//   kv_bytes   = requested - weights_per_gpu - activation_peak - non_torch_reserve
//   num_blocks = floor(kv_bytes / kv_block_bytes_per_gpu) - 1     (block 0 is vLLM's null block)
//
// Every TP rank holds the same block ids (each rank stores its own KV heads of every block), so the
// worker's block count equals one rank's. vLLM measures the activation peak with a dummy forward pass of
// max_num_batched_tokens; we estimate it instead (see activation_bytes below).
#include "sim/hw/memory.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "sim/core/errors.hpp"

namespace dynosim::sim::hw {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kActivationBytes = 2;  // activations are bf16 in the profiled forward pass

// Activation peak + runtime reserve per GPU. Terms (all per GPU):
// - fixed 0.5 GiB: cuBLAS/cuDNN workspaces, allocator fragmentation, the non-torch memory increase vLLM
//   subtracts; fitted (below).
// - NCCL buffers when tp > 1: 0.35 GiB (aiconfigurator systems/*.yaml misc.nccl_mem: 342 MB at 2 GPUs,
//   392 MB at 4-8).
// - forward pass of max_num_batched_tokens tokens: the widest live tensors are the MLP's gate/up output
//   and the residual + normed hidden states: tokens x (mlp_width / tp + 2 x hidden) x 2 B.
// - logits/sampler workspace: 1024 x vocab x 4 B (fp32 logits and their softmax/sort copies in the
//   sampler's dummy run), fitted.
// Fit: the GPU KV block counts vLLM 0.15.1 reported on H100 for Llama-2-7B, Qwen2.5-7B, Mistral-Nemo (tp1,
// tp2), Yi-34B (tp2) and Llama-3.1-70B (tp4) at utilization 0.9 (shared/data/serving/sim2real-trainval/
// experiments.csv, total_kv_blocks) are reproduced within about 2%.
double activation_bytes(const ModelSpec& m, const MemoryInputs& in) {
    const double mlp_width =
        m.is_moe() ? std::max<double>(static_cast<double>(m.experts_per_token) * m.moe_intermediate_size,
                                      m.shared_expert_intermediate_size)
                   : m.intermediate_size;
    const double widest = m.first_k_dense > 0 ? std::max<double>(mlp_width, m.intermediate_size) : mlp_width;
    const double fixed = 0.5 * kGiB;
    const double nccl = in.tp > 1 ? 0.35 * kGiB : 0.0;
    const double forward = static_cast<double>(in.max_num_batched_tokens) *
                           (widest / in.tp + 2.0 * m.hidden_size) * kActivationBytes;
    const double sampler = 1024.0 * m.vocab_size * 4.0;
    return fixed + nccl + forward + sampler;
}

void check_inputs(const MemoryInputs& in) {
    auto bad = [](const std::string& what) { throw core::InputError("memory: " + what); };
    if (in.tp < 1) bad(fmt::format("tp = {}: must be >= 1", in.tp));
    if (!(in.gpu_memory_utilization > 0 && in.gpu_memory_utilization <= 1))
        bad(fmt::format("gpu_memory_utilization = {}: must be in (0, 1]", in.gpu_memory_utilization));
    if (in.weight_dtype_bytes != 1 && in.weight_dtype_bytes != 2)
        bad(fmt::format("weight_dtype_bytes = {}: must be 1 (fp8) or 2 (bf16)", in.weight_dtype_bytes));
    if (in.kv_dtype_bytes != 1 && in.kv_dtype_bytes != 2)
        bad(fmt::format("kv_dtype_bytes = {}: must be 1 (fp8) or 2 (bf16)", in.kv_dtype_bytes));
    if (in.block_size < 1) bad(fmt::format("block_size = {}: must be >= 1", in.block_size));
    if (in.max_num_batched_tokens < 1)
        bad(fmt::format("max_num_batched_tokens = {}: must be >= 1", in.max_num_batched_tokens));
    if (in.attention_dp < 1 || in.tp % in.attention_dp != 0)
        bad(fmt::format("attention_dp = {}: must be >= 1 and divide tp = {}", in.attention_dp, in.tp));
    if (in.max_num_seqs < 1) bad(fmt::format("max_num_seqs = {}: must be >= 1", in.max_num_seqs));
}

}  // namespace

std::int32_t kv_heads_per_rank(const ModelSpec& m, std::int32_t tp) {
    return std::max<std::int32_t>(1, m.num_kv_heads / std::max<std::int32_t>(1, tp));
}

std::int32_t kv_accounted_layers(const ModelSpec& m) {
    const bool hybrid =
        m.local_kind == ModelSpec::LocalAttention::kSliding && m.num_full_attention_layers() > 0;
    return hybrid ? m.num_full_attention_layers() : m.num_layers;
}

double kv_block_bytes_per_gpu(const ModelSpec& m, std::int32_t tp, std::int32_t block_size,
                              double kv_dtype_bytes) {
    return block_size * m.kv_elements_per_token_layer(kv_heads_per_rank(m, tp)) * kv_dtype_bytes *
           kv_accounted_layers(m);
}

double sliding_window_reserve_bytes(const ModelSpec& m, const MemoryInputs& in) {
    const std::int32_t layers = m.num_layers - kv_accounted_layers(m);
    if (layers <= 0) return 0;
    const std::int32_t tp_attn =
        std::max<std::int32_t>(1, in.tp / std::max<std::int32_t>(1, in.attention_dp));
    const double blocks = std::ceil(static_cast<double>(m.local_window - 1) / in.block_size) + 1;
    // With attention DP each rank runs about max_num_seqs / attention_dp of the sequences.
    const double seqs =
        std::ceil(static_cast<double>(in.max_num_seqs) / std::max<std::int32_t>(1, in.attention_dp));
    return seqs * blocks * in.block_size * layers *
           m.kv_elements_per_token_layer(kv_heads_per_rank(m, tp_attn)) * in.kv_dtype_bytes;
}

double weight_bytes_per_gpu(const ModelSpec& m, std::int32_t tp, double weight_dtype_bytes,
                            std::int32_t attention_dp) {
    const double t = std::max<std::int32_t>(1, tp);
    const std::int32_t tp_attn = std::max<std::int32_t>(1, tp / std::max<std::int32_t>(1, attention_dp));
    const double ta = tp_attn;
    const double h = m.hidden_size;
    double attention = 0;
    if (m.is_mla()) {
        const double heads = m.num_heads, qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
        // Replicated: q_a_proj and kv_a_proj_with_mqa (one fused GEMM); split: q_b, kv_b, o.
        attention = h * (m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim) +
                    (m.q_lora_rank > 0 ? m.q_lora_rank : h) * heads * qk / ta +
                    m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim) / ta +
                    heads * m.v_head_dim * h / ta;
    } else {
        const double q_dim = static_cast<double>(m.num_heads) * m.head_dim;
        const double kv_dim = static_cast<double>(kv_heads_per_rank(m, tp_attn)) * m.head_dim;
        attention = h * q_dim / ta + 2 * h * kv_dim + q_dim / ta * h;  // q, k, v, o
    }
    // Dense and MoE layers summed in the order of the single-layer-type formula, so dense models and
    // all-MoE models keep their exact previous figures.
    double moe_layer = attention, dense_layer = attention;
    moe_layer += static_cast<double>(m.num_experts) * 3 * h * m.moe_intermediate_size / t;
    moe_layer += 3 * h * m.shared_expert_intermediate_size / t;
    dense_layer += 3 * h * m.intermediate_size / t;
    const double moe_layers = m.num_moe_layers(), dense_layers = m.num_layers - m.num_moe_layers();
    double bytes = (dense_layers * dense_layer + moe_layers * moe_layer) * weight_dtype_bytes;
    // Router and norms: tiny, replicated, kept 16-bit.
    const double router = m.is_moe() ? h * m.num_experts : 0.0;
    bytes += moe_layers * (router + 2 * h) * 2.0 + dense_layers * (2 * h) * 2.0 + h * 2.0;
    // Embedding and LM head: vocab-parallel over the attention TP group, 16-bit.
    const double vocab_rows = m.tie_word_embeddings ? 1.0 : 2.0;
    bytes += vocab_rows * static_cast<double>(m.vocab_size) * h / ta * 2.0;
    return bytes;
}

MemoryPlan plan_memory(const ModelSpec& m, const GpuSpec& g, const MemoryInputs& in) {
    check_inputs(in);
    // vLLM refuses TP degrees that do not divide the attention heads
    // (ModelConfig.verify_with_parallel_config).
    if (m.num_heads % in.tp != 0)
        throw core::InputError(fmt::format("model {} has {} attention heads, not divisible by tp={}", m.name,
                                           m.num_heads, in.tp));
    MemoryPlan plan;
    const double requested = g.hbm_bytes * in.gpu_memory_utilization;
    plan.weight_bytes_per_gpu = weight_bytes_per_gpu(m, in.tp, in.weight_dtype_bytes, in.attention_dp);
    if (plan.weight_bytes_per_gpu > requested) {
        throw core::InputError(
            fmt::format("model {} needs {:.1f} GiB of weights per GPU at tp={}; GPU {} has {:.1f} GiB "
                        "({:.1f} GiB at gpu_memory_utilization {})",
                        m.name, plan.weight_bytes_per_gpu / kGiB, in.tp, g.name, g.hbm_bytes / kGiB,
                        requested / kGiB, in.gpu_memory_utilization));
    }
    plan.activation_bytes_per_gpu = activation_bytes(m, in);
    plan.kv_bytes_per_gpu = requested - plan.weight_bytes_per_gpu - plan.activation_bytes_per_gpu;
    const double tp_attn = in.tp / in.attention_dp;
    const double block_bytes =
        kv_block_bytes_per_gpu(m, static_cast<std::int32_t>(tp_attn), in.block_size, in.kv_dtype_bytes);
    const double full_bytes = plan.kv_bytes_per_gpu - sliding_window_reserve_bytes(m, in);
    const double blocks = full_bytes > 0 ? std::floor(full_bytes / block_bytes) : 0.0;
    plan.num_blocks = static_cast<std::int64_t>(blocks) - 1;
    // Each attention-DP rank has its own pool (and null block); the worker's capacity is their sum.
    if (in.attention_dp > 1 && plan.num_blocks >= 1) plan.num_blocks *= in.attention_dp;
    if (plan.num_blocks < 1) {
        throw core::InputError(fmt::format(
            "model {} leaves no room for the KV cache on {} at tp={}: {:.1f} GiB requested, {:.1f} GiB "
            "weights, {:.1f} GiB activations per GPU",
            m.name, g.name, in.tp, requested / kGiB, plan.weight_bytes_per_gpu / kGiB,
            plan.activation_bytes_per_gpu / kGiB));
    }
    return plan;
}

}  // namespace dynosim::sim::hw
