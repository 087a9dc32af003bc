// Every key a scenario file accepts: where it lives in ScenarioOptions and what it means. The defaults
// shown by `dynosim config defaults` are read from a default-constructed ScenarioOptions, so the options
// structs stay the one place defaults are written.
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_workload_bindings(std::vector<Binding<Opts>>& b);  // scenario_workload_keys.cpp

void add_scenario_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>("model.name", [](Opts& o) -> auto& { return o.model.name; },
        "built-in model (Llama-3.1-8B, Llama-3.1-70B, Qwen3-32B, Qwen3-30B-A3B) or path to a Hugging Face "
        "config.json; 'data:models/<org>--<name>/config.json' reads the shared data folder"));
    b.push_back(bind_key<Opts, std::string>("hardware.gpu", [](Opts& o) -> auto& { return o.hardware.gpu; },
        "GPU of every worker: H100-SXM, H200, A100-80GB, B200, L40S, H100-PCIe"));
    b.push_back(bind_key<Opts, std::int32_t>("hardware.tp", [](Opts& o) -> auto& { return o.hardware.tp; },
        "tensor-parallel GPUs per worker (>= 1); splits weights, KV heads and adds all-reduces"));
    b.push_back(bind_key<Opts, std::int32_t>("fleet.workers", [](Opts& o) -> auto& { return o.fleet.workers; },
        "identical workers (engine instances) behind the router (>= 1)"));
    b.push_back(bind_key<Opts, std::string>("router.policy", [](Opts& o) -> auto& { return o.router.policy; },
        "how the router picks a worker: round_robin, random (seeded), least_loaded (fewest running + waiting)"));

    b.push_back(bind_key<Opts, std::string>("engine.backend", [](Opts& o) -> auto& { return o.engine.backend; },
        "engine scheduler: vllm (vLLM V1)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.max_num_batched_tokens", [](Opts& o) -> auto& { return o.engine.max_num_batched_tokens; },
        "token budget of one forward pass (vLLM max_num_batched_tokens); 0 = vLLM's API-server default for "
        "the GPU (8192 on >= 70 GiB GPUs except A100, else 2048)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.max_num_seqs", [](Opts& o) -> auto& { return o.engine.max_num_seqs; },
        "most sequences running at once (vLLM max_num_seqs); 0 = vLLM default for the GPU (1024 / 256)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.block_size", [](Opts& o) -> auto& { return o.engine.block_size; },
        "tokens per KV block (power of two <= 256); prefix hits are whole blocks"));
    b.push_back(bind_key<Opts, bool>("engine.enable_prefix_caching", [](Opts& o) -> auto& { return o.engine.enable_prefix_caching; },
        "reuse KV blocks of identical prompt prefixes (chained block hashes)"));
    b.push_back(bind_key<Opts, bool>("engine.enable_chunked_prefill", [](Opts& o) -> auto& { return o.engine.enable_chunked_prefill; },
        "split prompts longer than the remaining token budget across steps"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.long_prefill_token_threshold", [](Opts& o) -> auto& { return o.engine.long_prefill_token_threshold; },
        "cap on tokens one request computes per step (0 = none)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.max_model_len", [](Opts& o) -> auto& { return o.engine.max_model_len; },
        "longest prompt + output accepted; longer requests are rejected (0 = model's max_position_embeddings)"));
    b.push_back(bind_key<Opts, double>("engine.gpu_memory_utilization", [](Opts& o) -> auto& { return o.engine.gpu_memory_utilization; },
        "fraction of GPU memory for weights + activations + KV cache, (0, 1]"));
    b.push_back(bind_key<Opts, std::int64_t>("engine.num_gpu_blocks_override", [](Opts& o) -> auto& { return o.engine.num_gpu_blocks_override; },
        "KV blocks per worker instead of the memory-derived count (0 = derive)"));
    b.push_back(bind_key<Opts, std::string>("engine.cache_policy", [](Opts& o) -> auto& { return o.engine.cache_policy; },
        "which free cached block is reused first: lru (vLLM's free-block queue)"));

    b.push_back(bind_key<Opts, std::string>("timing.weight_dtype", [](Opts& o) -> auto& { return o.timing.weight_dtype; },
        "weight precision: bf16 or fp8 (halves weight bytes, fp8 tensor peak)"));
    b.push_back(bind_key<Opts, std::string>("timing.kv_dtype", [](Opts& o) -> auto& { return o.timing.kv_dtype; },
        "KV cache precision: bf16 or fp8 (doubles KV capacity, halves KV reads)"));
    b.push_back(bind_key<Opts, double>("timing.compute_efficiency", [](Opts& o) -> auto& { return o.timing.compute_efficiency; },
        "fraction of peak tensor FLOP/s reached by GEMMs, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.attention_efficiency", [](Opts& o) -> auto& { return o.timing.attention_efficiency; },
        "fraction of peak tensor FLOP/s reached by attention kernels, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.memory_efficiency", [](Opts& o) -> auto& { return o.timing.memory_efficiency; },
        "fraction of peak HBM bandwidth reached by memory-bound kernels, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.comm_efficiency", [](Opts& o) -> auto& { return o.timing.comm_efficiency; },
        "fraction of NVLink (or PCIe) bandwidth reached by TP all-reduce, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.allreduce_latency_us", [](Opts& o) -> auto& { return o.timing.allreduce_latency_us; },
        "fixed latency of one all-reduce, microseconds"));
    b.push_back(bind_key<Opts, double>("timing.step_overhead_us", [](Opts& o) -> auto& { return o.timing.step_overhead_us; },
        "fixed CPU cost of one engine step (scheduling, launch, output processing), microseconds"));
    b.push_back(bind_key<Opts, double>("timing.per_seq_overhead_us", [](Opts& o) -> auto& { return o.timing.per_seq_overhead_us; },
        "CPU cost per sequence in a step (sampling, bookkeeping), microseconds"));
    b.push_back(bind_key<Opts, double>("timing.per_prefill_token_overhead_ns", [](Opts& o) -> auto& { return o.timing.per_prefill_token_overhead_ns; },
        "CPU cost per prefill token (input preparation, block hashing), nanoseconds"));

    add_workload_bindings(b);

    b.push_back(bind_key<Opts, double>("sla.ttft_ms", [](Opts& o) -> auto& { return o.sla.ttft_ms; },
        "goodput bound on time to first token, ms (0 = no bound)"));
    b.push_back(bind_key<Opts, double>("sla.tpot_ms", [](Opts& o) -> auto& { return o.sla.tpot_ms; },
        "goodput bound on time per output token, ms (0 = no bound)"));
    b.push_back(bind_key<Opts, std::int64_t>("sim.seed", [](Opts& o) -> auto& { return o.sim.seed; },
        "seed of every random choice; the same config and seed give byte-identical outputs"));
    b.push_back(bind_key<Opts, double>("sim.max_time_s", [](Opts& o) -> auto& { return o.sim.max_time_s; },
        "stop the simulated clock here, seconds; in-flight requests are reported unfinished (0 = run to completion)"));
    // clang-format on
}

}  // namespace dynosim::sim::scenario
