#include "sim/kv/cache_policy.hpp"

#include <fmt/format.h>

#include <atomic>

#include "sim/core/errors.hpp"
#include "sim/kv/cache_policies.hpp"

namespace dynosim::sim::kv {

void LruCachePolicy::reset(BlockId first, BlockId last) {
    const auto n = static_cast<std::size_t>(last + 1);
    links_.assign(n, Link{kNoBlock, kNoBlock});
    head_ = tail_ = kNoBlock;
    size_ = 0;
    for (BlockId b = first; b <= last; ++b) on_freed(b, false);
}

std::unique_ptr<CachePolicy> make_cache_policy(std::string_view name) {
    if (name == "lru") return std::make_unique<LruCachePolicy>();
    if (name == "lfu") return std::make_unique<LfuCachePolicy>();
    if (name == "slru") return std::make_unique<SlruCachePolicy>();
    throw core::InputError(fmt::format("unknown cache policy '{}'; known: lru, lfu, slru", name));
}

std::vector<std::string_view> cache_policy_names() { return {"lru", "lfu", "slru"}; }

namespace {
std::atomic<ExternalCachePolicyFactory> g_external_cache_policy_factory{nullptr};
}  // namespace

void set_external_cache_policy_factory(ExternalCachePolicyFactory f) { g_external_cache_policy_factory.store(f); }
ExternalCachePolicyFactory external_cache_policy_factory() { return g_external_cache_policy_factory.load(); }

std::unique_ptr<CachePolicy> make_cache_policy(const CachePolicySpec& spec) {
    if (spec.name != "plugin") return make_cache_policy(spec.name);
    const ExternalCachePolicyFactory f = external_cache_policy_factory();
    if (!f)
        throw core::InputError(fmt::format(
            "kv.cache_policy.plugin ({}): this program cannot load plugins (no plugin factory installed)",
            spec.plugin));
    return f(spec);
}

}  // namespace dynosim::sim::kv
