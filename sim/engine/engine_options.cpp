#include "sim/engine/engine_options.hpp"

#include <fmt/format.h>

#include <bit>

namespace dynosim::sim::engine {

namespace {
bool power_of_two_upto(std::int32_t v, std::int32_t hi) {
    return v >= 1 && v <= hi && std::has_single_bit(static_cast<unsigned>(v));
}
}  // namespace

std::vector<std::string> EngineOptions::validate() const {
    std::vector<std::string> errors;
    auto require = [&](bool ok, const char* field, const auto& value, const char* rule) {
        if (!ok) errors.push_back(fmt::format("engine.{} = {}: {}", field, value, rule));
    };
    require(backend == "vllm" || backend == "sglang" || backend == "trtllm", "backend", backend,
            "must be one of vllm, sglang, trtllm");
    require(power_of_two_upto(block_size, 256), "block_size", block_size, "must be a power of two in [1, 256]");
    require(max_num_batched_tokens == 0 || max_num_batched_tokens >= block_size, "max_num_batched_tokens",
            max_num_batched_tokens, "must be 0 (auto) or >= engine.block_size");
    require(max_num_seqs >= 0, "max_num_seqs", max_num_seqs, "must be 0 (auto) or >= 1");
    require(long_prefill_token_threshold >= 0, "long_prefill_token_threshold", long_prefill_token_threshold,
            "must be >= 0");
    require(max_model_len >= 0, "max_model_len", max_model_len, "must be 0 (model's limit) or >= 1");
    require(gpu_memory_utilization > 0 && gpu_memory_utilization <= 1, "gpu_memory_utilization",
            gpu_memory_utilization, "must be in (0, 1]");
    require(num_gpu_blocks_override >= 0, "num_gpu_blocks_override", num_gpu_blocks_override,
            "must be 0 (derive from memory) or >= 2");
    require(num_gpu_blocks_override != 1, "num_gpu_blocks_override", num_gpu_blocks_override,
            "must be 0 (derive from memory) or >= 2");
    require(cache_policy == "lru" || cache_policy == "lfu" || cache_policy == "slru" || cache_policy == "plugin",
            "cache_policy", cache_policy,
            "must be \"lru\", \"lfu\", \"slru\" or \"plugin\" (with kv.cache_policy.plugin)");
    require(cache_policy != "plugin" || !cache_policy_plugin.empty(), "cache_policy", cache_policy,
            "set kv.cache_policy.plugin to the policy's shared library (.so)");
    require(cache_policy != "plugin" || backend != "sglang", "cache_policy", cache_policy,
            "the sglang backend evicts radix-tree nodes and takes no block cache policy plugin");
    require(cache_policy == "lru" || cache_policy == "plugin" || backend != "sglang", "cache_policy", cache_policy,
            "the sglang backend evicts radix-tree nodes by LRU; lfu and slru are block-pool policies (vllm, trtllm)");
    // The plugin's keys live under kv.cache_policy (scenario_plugin_keys.cpp).
    if (cache_policy != "plugin" && !cache_policy_plugin.empty())
        errors.push_back(fmt::format("kv.cache_policy.plugin = {}: only read when engine.cache_policy = \"plugin\" "
                                     "(policy is {})", cache_policy_plugin, cache_policy));
    require(!async_scheduling || backend == "vllm", "async_scheduling", async_scheduling,
            "only the vllm backend models async scheduling");
    for (const auto& kv : cache_policy_plugin_params)
        if (kv.find('=') == std::string::npos || kv.front() == '=')
            errors.push_back(fmt::format("kv.cache_policy.plugin_params = {}: each entry must be \"key=value\"", kv));

    const SglangOptions& s = sglang;
    require(s.schedule_policy == "lpm" || s.schedule_policy == "dfs-weight" || s.schedule_policy == "fcfs" ||
                s.schedule_policy == "lof" || s.schedule_policy == "random",
            "sglang.schedule_policy", s.schedule_policy, "must be one of lpm, dfs-weight, fcfs, lof, random");
    require(s.max_prefill_tokens >= 1, "sglang.max_prefill_tokens", s.max_prefill_tokens, "must be >= 1");
    require(power_of_two_upto(s.page_size, 256), "sglang.page_size", s.page_size,
            "must be a power of two in [1, 256]");
    require(s.page_size <= block_size, "sglang.page_size", s.page_size, "must be <= engine.block_size");
    require(s.chunked_prefill_size == -1 || s.chunked_prefill_size == 0 || s.chunked_prefill_size >= s.page_size,
            "sglang.chunked_prefill_size", s.chunked_prefill_size,
            "must be -1 (no chunking), 0 (auto) or >= engine.sglang.page_size");
    require(s.max_running_requests >= 0, "sglang.max_running_requests", s.max_running_requests,
            "must be 0 (auto) or >= 1");
    require(s.schedule_conservativeness > 0, "sglang.schedule_conservativeness", s.schedule_conservativeness,
            "must be > 0");

    const TrtllmOptions& t = trtllm;
    require(t.max_batch_size >= 1, "trtllm.max_batch_size", t.max_batch_size, "must be >= 1");
    require(power_of_two_upto(t.tokens_per_block, 256), "trtllm.tokens_per_block", t.tokens_per_block,
            "must be a power of two in [1, 256]");
    require(t.max_num_tokens >= t.tokens_per_block, "trtllm.max_num_tokens", t.max_num_tokens,
            "must be >= engine.trtllm.tokens_per_block");
    require(t.capacity_scheduler_policy == "GUARANTEED_NO_EVICT" || t.capacity_scheduler_policy == "MAX_UTILIZATION",
            "trtllm.capacity_scheduler_policy", t.capacity_scheduler_policy,
            "must be GUARANTEED_NO_EVICT or MAX_UTILIZATION");
    return errors;
}

}  // namespace dynosim::sim::engine
