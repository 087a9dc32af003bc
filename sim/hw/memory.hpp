// KV capacity of one worker: what is left of GPU memory after weights and runtime reserves, divided into
// KV blocks (vLLM's determine_available_memory / get_kv_cache_config arithmetic).
#pragma once
#include <cstdint>

#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"

namespace dynosim::sim::hw {

struct MemoryPlan {
    double weight_bytes_per_gpu = 0;
    double activation_bytes_per_gpu = 0;  // peak activation + non-torch reserve
    double kv_bytes_per_gpu = 0;
    std::int64_t num_blocks = 0;  // usable KV blocks of the worker (all TP ranks together)
};

struct MemoryInputs {
    std::int32_t tp = 1;
    double gpu_memory_utilization = 0.9;  // vLLM default
    double weight_dtype_bytes = 2;        // 2 bf16, 1 fp8
    double kv_dtype_bytes = 2;
    std::int32_t block_size = 16;
    std::int32_t max_num_batched_tokens = 8192;  // sizes the activation peak
    // Data-parallel attention ranks among the tp GPUs (1 = off): attention runs with tp / attention_dp
    // GPUs per rank and each rank keeps the KV of its own sequences; MLP/experts stay spread over all tp.
    std::int32_t attention_dp = 1;
    // Running sequences the engine admits at most: sizes the sliding-window blocks held back (below).
    std::int32_t max_num_seqs = 256;
};

// Weight bytes one tensor-parallel rank holds: attention heads, MLP/expert widths, embedding and LM head
// split tp ways (KV heads replicated when num_kv_heads < tp, as vLLM does); norms replicated. Embedding and
// LM head stay 16-bit whatever weight_dtype_bytes says (vLLM's fp8 methods leave them unquantized).
// MLA: q_a/kv_a projections replicated, q_b/kv_b/o split (vLLM DeepseekV2MLAAttention). With
// attention_dp > 1 the attention weights are split tp / attention_dp ways only.
double weight_bytes_per_gpu(const ModelSpec& m, std::int32_t tp, double weight_dtype_bytes,
                            std::int32_t attention_dp = 1);

// KV heads each TP rank stores: vLLM splits KV heads across ranks and replicates them when there are
// fewer KV heads than ranks (max(1, num_kv_heads / tp)).
std::int32_t kv_heads_per_rank(const ModelSpec& m, std::int32_t tp);

// Layers whose KV grows with the whole context (the engine's block accounting): every layer, except
// that vLLM's hybrid KV cache manager keeps only the window of sliding-window layers (when the model also
// has full layers), so those are left out and held back separately (sliding_window_reserve_bytes).
std::int32_t kv_accounted_layers(const ModelSpec& m);

// Bytes of one KV block on one rank: block_size tokens over kv_accounted_layers (K and V of the rank's
// KV heads; MLA: the latent, not split by TP).
double kv_block_bytes_per_gpu(const ModelSpec& m, std::int32_t tp, std::int32_t block_size,
                              double kv_dtype_bytes);

// Bytes per GPU held for the sliding-window layers left out of kv_accounted_layers: every one of
// max_num_seqs running sequences holding a full window, (ceil((window - 1) / block) + 1) blocks per layer.
double sliding_window_reserve_bytes(const ModelSpec& m, const MemoryInputs& in);

// Per GPU: usable = hbm_bytes * gpu_memory_utilization - weights - activation peak - runtime reserve;
// num_blocks = floor(usable / kv_block_bytes_per_gpu) - 1 (vLLM's null block). Formula details in
// memory.cpp. Throws core::InputError for bad inputs, when the weights do not fit, or when no KV block fits.
MemoryPlan plan_memory(const ModelSpec& m, const GpuSpec& g, const MemoryInputs& in);

}  // namespace dynosim::sim::hw
