#include "sim/kv/block_pool.hpp"

#include "sim/core/errors.hpp"
#include "sim/kv/block_key.hpp"

namespace dynosim::sim::kv {

BlockPool::BlockPool(std::int32_t num_blocks, bool prefix_caching, std::unique_ptr<CachePolicy> policy,
                     std::int32_t group_blocks)
    : meta_(static_cast<std::size_t>(num_blocks)),
      by_group_(prefix_caching ? num_blocks / group_blocks : 1),  // grows if groups are partly filled
      group_blocks_(group_blocks),
      policy_(std::move(policy)),
      prefix_caching_(prefix_caching) {
    DYNOSIM_ASSERT(num_blocks >= 2);
    DYNOSIM_ASSERT(group_blocks >= 1 && group_blocks <= static_cast<std::int32_t>(kBlockSubMask + 1));
    lru_ = dynamic_cast<LruCachePolicy*>(policy_.get());
    policy_->reset(1, num_blocks - 1);
    meta_[0].ref = 1;  // the null block is permanently in use
}

BlockId BlockPool::find(std::uint64_t key, Cursor& c) const {
    if (!prefix_caching_) return kNoBlock;
    const std::uint64_t group = block_group(key);
    if (!c.valid || c.group != group) {
        c.group = group;
        c.record = by_group_.find(group);
        c.valid = true;
    }
    const std::uint32_t sub = block_sub(key);
    if (c.record < 0 || sub >= static_cast<std::uint32_t>(group_blocks_)) return kNoBlock;
    return slot(c.record, sub);
}

std::int32_t BlockPool::new_record(std::uint64_t group) {
    std::int32_t r;
    if (!free_records_.empty()) {
        r = free_records_.back();
        free_records_.pop_back();
    } else {
        r = static_cast<std::int32_t>(records_.size());
        records_.emplace_back();
        slots_.resize(slots_.size() + static_cast<std::size_t>(group_blocks_), kNoBlock);
    }
    records_[static_cast<std::size_t>(r)] = Record{group, 0};
    by_group_.insert(group, r);
    return r;
}

void BlockPool::touch(BlockId b) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    if (m.ref == 0) {
        if (lru_) lru_->on_reused(b);
        else policy_->on_reused(b);
    }
    ++m.ref;
}

BlockId BlockPool::allocate() {
    const BlockId b = lru_ ? lru_->pop_victim() : policy_->pop_victim();
    Meta& m = meta_[static_cast<std::size_t>(b)];
    DYNOSIM_ASSERT(m.ref == 0);
    if (m.record >= 0) {
        Record& rec = records_[static_cast<std::size_t>(m.record)];
        if (observer_) observer_->evicted(b, rec.group | m.sub);
        slot(m.record, m.sub) = kNoBlock;
        if (--rec.count == 0) {
            by_group_.erase(rec.group);
            free_records_.push_back(m.record);
        }
        m.record = -1;
        ++stats_.evictions;
    }
    m.ref = 1;
    ++stats_.allocations;
    return b;
}

void BlockPool::release(BlockId b) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    DYNOSIM_ASSERT(m.ref > 0);
    if (--m.ref == 0) {
        if (lru_) lru_->on_freed(b, m.record >= 0);
        else policy_->on_freed(b, m.record >= 0);
    }
}

void BlockPool::register_key(BlockId b, std::uint64_t key, Cursor& c, std::int32_t depth) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    if (!prefix_caching_ || m.record >= 0) return;
    const std::uint32_t sub = block_sub(key);
    if (sub >= static_cast<std::uint32_t>(group_blocks_)) return;  // larger groups than sized for: not cached
    find(key, c);
    if (c.record < 0) c.record = new_record(c.group);
    BlockId& s = slot(c.record, sub);
    if (s != kNoBlock) return;
    s = b;
    ++records_[static_cast<std::size_t>(c.record)].count;
    m.record = c.record;
    m.sub = sub;
    if (!lru_) policy_->on_cached(b, depth);  // LRU ignores it
}

}  // namespace dynosim::sim::kv
