// Scheduler and KV knobs of one engine instance. The flat engine.* fields are shared by the backends (vLLM V1
// names in parentheses); engine.sglang.* and engine.trtllm.* hold what only that backend has.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dynosim::sim::engine {

// SGLang's scheduler (python/sglang/srt/managers/scheduler.py, schedule_policy.py, server_args.py).
struct SglangOptions {
    // Order of the waiting queue (--schedule-policy): lpm (longest cached prefix first; fcfs when more
    // than 128 wait), dfs-weight (walk the radix tree, heaviest subtree first), fcfs, lof (longest
    // max_new_tokens first), random. Default "fcfs" (server_args.py; older releases defaulted to lpm).
    std::string schedule_policy = "fcfs";
    // Most new prompt tokens one prefill batch may hold (--max-prefill-tokens), tokens. Range >= 1.
    // Default 16384 (server_args.py).
    std::int32_t max_prefill_tokens = 16384;
    // Most prompt tokens computed for the chunked request per step (--chunked-prefill-size), tokens;
    // 0 = SGLang's choice by GPU memory (< 35 GB: 2048, < 60 GB: 4096, < 160 GB: 8192, else 16384;
    // server_args.py _handle_gpu_memory_settings); -1 = no chunking. Range -1, 0 or >= page_size.
    std::int32_t chunked_prefill_size = 0;
    // Most requests in the running batch (--max-running-requests); 0 = SGLang's derivation from the KV
    // pool: min(pool tokens / 2, req_to_token_pool size), the latter clamp(pool tokens / context_len x
    // 512, 2048, 4096) (model_runner.py). Range >= 0.
    std::int32_t max_running_requests = 0;
    // Scales the initial new_token_ratio, 0.7 x this (capped at 1): larger keeps more KV in reserve for
    // running requests' future tokens (--schedule-conservativeness). Default 1.0. Range > 0.
    double schedule_conservativeness = 1.0;
    // Run the running requests' decode tokens in the same forward pass as a prefill batch
    // (--enable-mixed-chunk). Default off: prefill batches and decode batches alternate.
    bool enable_mixed_chunk = false;
    // Tokens per KV page (--page-size): admission and decode reserve whole pages. Default 1 (server_args.py).
    // Range: power of two <= engine.block_size. Prefix matching is in engine.block_size units (see docs).
    std::int32_t page_size = 1;
};

// TensorRT-LLM's executor (tensorrt_llm/llmapi/llm_args.py, cpp/tensorrt_llm/batch_manager/*Scheduler.cpp).
struct TrtllmOptions {
    // Most requests in one forward pass (max_batch_size). Default 2048 (trtllm-serve / BuildConfig; the
    // LLM class has documented 256 as well). Range >= 1.
    std::int32_t max_batch_size = 2048;
    // Most tokens (context chunks + one per generation request) in one forward pass (max_num_tokens).
    // Default 8192 (trtllm-serve). Range >= tokens_per_block.
    std::int32_t max_num_tokens = 8192;
    // Tokens per KV block (KvCacheConfig.tokens_per_block). Default 32. Power of two in [1, 256].
    std::int32_t tokens_per_block = 32;
    // Capacity scheduler (SchedulerConfig.capacity_scheduler_policy): GUARANTEED_NO_EVICT (start a request
    // only when KV for its whole prompt + max_tokens is guaranteed; never pauses; the default) or
    // MAX_UTILIZATION (start what fits this step; pause the most recently started request when KV runs out).
    std::string capacity_scheduler_policy = "GUARANTEED_NO_EVICT";
    // Split context (prompt) processing across steps within max_num_tokens (enable_chunked_prefill).
    // Default off (LLM API); off, a prompt longer than max_num_tokens is rejected.
    bool enable_chunked_prefill = false;
};

struct EngineOptions {
    // Engine scheduler: "vllm" (vLLM V1), "sglang" (SGLang), "trtllm" (TensorRT-LLM PyTorch executor).
    std::string backend = "vllm";
    // Tokens (prefill + decode) one forward pass may hold (max_num_batched_tokens). 0 = vLLM's API
    // server default for the GPU: 8192 on >= 70 GiB GPUs other than A100, else 2048
    // (vllm/engine/arg_utils.py get_batch_defaults). Range: >= block_size when set. vLLM only.
    std::int32_t max_num_batched_tokens = 0;
    // Sequences running at once (max_num_seqs). 0 = vLLM default for the GPU: 1024 on >= 70 GiB GPUs
    // other than A100, else 256 (same source). Range: >= 1 when set. vLLM only.
    std::int32_t max_num_seqs = 0;
    // Tokens per KV block (block_size). Default 16 on CUDA (vllm/config/cache.py). One of 1..256, power of 2.
    // vLLM: the paged block. SGLang: the unit of the radix tree's prefix matching. TRT-LLM uses
    // engine.trtllm.tokens_per_block instead.
    std::int32_t block_size = 16;
    // Reuse KV of identical prompt prefixes: vLLM enable_prefix_caching (default on in V1), SGLang's radix
    // cache (on unless --disable-radix-cache), TRT-LLM KvCacheConfig.enable_block_reuse (default on).
    bool enable_prefix_caching = true;
    // Split long prompts across steps (enable_chunked_prefill). Always on in V1; off: a prompt that does
    // not fit the remaining budget waits for a later step. vLLM only (see sglang.chunked_prefill_size,
    // trtllm.enable_chunked_prefill).
    bool enable_chunked_prefill = true;
    // Cap on new tokens per request per step (long_prefill_token_threshold); 0 = no cap (V1 default). vLLM only.
    std::int32_t long_prefill_token_threshold = 0;
    // vLLM async scheduling (--async-scheduling; on by default in recent V1 releases such as 0.15): the
    // scheduler plans step N+1 when step N is launched, so a request arriving while a step runs joins the
    // step after next (unless nothing else can run), and the scheduler's CPU time hides behind the GPU.
    // Default false (scheduling between steps, as before). vLLM only.
    bool async_scheduling = false;
    // Longest prompt + output a request may have (max_model_len / context_length / max_seq_len);
    // 0 = the model's max_position_embeddings.
    std::int32_t max_model_len = 0;
    // Fraction of GPU memory for weights + activations + KV (vLLM gpu_memory_utilization, default 0.9;
    // SGLang's mem_fraction_static and TRT-LLM's free_gpu_memory_fraction size the same pool). Range (0, 1].
    double gpu_memory_utilization = 0.9;
    // Override the number of KV blocks derived from memory (num_gpu_blocks_override); 0 = derive.
    std::int64_t num_gpu_blocks_override = 0;
    // Which cached free block to reuse first when a new block is needed ("lru", vLLM's free queue,
    // SGLang's default radix eviction policy, TRT-LLM's order among equal-priority blocks).
    std::string cache_policy = "lru";
    // cache_policy "plugin" (vllm and trtllm backends): the policy's shared library (docs/plugins.md) and
    // its parameters, "key=value" each.
    std::string cache_policy_plugin;
    std::vector<std::string> cache_policy_plugin_params;
    // Simulator speed-up, not an engine knob: run consecutive steps of a worker inside one event while no
    // request can reach it before they end. Results are identical either way; off steps one event each.
    bool coalesce_steps = true;

    SglangOptions sglang;
    TrtllmOptions trtllm;

    // One message per violated rule, "engine.<field> = <value>: <rule>"; empty when valid.
    std::vector<std::string> validate() const;
};

}  // namespace dynosim::sim::engine
