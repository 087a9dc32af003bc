#include "sim/kv/kv_cache_manager.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"

namespace dynosim::sim::kv {

std::int32_t KvCacheManager::count_prefix_hits(std::span<const std::uint64_t> hashes,
                                               std::int32_t max_blocks) const {
    if (!pool_.prefix_caching()) return 0;
    const auto n = std::min<std::int32_t>(max_blocks, static_cast<std::int32_t>(hashes.size()));
    BlockPool::Cursor c;
    std::int32_t hits = 0;
    while (hits < n && pool_.find(hashes[static_cast<std::size_t>(hits)], c) != kNoBlock) ++hits;
    return hits;
}

namespace {
// Blocks of `seq` that are full, computed and hashed: the ones prefix caching registers.
std::int32_t registrable_blocks(const SeqKv& seq, std::span<const std::uint64_t> hashes,
                                std::int32_t computed_after, std::int32_t block_size) {
    return std::min<std::int32_t>({computed_after / block_size, static_cast<std::int32_t>(hashes.size()),
                                   static_cast<std::int32_t>(seq.blocks.size())});
}
}  // namespace

bool KvCacheManager::allocate(SeqKv& seq, std::span<const std::uint64_t> hashes, std::int32_t hit_blocks,
                              std::int32_t total_tokens, std::int32_t computed_after) {
    const std::int32_t required = (total_tokens + block_size_ - 1) / block_size_;
    const auto held = static_cast<std::int32_t>(seq.blocks.size());
    // Most calls are decode steps inside a block already held with nothing newly full: no change at all.
    if (hit_blocks == 0 && required <= held &&
        (!pool_.prefix_caching() ||
         registrable_blocks(seq, hashes, computed_after, block_size_) <= seq.num_registered))
        return true;
    const std::int32_t new_blocks = required - held - hit_blocks;
    // Hit blocks that are free leave the free set when touched, so they cannot also be allocated.
    std::int32_t free_hits = 0;
    BlockPool::Cursor c;
    for (std::int32_t i = 0; i < hit_blocks; ++i)
        free_hits += pool_.ref_count(pool_.find(hashes[static_cast<std::size_t>(i)], c)) == 0;
    if (new_blocks > pool_.num_free() - free_hits) return false;

    for (std::int32_t i = 0; i < hit_blocks; ++i) {
        const BlockId b = pool_.find(hashes[static_cast<std::size_t>(i)], c);
        pool_.touch(b);
        seq.blocks.push_back(b);
    }
    if (hit_blocks > 0) seq.num_registered = static_cast<std::int32_t>(seq.blocks.size());
    for (std::int32_t i = 0; i < new_blocks; ++i) seq.blocks.push_back(pool_.allocate());

    if (pool_.prefix_caching()) {
        const std::int32_t full = registrable_blocks(seq, hashes, computed_after, block_size_);
        if (seq.num_registered < full) {
            BlockPool::Cursor& rc = seq.reg_cursor;
            pool_.revalidate(rc);
            for (std::int32_t i = seq.num_registered; i < full; ++i) {
                const auto k = static_cast<std::size_t>(i);
                pool_.register_key(seq.blocks[k], hashes[k], rc, i);
            }
        }
        seq.num_registered = std::max(seq.num_registered, full);
    }
    return true;
}

void KvCacheManager::free(SeqKv& seq) {
    for (auto it = seq.blocks.rbegin(); it != seq.blocks.rend(); ++it) pool_.release(*it);
    seq.clear();
}

}  // namespace dynosim::sim::kv
