// Built-in cache policies beyond LRU: LFU (fewest reuses first) and SLRU (segmented LRU, a frequency +
// recency policy). Both order the free set of a pool behind the CachePolicy interface, so they serve the
// engine's G1 pool (engine.cache_policy) and the KVBM tiers below it (kvbm.<tier>.policy) alike.
// Intrusive arrays over block ids: nothing is allocated after reset().
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "sim/kv/cache_policy.hpp"

namespace dynosim::sim::kv {

// Several doubly linked lists threaded through one pair of id-indexed arrays; a block is in at most one.
class IntrusiveLists {
public:
    void reset(std::size_t ids, std::size_t lists);
    void push_back(std::int32_t list, BlockId b);
    void remove(BlockId b);  // b must be in a list
    BlockId front(std::int32_t list) const { return heads_[static_cast<std::size_t>(list)]; }
    std::int32_t size(std::int32_t list) const { return sizes_[static_cast<std::size_t>(list)]; }
    std::int32_t list_of(BlockId b) const { return list_of_[static_cast<std::size_t>(b)]; }

private:
    std::vector<BlockId> prev_, next_;
    std::vector<std::int32_t> list_of_;  // -1 = in no list
    std::vector<BlockId> heads_, tails_;
    std::vector<std::int32_t> sizes_;
};

// Least frequently used: a block's count of reuses (prefix hits while it held the same content) orders
// eviction; ties go to the least recently freed. Free blocks holding nothing go first. Counts saturate at
// kMaxCount so the victim search scans a fixed number of buckets; a block's count restarts at zero when
// it is reused for new content.
class LfuCachePolicy final : public CachePolicy {
public:
    static constexpr std::int32_t kMaxCount = 15;
    void reset(BlockId first, BlockId last) override;
    void on_freed(BlockId b, bool cached) override;
    void on_reused(BlockId b) override;
    BlockId pop_victim() override;
    std::int32_t size() const override { return size_; }
    std::string_view name() const override { return "lfu"; }

private:
    // list 0: uncached free blocks; list 1 + c: cached free blocks reused c times.
    IntrusiveLists lists_;
    std::vector<std::uint8_t> count_;
    std::int32_t size_ = 0;
};

// Segmented LRU (Karedla, Love & Wherry, 1994): a block freed without having been reused enters the
// probationary segment; a block reused at least once enters the protected segment. Victims come from the
// uncached blocks, then probation's least recent, then protected's least recent. Protected holds at most
// kProtectedShare of the free blocks; beyond that its least recent is demoted to probation's most recent.
// One-off prefixes thus cannot flush reused ones, while recency still orders each segment.
class SlruCachePolicy final : public CachePolicy {
public:
    static constexpr double kProtectedShare = 0.8;
    void reset(BlockId first, BlockId last) override;
    void on_freed(BlockId b, bool cached) override;
    void on_reused(BlockId b) override;
    BlockId pop_victim() override;
    std::int32_t size() const override { return size_; }
    std::string_view name() const override { return "slru"; }

private:
    enum : std::int32_t { kEmpty = 0, kProbation = 1, kProtected = 2 };
    IntrusiveLists lists_;
    std::vector<std::uint8_t> reused_;  // reused since it was last filled
    std::int32_t size_ = 0;
};

}  // namespace dynosim::sim::kv
