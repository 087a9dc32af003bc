// Scheduler and KV knobs of one vLLM-style engine instance (vLLM V1 names in parentheses).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dynosim::sim::engine {

struct EngineOptions {
    // Engine backend. Only "vllm" here; SGLang and TensorRT-LLM come with their own schedulers.
    std::string backend = "vllm";
    // Tokens (prefill + decode) one forward pass may hold (max_num_batched_tokens). 0 = vLLM's API
    // server default for the GPU: 8192 on >= 70 GiB GPUs other than A100, else 2048
    // (vllm/engine/arg_utils.py get_batch_defaults). Range: >= block_size when set.
    std::int32_t max_num_batched_tokens = 0;
    // Sequences running at once (max_num_seqs). 0 = vLLM default for the GPU: 1024 on >= 70 GiB GPUs
    // other than A100, else 256 (same source). Range: >= 1 when set.
    std::int32_t max_num_seqs = 0;
    // Tokens per KV block (block_size). Default 16 on CUDA (vllm/config/cache.py). One of 1..256, power of 2.
    std::int32_t block_size = 16;
    // Reuse KV of identical prompt prefixes (enable_prefix_caching). Default on in V1.
    bool enable_prefix_caching = true;
    // Split long prompts across steps (enable_chunked_prefill). Always on in V1; off: a prompt that does
    // not fit the remaining budget waits for a later step.
    bool enable_chunked_prefill = true;
    // Cap on new tokens per request per step (long_prefill_token_threshold); 0 = no cap (V1 default).
    std::int32_t long_prefill_token_threshold = 0;
    // Longest prompt + output a request may have (max_model_len); 0 = the model's max_position_embeddings.
    std::int32_t max_model_len = 0;
    // Fraction of GPU memory vLLM may use (gpu_memory_utilization). Default 0.9. Range (0, 1].
    double gpu_memory_utilization = 0.9;
    // Override the number of KV blocks derived from memory (num_gpu_blocks_override); 0 = derive.
    std::int64_t num_gpu_blocks_override = 0;
    // Which cached free block to reuse first when a new block is needed ("lru", vLLM's free queue).
    std::string cache_policy = "lru";

    // One message per violated rule, "engine.<field> = <value>: <rule>"; empty when valid.
    std::vector<std::string> validate() const;
};

}  // namespace dynosim::sim::engine
