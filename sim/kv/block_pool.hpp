// Paged KV blocks of one worker, as vLLM's BlockPool keeps them: reference counts, a map from chained
// prefix hash to the block holding it, and the free blocks ordered by the cache policy. Block 0 is
// vLLM's reserved null block and is never handed out.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/kv/cache_policy.hpp"
#include "sim/kv/prefix_index.hpp"

namespace dynosim::sim::kv {

struct BlockPoolStats {
    std::uint64_t allocations = 0;
    std::uint64_t evictions = 0;  // cached prefixes dropped because their block was reused
};

class BlockPool {
public:
    // num_blocks includes the null block; usable blocks = num_blocks - 1.
    BlockPool(std::int32_t num_blocks, bool prefix_caching, std::unique_ptr<CachePolicy> policy);

    std::int32_t num_blocks() const { return static_cast<std::int32_t>(meta_.size()); }
    std::int32_t usable_blocks() const { return num_blocks() - 1; }
    std::int32_t num_free() const { return policy_->size(); }
    bool prefix_caching() const { return prefix_caching_; }

    // The block holding this prefix hash, or kNoBlock.
    BlockId find(std::uint64_t hash) const {
        return prefix_caching_ ? by_hash_.find(hash) : kNoBlock;
    }
    std::int32_t ref_count(BlockId b) const { return meta_[static_cast<std::size_t>(b)].ref; }
    // Takes a reference on a cached block found by a prefix hit (removing it from the free set if free).
    void touch(BlockId b);
    // A fresh block with one reference; evicts the victim's cached prefix. Precondition: num_free() > 0.
    BlockId allocate();
    // Drops one reference; at zero the block becomes free (and stays cached if it has a hash).
    void release(BlockId b);
    // Registers a now-full block under its prefix hash (first holder wins, as a hit needs only one).
    void register_hash(BlockId b, std::uint64_t hash);
    const BlockPoolStats& stats() const { return stats_; }
    const CachePolicy& policy() const { return *policy_; }

private:
    struct Meta {
        std::uint64_t hash = 0;  // valid when has_hash
        std::int32_t ref = 0;
        bool has_hash = false;
    };
    std::vector<Meta> meta_;  // one cache-friendly record per block
    PrefixIndex by_hash_;
    std::unique_ptr<CachePolicy> policy_;
    bool prefix_caching_;
    BlockPoolStats stats_;
};

}  // namespace dynosim::sim::kv
