#include "sim/engine/engine_options.hpp"

#include <fmt/format.h>

#include <bit>

namespace dynosim::sim::engine {

std::vector<std::string> EngineOptions::validate() const {
    std::vector<std::string> errors;
    auto require = [&](bool ok, const char* field, const auto& value, const char* rule) {
        if (!ok) errors.push_back(fmt::format("engine.{} = {}: {}", field, value, rule));
    };
    require(backend == "vllm", "backend", backend, "must be \"vllm\" (the only engine built so far)");
    require(block_size >= 1 && block_size <= 256 && std::has_single_bit(static_cast<unsigned>(block_size)),
            "block_size", block_size, "must be a power of two in [1, 256]");
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
    require(cache_policy == "lru", "cache_policy", cache_policy, "must be \"lru\"");
    return errors;
}

}  // namespace dynosim::sim::engine
