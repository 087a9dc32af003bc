// Paged KV blocks of one worker, as vLLM's BlockPool keeps them: reference counts, a map from a block's
// prefix key to the block holding it, and the free blocks ordered by the cache policy. Block 0 is vLLM's
// reserved null block and is never handed out.
//
// Prefix keys come in groups (see workload/block_hashes.hpp): the map is keyed by group, and each group
// record lists the block holding each of its positions, so filling or evicting the blocks of one trace
// block costs one map operation, not one per block. The semantics are vLLM's per-block hash map.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/kv/cache_policy.hpp"
#include "sim/kv/prefix_index.hpp"

namespace dynosim::sim::kv {

// Told when a block that holds a cached prefix key is handed out for new content (its key is evicted), at
// that moment. Engines publish it as a KV "removed" event.
class EvictionObserver {
public:
    virtual ~EvictionObserver() = default;
    virtual void evicted(BlockId b, std::uint64_t key) = 0;
};

struct BlockPoolStats {
    std::uint64_t allocations = 0;
    std::uint64_t evictions = 0;  // cached prefixes dropped because their block was reused
};

class BlockPool {
public:
    // num_blocks includes the null block; usable blocks = num_blocks - 1. `group_blocks` is the most
    // positions a key group has (1..64).
    BlockPool(std::int32_t num_blocks, bool prefix_caching, std::unique_ptr<CachePolicy> policy,
              std::int32_t group_blocks = 1);

    std::int32_t num_blocks() const { return static_cast<std::int32_t>(meta_.size()); }
    std::int32_t usable_blocks() const { return num_blocks() - 1; }
    std::int32_t num_free() const { return policy_->size(); }
    bool prefix_caching() const { return prefix_caching_; }

    // Remembers the last group looked up, so walking a prefix in order costs one map lookup per group.
    struct Cursor {
        std::uint64_t group = 0;
        std::int32_t record = -1;
        bool valid = false;
    };
    // The block holding this prefix key, or kNoBlock.
    BlockId find(std::uint64_t key, Cursor& c) const;
    BlockId find(std::uint64_t key) const {
        Cursor c;
        return find(key, c);
    }
    // A cursor kept across pool changes stays valid only while its record still holds its group (a record
    // is freed with its last block and may be reused for another group); a miss is never kept, as another
    // request may have created the group since.
    void revalidate(Cursor& c) const {
        if (!c.valid) return;
        if (c.record < 0) {
            c.valid = false;
            return;
        }
        const Record& r = records_[static_cast<std::size_t>(c.record)];
        if (r.group != c.group || r.count == 0) c.valid = false;
    }
    std::int32_t ref_count(BlockId b) const { return meta_[static_cast<std::size_t>(b)].ref; }
    // Takes a reference on a cached block found by a prefix hit (removing it from the free set if free).
    void touch(BlockId b);
    // A fresh block with one reference; evicts the victim's cached prefix. Precondition: num_free() > 0.
    BlockId allocate();
    // Drops one reference; at zero the block becomes free (and stays cached if it has a key).
    void release(BlockId b);
    // Registers a now-full block under its prefix key (first holder wins, as a hit needs only one).
    // `depth`: the block's position in its request's prefix chain, passed to the cache policy.
    void register_key(BlockId b, std::uint64_t key, Cursor& c, std::int32_t depth = -1);
    void set_eviction_observer(EvictionObserver* o) { observer_ = o; }
    const BlockPoolStats& stats() const { return stats_; }
    const CachePolicy& policy() const { return *policy_; }

private:
    struct Meta {
        std::int32_t ref = 0;
        std::int32_t record = -1;  // group record holding this block's key; -1 when uncached
        std::uint32_t sub = 0;     // position in that record
    };
    struct Record {
        std::uint64_t group = 0;
        std::int32_t count = 0;  // positions filled
    };
    std::int32_t new_record(std::uint64_t group);
    BlockId& slot(std::int32_t record, std::uint32_t sub) {
        return slots_[static_cast<std::size_t>(record) * static_cast<std::size_t>(group_blocks_) + sub];
    }
    BlockId slot(std::int32_t record, std::uint32_t sub) const {
        return slots_[static_cast<std::size_t>(record) * static_cast<std::size_t>(group_blocks_) + sub];
    }

    std::vector<Meta> meta_;
    PrefixIndex by_group_;             // group key -> record
    std::vector<Record> records_;
    std::vector<BlockId> slots_;       // group_blocks_ entries per record
    std::vector<std::int32_t> free_records_;
    std::int32_t group_blocks_;
    std::unique_ptr<CachePolicy> policy_;
    // The built-in LRU when it is the policy: called directly (every block allocated and freed goes
    // through the policy, and most runs use LRU).
    LruCachePolicy* lru_ = nullptr;
    EvictionObserver* observer_ = nullptr;
    bool prefix_caching_;
    BlockPoolStats stats_;
};

}  // namespace dynosim::sim::kv
