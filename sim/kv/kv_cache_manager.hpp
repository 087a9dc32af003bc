// Per-request KV bookkeeping on top of a BlockPool, following vLLM's KVCacheManager: prefix lookup by
// chained block hashes (full blocks only), allocate_slots (all-or-nothing), and free in reverse order so
// a sequence's tail is evicted before its prefix.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "sim/kv/block_pool.hpp"

namespace dynosim::sim::kv {

// The blocks one request holds. Reused across requests by the engine (capacity kept).
struct SeqKv {
    std::vector<BlockId> blocks;
    std::int32_t num_registered = 0;  // leading blocks already registered under their hash
    // The group record of the last block registered: a decode registers one block per call, and the blocks
    // of one group follow each other, so this saves a hash lookup per block (revalidated before use).
    BlockPool::Cursor reg_cursor;
    void clear() {
        blocks.clear();
        num_registered = 0;
        reg_cursor = {};
    }
};

class KvCacheManager {
public:
    KvCacheManager(std::int32_t block_size, BlockPool pool) : block_size_(block_size), pool_(std::move(pool)) {}

    std::int32_t block_size() const { return block_size_; }
    // Number of leading hashes whose blocks are cached, at most max_blocks.
    std::int32_t count_prefix_hits(std::span<const std::uint64_t> hashes, std::int32_t max_blocks) const;
    // Makes `seq` hold blocks for `total_tokens` tokens. On the first allocation `hit_blocks` leading
    // blocks come from the cache (their hashes in `hashes`). Then registers every block that will be full
    // of computed tokens (`computed_after` tokens) under its hash. False, with nothing changed, when the
    // pool cannot supply the new blocks.
    bool allocate(SeqKv& seq, std::span<const std::uint64_t> hashes, std::int32_t hit_blocks,
                  std::int32_t total_tokens, std::int32_t computed_after);
    // Releases every block of `seq`, last block first.
    void free(SeqKv& seq);

    std::int32_t num_free_blocks() const { return pool_.num_free(); }
    std::int32_t usable_blocks() const { return pool_.usable_blocks(); }
    std::int32_t used_blocks() const { return pool_.usable_blocks() - pool_.num_free(); }
    const BlockPool& pool() const { return pool_; }
    void set_eviction_observer(EvictionObserver* o) { pool_.set_eviction_observer(o); }

private:
    std::int32_t block_size_;
    BlockPool pool_;
};

}  // namespace dynosim::sim::kv
