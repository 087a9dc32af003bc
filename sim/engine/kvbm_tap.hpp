// Links an engine's G1 block pool to its KVBM tiers (kv/kvbm.hpp): remembers the prefix key each G1 block
// is registered under, and, with kvbm.offload_trigger = "evict", copies a block's key down when the pool's
// policy hands the block out for new content (the moment vLLM would lose that prefix).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/kv/cache_policy.hpp"
#include "sim/kv/kvbm.hpp"

namespace dynosim::sim::engine {

class KvbmTap final : public kv::CachePolicy {
public:
    KvbmTap(std::unique_ptr<kv::CachePolicy> inner, kv::Kvbm& kvbm, std::int32_t num_blocks)
        : inner_(std::move(inner)),
          kvbm_(kvbm),
          key_of_block_(static_cast<std::size_t>(num_blocks), 0),
          cached_(static_cast<std::size_t>(num_blocks), 0) {}
    // Time of the allocations that follow (the engine's current step start).
    void set_now(core::TimeNs now) { now_ = now; }
    // Block `b` became the pool's holder of `key`.
    void note(kv::BlockId b, std::uint64_t key) {
        key_of_block_[static_cast<std::size_t>(b)] = key;
        cached_[static_cast<std::size_t>(b)] = 1;
    }
    bool cached(kv::BlockId b) const { return cached_[static_cast<std::size_t>(b)] != 0; }

    void reset(kv::BlockId first, kv::BlockId last) override { inner_->reset(first, last); }
    void on_freed(kv::BlockId b, bool cached) override { inner_->on_freed(b, cached); }
    void on_reused(kv::BlockId b) override { inner_->on_reused(b); }
    void on_cached(kv::BlockId b, std::int32_t depth) override { inner_->on_cached(b, depth); }
    kv::BlockId pop_victim() override {
        const kv::BlockId b = inner_->pop_victim();
        auto& c = cached_[static_cast<std::size_t>(b)];
        if (c) {
            if (kvbm_.evict_trigger()) kvbm_.offload(key_of_block_[static_cast<std::size_t>(b)], now_);
            c = 0;
        }
        return b;
    }
    std::int32_t size() const override { return inner_->size(); }
    std::string_view name() const override { return inner_->name(); }

private:
    std::unique_ptr<kv::CachePolicy> inner_;
    kv::Kvbm& kvbm_;
    std::vector<std::uint64_t> key_of_block_;
    std::vector<std::uint8_t> cached_;
    core::TimeNs now_ = 0;
};

}  // namespace dynosim::sim::engine
