// Every key a scenario file accepts: where it lives in ScenarioOptions and what it means. The defaults
// shown by `dynosim config defaults` are read from a default-constructed ScenarioOptions, so the options
// structs stay the one place defaults are written.
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_workload_bindings(std::vector<Binding<Opts>>& b);  // scenario_workload_keys.cpp
void add_plugin_bindings(std::vector<Binding<Opts>>& b);    // scenario_plugin_keys.cpp
void add_kvbm_bindings(std::vector<Binding<Opts>>& b);      // scenario_kvbm_keys.cpp
void add_planner_bindings(std::vector<Binding<Opts>>& b);   // scenario_planner_keys.cpp
void add_metrics_bindings(std::vector<Binding<Opts>>& b);   // scenario_metrics_keys.cpp
void add_async_scheduling_bindings(std::vector<Binding<Opts>>& b);  // scenario_engine_async_keys.cpp
void add_parallel_bindings(std::vector<Binding<Opts>>& b);  // scenario_parallel_keys.cpp

void add_scenario_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>("model.name", [](Opts& o) -> auto& { return o.model.name; },
        "built-in model (Llama-3.1-8B, Llama-3.1-70B, Qwen3-32B, Qwen3-30B-A3B) or path to a Hugging Face "
        "config.json; 'data:models/<org>--<name>/config.json' reads the shared data folder"));
    b.push_back(bind_key<Opts, std::string>("hardware.gpu", [](Opts& o) -> auto& { return o.hardware.gpu; },
        "GPU of every worker: H100-SXM, H200, A100-80GB, B200, L40S, H100-PCIe"));
    b.push_back(bind_key<Opts, std::int32_t>("hardware.tp", [](Opts& o) -> auto& { return o.hardware.tp; },
        "tensor-parallel GPUs per worker (>= 1); splits weights, KV heads and adds all-reduces"));
    add_parallel_bindings(b);
    b.push_back(bind_key<Opts, std::int32_t>("fleet.workers", [](Opts& o) -> auto& { return o.fleet.workers; },
        "identical workers (engine instances) behind the router (>= 1)"));
    b.push_back(bind_key<Opts, std::string>("router.policy", [](Opts& o) -> auto& { return o.router.policy; },
        "how the router picks a worker: round_robin, random (seeded), least_loaded (fewest running + waiting), "
        "kv (Dynamo's KV-aware router: router.overlap_score_weight, router.temperature, ...), plugin (a shared library, router.plugin; docs/plugins.md)"));
    b.push_back(bind_key<Opts, std::string>("router.plugin", [](Opts& o) -> auto& { return o.router.plugin; },
        "path of a router plugin (.so), relative to the config file; selects router.policy = plugin unless that "
        "key is set (docs/plugins.md)"));
    b.push_back(bind_params_key<Opts>("router.plugin_params", [](Opts& o) -> auto& { return o.router.plugin_params; },
        "router.policy = plugin: parameters handed to the plugin: a table ([router.plugin_params] cap = 4) or "
        "\"key=value\" strings ([\"cap=4\"])"));
    b.push_back(bind_key<Opts, bool>("router.plugin_kv_indexer", [](Opts& o) -> auto& { return o.router.plugin_kv_indexer; },
        "router.policy = plugin: run the KV router's indexer and active-load tracking (the kv keys below) and give "
        "the plugin per-worker overlap and active-load figures (docs/plugins.md)"));
    // Dynamo's KV router (lib/kv-router/src/scheduling/config.rs defaults; docs/router.md).
    b.push_back(bind_key<Opts, double>("router.overlap_score_weight", [](Opts& o) -> auto& { return o.router.overlap_score_weight; },
        "router.policy = kv: weight of the prefill blocks still to compute in cost = weight x prefill blocks + "
        "active decode blocks (>= 0; Dynamo default 1.0; 0 = balance active blocks only)"));
    b.push_back(bind_key<Opts, double>("router.temperature", [](Opts& o) -> auto& { return o.router.temperature; },
        "router.policy = kv: softmax temperature over normalised negated costs (>= 0; Dynamo default 0 = lowest "
        "cost, ties at random)"));
    b.push_back(bind_key<Opts, bool>("router.use_kv_events", [](Opts& o) -> auto& { return o.router.use_kv_events; },
        "router.policy = kv: feed the indexer with the workers' KV events (stored/removed blocks); false = "
        "approximate mode (routed blocks assumed cached for router.ttl_s; Dynamo --no-kv-events)"));
    b.push_back(bind_key<Opts, double>("router.kv_event_delay_ms", [](Opts& o) -> auto& { return o.router.kv_event_delay_ms; },
        "router.policy = kv: ms from a worker publishing a KV event to the router applying it (>= 0); the "
        "router's view of the caches is that old"));
    b.push_back(bind_key<Opts, double>("router.ttl_s", [](Opts& o) -> auto& { return o.router.ttl_s; },
        "router.policy = kv, use_kv_events = false: seconds a routed block is assumed cached (> 0; Dynamo "
        "router_ttl_secs default 120)"));
    b.push_back(bind_key<Opts, std::int32_t>("router.replicas", [](Opts& o) -> auto& { return o.router.replicas; },
        "router replicas (frontends); arrivals go to them in turn (>= 1)"));
    b.push_back(bind_key<Opts, bool>("router.replica_sync", [](Opts& o) -> auto& { return o.router.replica_sync; },
        "replicas share their state (active loads, approximate-mode indexer, round-robin position; Dynamo "
        "--router-replica-sync); false: each replica sees only what it routed"));

    // Disaggregated serving (fleet/disagg.hpp, docs/disaggregation.md; Dynamo defaults from
    // lib/kv-router/src/scheduling/config.rs and the 0.3 PyDisaggregatedRouter).
    b.push_back(bind_key<Opts, bool>("disagg.enabled", [](Opts& o) -> auto& { return o.disagg.enabled; },
        "serve with a prefill pool and a decode pool joined by KV transfers (vllm backend; fleet.workers and "
        "hardware.tp are then replaced by disagg.prefill.* / disagg.decode.*; workers step one event at a time)"));
    b.push_back(bind_key<Opts, std::string>("disagg.flow", [](Opts& o) -> auto& { return o.disagg.flow; },
        "prefill_first (Dynamo >= 0.4: prefill worker first, max_tokens = 1, then a decode worker pulls the KV) or "
        "decode_first (Dynamo <= 0.3: decode worker first, conditional remote prefill through a prefill queue)"));
    for (const char* pool : {"prefill", "decode"}) {
        const bool pre = pool[0] == 'p';
        auto member = [pre](Opts& o) -> fleet::DisaggPoolOptions& { return pre ? o.disagg.prefill : o.disagg.decode; };
        const std::string k = std::string("disagg.") + pool + ".";
        b.push_back(bind_key<Opts, std::int32_t>(k + "workers", [member](Opts& o) -> auto& { return member(o).workers; },
            std::string(pool) + " workers (>= 1)"));
        b.push_back(bind_key<Opts, std::int32_t>(k + "tp", [member](Opts& o) -> auto& { return member(o).tp; },
            std::string("tensor-parallel GPUs per ") + pool + " worker (0 = hardware.tp); sets its KV capacity, step times and transfer bytes"));
        b.push_back(bind_key<Opts, std::int32_t>(k + "max_num_batched_tokens", [member](Opts& o) -> auto& { return member(o).max_num_batched_tokens; },
            std::string("token budget per step of a ") + pool + " worker (0 = engine.max_num_batched_tokens)"));
        b.push_back(bind_key<Opts, std::int32_t>(k + "max_num_seqs", [member](Opts& o) -> auto& { return member(o).max_num_seqs; },
            std::string("most running sequences of a ") + pool + " worker (0 = engine.max_num_seqs)"));
        b.push_back(bind_key<Opts, std::string>(k + "router", [member](Opts& o) -> auto& { return member(o).router; },
            std::string("router of the ") + pool + " pool: round_robin, random, least_loaded, kv (\"\" = router.policy; KV knobs from [router])" +
            (pre ? "; unused by decode_first (prefill workers pull from the queue)" : "")));
    }
    b.push_back(bind_key<Opts, bool>("disagg.conditional_prefill", [](Opts& o) -> auto& { return o.disagg.conditional_prefill; },
        "prefill_first: pick the decode worker first and prefill there when ISL - its cached tokens <= "
        "disagg.bypass_below_tokens (Dynamo conditional_prefill_enabled, default false)"));
    b.push_back(bind_key<Opts, std::int32_t>("disagg.bypass_below_tokens", [](Opts& o) -> auto& { return o.disagg.bypass_below_tokens; },
        "prefill_first with conditional_prefill: net-new-token cap for local prefill (>= 0; Dynamo "
        "conditional_prefill_bypass_below_tokens default 5000)"));
    b.push_back(bind_key<Opts, std::int32_t>("disagg.max_local_prefill_length", [](Opts& o) -> auto& { return o.disagg.max_local_prefill_length; },
        "decode_first: prefill remotely only when the uncached prompt exceeds this many tokens (>= 0; Dynamo default 1000)"));
    b.push_back(bind_key<Opts, std::int32_t>("disagg.max_prefill_queue_size", [](Opts& o) -> auto& { return o.disagg.max_prefill_queue_size; },
        "decode_first: ... and the prefill queue holds fewer requests than this (>= 0; Dynamo default 2)"));
    b.push_back(bind_key<Opts, double>("disagg.decode_overlap_score_weight", [](Opts& o) -> auto& { return o.disagg.decode_overlap_score_weight; },
        "decode pool's KV-router overlap weight (>= 0; Dynamo's decode router scores load only: 0)"));
    b.push_back(bind_key<Opts, std::string>("disagg.link.kind", [](Opts& o) -> auto& { return o.disagg.link.kind; },
        "link class carrying the KV: rdma (NICs between nodes) or nvlink (one NVLink domain); picks the "
        "bandwidth and latency below; each worker's port is shared FIFO by its transfers"));
    b.push_back(bind_key<Opts, double>("disagg.link.rdma_bandwidth_gbs", [](Opts& o) -> auto& { return o.disagg.link.rdma_bandwidth_gbs; },
        "RDMA GB/s per GPU and direction (> 0; 50 = one 400 Gb/s NIC per GPU; Dynamo's mocker assumes 64)"));
    b.push_back(bind_key<Opts, double>("disagg.link.rdma_latency_us", [](Opts& o) -> auto& { return o.disagg.link.rdma_latency_us; },
        "fixed cost of one RDMA transfer, us (>= 0; assumed, not published)"));
    b.push_back(bind_key<Opts, double>("disagg.link.nvlink_bandwidth_gbs", [](Opts& o) -> auto& { return o.disagg.link.nvlink_bandwidth_gbs; },
        "NVLink GB/s per GPU and direction (> 0; 450 = NVLink 4 on H100)"));
    b.push_back(bind_key<Opts, double>("disagg.link.nvlink_latency_us", [](Opts& o) -> auto& { return o.disagg.link.nvlink_latency_us; },
        "fixed cost of one NVLink transfer, us (>= 0; assumed, not published)"));

    b.push_back(bind_key<Opts, std::string>("engine.backend", [](Opts& o) -> auto& { return o.engine.backend; },
        "engine scheduler: vllm (vLLM V1), sglang (SGLang: radix cache, PrefillAdder, retraction), trtllm "
        "(TensorRT-LLM in-flight batching: capacity + micro-batch schedulers); see docs/engine-*.md"));
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
    add_async_scheduling_bindings(b);
    b.push_back(bind_key<Opts, std::int32_t>("engine.max_model_len", [](Opts& o) -> auto& { return o.engine.max_model_len; },
        "longest prompt + output accepted; longer requests are rejected (0 = model's max_position_embeddings)"));
    b.push_back(bind_key<Opts, double>("engine.gpu_memory_utilization", [](Opts& o) -> auto& { return o.engine.gpu_memory_utilization; },
        "fraction of GPU memory for weights + activations + KV cache, (0, 1]"));
    b.push_back(bind_key<Opts, std::int64_t>("engine.num_gpu_blocks_override", [](Opts& o) -> auto& { return o.engine.num_gpu_blocks_override; },
        "KV blocks per worker instead of the memory-derived count (0 = derive)"));
    b.push_back(bind_key<Opts, std::string>("engine.cache_policy", [](Opts& o) -> auto& { return o.engine.cache_policy; },
        "which free cached block is reused first: lru (vLLM's free-block queue), lfu (fewest reuses), slru "
        "(segmented LRU; docs/kvbm.md), plugin (a shared library, "
        "kv.cache_policy.plugin; vllm and trtllm backends; docs/plugins.md)"));
    add_plugin_bindings(b);  // kv.cache_policy.plugin, kv.cache_policy.plugin_params
    b.push_back(bind_key<Opts, bool>("engine.coalesce_steps", [](Opts& o) -> auto& { return o.engine.coalesce_steps; },
        "simulator speed-up: run a worker's steps that end before its next possible input inside one event, and "
        "within that a stretch of decode-only steps in which no request can finish, be admitted or be preempted "
        "as one loop over step times (multi-step decoding: ITLs added once per step, KV allocated only for "
        "requests that cross a block); results are identical either way (tested per backend; false: one event "
        "per step)"));
    // SGLang (python/sglang/srt/server_args.py, managers/schedule_policy.py).
    b.push_back(bind_key<Opts, std::string>("engine.sglang.schedule_policy", [](Opts& o) -> auto& { return o.engine.sglang.schedule_policy; },
        "SGLang --schedule-policy: lpm (longest cached prefix first, fcfs when > 128 wait), dfs-weight (radix "
        "tree DFS, heaviest subtree first), fcfs (default), lof (longest max_new_tokens first), random"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.sglang.max_prefill_tokens", [](Opts& o) -> auto& { return o.engine.sglang.max_prefill_tokens; },
        "SGLang --max-prefill-tokens: new prompt tokens one prefill batch may hold (>= 1; default 16384)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.sglang.chunked_prefill_size", [](Opts& o) -> auto& { return o.engine.sglang.chunked_prefill_size; },
        "SGLang --chunked-prefill-size: prompt tokens per step of the one chunked request; 0 = by GPU memory "
        "(< 35 GiB 2048, < 60 GiB 4096, < 160 GiB 8192, else 16384), -1 = no chunking"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.sglang.max_running_requests", [](Opts& o) -> auto& { return o.engine.sglang.max_running_requests; },
        "SGLang --max-running-requests; 0 = min(KV pool tokens / 2, clamp(pool / context_len x 512, 2048, 4096))"));
    b.push_back(bind_key<Opts, double>("engine.sglang.schedule_conservativeness", [](Opts& o) -> auto& { return o.engine.sglang.schedule_conservativeness; },
        "SGLang --schedule-conservativeness (> 0): initial new_token_ratio = min(0.7 x this, 1), the share of "
        "running requests' remaining max_new_tokens kept in reserve at admission"));
    b.push_back(bind_key<Opts, bool>("engine.sglang.enable_mixed_chunk", [](Opts& o) -> auto& { return o.engine.sglang.enable_mixed_chunk; },
        "SGLang --enable-mixed-chunk: running requests decode inside prefill batches (default off: prefill "
        "and decode batches alternate)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.sglang.page_size", [](Opts& o) -> auto& { return o.engine.sglang.page_size; },
        "SGLang --page-size: tokens per KV page, the unit of allocation (power of two <= engine.block_size; default 1)"));
    // TensorRT-LLM (tensorrt_llm/llmapi/llm_args.py, trtllm-serve).
    b.push_back(bind_key<Opts, std::int32_t>("engine.trtllm.max_batch_size", [](Opts& o) -> auto& { return o.engine.trtllm.max_batch_size; },
        "TRT-LLM max_batch_size: most requests in one forward pass (>= 1; default 2048, trtllm-serve)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.trtllm.max_num_tokens", [](Opts& o) -> auto& { return o.engine.trtllm.max_num_tokens; },
        "TRT-LLM max_num_tokens: tokens in one forward pass, 1 per generation request plus context tokens "
        "(>= tokens_per_block; default 8192)"));
    b.push_back(bind_key<Opts, std::int32_t>("engine.trtllm.tokens_per_block", [](Opts& o) -> auto& { return o.engine.trtllm.tokens_per_block; },
        "TRT-LLM KvCacheConfig.tokens_per_block: tokens per KV block and unit of block reuse (power of two "
        "<= 256; default 32)"));
    b.push_back(bind_key<Opts, std::string>("engine.trtllm.capacity_scheduler_policy", [](Opts& o) -> auto& { return o.engine.trtllm.capacity_scheduler_policy; },
        "TRT-LLM capacity scheduler: GUARANTEED_NO_EVICT (default; start only when KV for prompt + max tokens "
        "is guaranteed, never pause) or MAX_UTILIZATION (start what fits now, pause the newest started when KV runs out)"));
    b.push_back(bind_key<Opts, bool>("engine.trtllm.enable_chunked_prefill", [](Opts& o) -> auto& { return o.engine.trtllm.enable_chunked_prefill; },
        "TRT-LLM enable_chunked_prefill: split prompts into chunks within max_num_tokens (default off; off, "
        "prompts longer than max_num_tokens are rejected)"));

    b.push_back(bind_key<Opts, std::string>("timing.kind", [](Opts& o) -> auto& { return o.timing.kind; },
        "step-time model: table (measured per-op kernel tables, interpolated; docs/timing.md) or roofline"));
    b.push_back(bind_key<Opts, std::string>("timing.weight_dtype", [](Opts& o) -> auto& { return o.timing.weight_dtype; },
        "weight precision: bf16 or fp8 (halves weight bytes, fp8 GEMMs)"));
    b.push_back(bind_key<Opts, std::string>("timing.kv_dtype", [](Opts& o) -> auto& { return o.timing.kv_dtype; },
        "KV cache precision: bf16 or fp8 (doubles KV capacity, halves KV reads)"));
    b.push_back(bind_key<Opts, std::string>("timing.table.data_dir", [](Opts& o) -> auto& { return o.timing.table.data_dir; },
        "folder holding gpu/aiconfigurator_csv/ ('data:' = the shared data folder)"));
    b.push_back(bind_key<Opts, std::string>("timing.table.table_version", [](Opts& o) -> auto& { return o.timing.table.table_version; },
        "kernel-table version folder of the engine's framework (\"\" = newest present)"));
    b.push_back(bind_key<Opts, std::string>("timing.table.moe_distribution", [](Opts& o) -> auto& { return o.timing.table.moe_distribution; },
        "expert-load distribution of the MoE tables: balanced, power_law_1.01 or power_law_1.2"));
    b.push_back(bind_key<Opts, std::int32_t>("timing.table.cuda_graph_max_tokens", [](Opts& o) -> auto& { return o.timing.table.cuda_graph_max_tokens; },
        "steps with at most this many tokens replay CUDA graphs (graph-mode all-reduce rows; vLLM: capped at min(2 x max_num_seqs, max_num_batched_tokens))"));
    b.push_back(bind_key<Opts, bool>("timing.table.cuda_graph_padding", [](Opts& o) -> auto& { return o.timing.table.cuda_graph_padding; },
        "vLLM: a graph step's GEMMs, MoE, elementwise kernels and all-reduces run its token count padded to the next capture size (1, 2, 4, multiples of 8 to 256, then of 16)"));
    b.push_back(bind_key<Opts, bool>("timing.table.gemm_median_bandwidth", [](Opts& o) -> auto& { return o.timing.table.gemm_median_bandwidth; },
        "memory-bound bf16 GEMMs (m <= 64, weights >= 64 MiB) priced at the GEMM table's median bandwidth over such cells instead of their own (n, k) cells (docs/timing.md)"));
    b.push_back(bind_key<Opts, double>("timing.table.custom_allreduce_max_mib", [](Opts& o) -> auto& { return o.timing.table.custom_allreduce_max_mib; },
        "all-reduces up to this size (MiB) use the framework's custom all-reduce, larger ones NCCL"));
    b.push_back(bind_key<Opts, double>("timing.table.step_overhead_us", [](Opts& o) -> auto& { return o.timing.table.step_overhead_us; },
        "fixed CPU cost of one engine step, microseconds (fitted on measured vLLM ITL)"));
    b.push_back(bind_key<Opts, double>("timing.table.per_seq_overhead_us", [](Opts& o) -> auto& { return o.timing.table.per_seq_overhead_us; },
        "CPU cost per sequence in a step, microseconds (fitted with step_overhead_us)"));
    b.push_back(bind_key<Opts, double>("timing.table.per_prefill_token_overhead_ns", [](Opts& o) -> auto& { return o.timing.table.per_prefill_token_overhead_ns; },
        "CPU cost per prefill token, nanoseconds"));
    b.push_back(bind_key<Opts, std::int32_t>("timing.table.cache_key_bits", [](Opts& o) -> auto& { return o.timing.table.cache_key_bits; },
        "significant bits kept of summed context lengths in the step-time cache key (0 = exact)"));
    b.push_back(bind_key<Opts, std::int32_t>("timing.table.cache_entries", [](Opts& o) -> auto& { return o.timing.table.cache_entries; },
        "entries of the step-time cache (power of two; 0 = no cache)"));
    b.push_back(bind_key<Opts, std::string>("timing.table.calibration_file", [](Opts& o) -> auto& { return o.timing.table.calibration_file; },
        "calibration file from `dynosim calib fit` overriding the three overheads (\"\" = none)"));
    b.push_back(bind_key<Opts, double>("timing.roofline.compute_efficiency", [](Opts& o) -> auto& { return o.timing.roofline.compute_efficiency; },
        "fraction of peak tensor FLOP/s reached by GEMMs, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.roofline.attention_efficiency", [](Opts& o) -> auto& { return o.timing.roofline.attention_efficiency; },
        "fraction of peak tensor FLOP/s reached by attention kernels, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.roofline.memory_efficiency", [](Opts& o) -> auto& { return o.timing.roofline.memory_efficiency; },
        "fraction of peak HBM bandwidth reached by memory-bound kernels, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.roofline.comm_efficiency", [](Opts& o) -> auto& { return o.timing.roofline.comm_efficiency; },
        "fraction of NVLink (or PCIe) bandwidth reached by TP all-reduce, (0, 1]"));
    b.push_back(bind_key<Opts, double>("timing.roofline.allreduce_latency_us", [](Opts& o) -> auto& { return o.timing.roofline.allreduce_latency_us; },
        "fixed latency of one all-reduce, microseconds"));
    b.push_back(bind_key<Opts, double>("timing.roofline.step_overhead_us", [](Opts& o) -> auto& { return o.timing.roofline.step_overhead_us; },
        "fixed CPU cost of one engine step (scheduling, launch, output processing), microseconds"));
    b.push_back(bind_key<Opts, double>("timing.roofline.per_seq_overhead_us", [](Opts& o) -> auto& { return o.timing.roofline.per_seq_overhead_us; },
        "CPU cost per sequence in a step (sampling, bookkeeping), microseconds"));
    b.push_back(bind_key<Opts, double>("timing.roofline.per_prefill_token_overhead_ns", [](Opts& o) -> auto& { return o.timing.roofline.per_prefill_token_overhead_ns; },
        "CPU cost per prefill token (input preparation, block hashing), nanoseconds"));

    add_workload_bindings(b);
    add_kvbm_bindings(b);

    b.push_back(bind_key<Opts, double>("sla.ttft_ms", [](Opts& o) -> auto& { return o.sla.ttft_ms; },
        "goodput bound on time to first token, ms (0 = no bound)"));
    b.push_back(bind_key<Opts, double>("sla.tpot_ms", [](Opts& o) -> auto& { return o.sla.tpot_ms; },
        "goodput bound on time per output token, ms (0 = no bound)"));
    b.push_back(bind_key<Opts, std::string>("metrics.itl_histogram", [](Opts& o) -> auto& { return o.metrics.itl_histogram; },
        "inter-token gaps: off = keep every gap (exact percentiles), on = streaming log histogram (percentiles within 0.5%, mean exact), auto = on above 100 M gaps"));
    add_metrics_bindings(b);
    b.push_back(bind_key<Opts, std::int64_t>("sim.seed", [](Opts& o) -> auto& { return o.sim.seed; },
        "seed of every random choice; the same config and seed give byte-identical outputs"));
    b.push_back(bind_key<Opts, double>("sim.max_time_s", [](Opts& o) -> auto& { return o.sim.max_time_s; },
        "stop the simulated clock here, seconds; in-flight requests are reported unfinished (0 = run to completion)"));
    add_planner_bindings(b);
    // clang-format on
}

}  // namespace dynosim::sim::scenario
