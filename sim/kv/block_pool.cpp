#include "sim/kv/block_pool.hpp"

#include "sim/core/errors.hpp"

namespace dynosim::sim::kv {

BlockPool::BlockPool(std::int32_t num_blocks, bool prefix_caching, std::unique_ptr<CachePolicy> policy)
    : meta_(static_cast<std::size_t>(num_blocks)),
      by_hash_(prefix_caching ? num_blocks : 1),
      policy_(std::move(policy)),
      prefix_caching_(prefix_caching) {
    DYNOSIM_ASSERT(num_blocks >= 2);
    policy_->reset(1, num_blocks - 1);
    meta_[0].ref = 1;  // the null block is permanently in use
}

void BlockPool::touch(BlockId b) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    if (m.ref == 0) policy_->on_reused(b);
    ++m.ref;
}

BlockId BlockPool::allocate() {
    const BlockId b = policy_->pop_victim();
    Meta& m = meta_[static_cast<std::size_t>(b)];
    DYNOSIM_ASSERT(m.ref == 0);
    if (m.has_hash) {
        by_hash_.erase(m.hash);
        m.has_hash = false;
        ++stats_.evictions;
    }
    m.ref = 1;
    ++stats_.allocations;
    return b;
}

void BlockPool::release(BlockId b) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    DYNOSIM_ASSERT(m.ref > 0);
    if (--m.ref == 0) policy_->on_freed(b, m.has_hash);
}

void BlockPool::register_hash(BlockId b, std::uint64_t hash) {
    Meta& m = meta_[static_cast<std::size_t>(b)];
    if (!prefix_caching_ || m.has_hash) return;
    if (by_hash_.insert(hash, b)) {
        m.hash = hash;
        m.has_hash = true;
    }
}

}  // namespace dynosim::sim::kv
