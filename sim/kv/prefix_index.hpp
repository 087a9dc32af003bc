// Map from a block's chained prefix hash to the block holding it: open addressing with linear probing
// over one flat array, at most half full. It starts at the expected size and doubles when needed; the
// entries are bounded by the pool, so it stops growing once the cache is warm. A small table matters: a
// replay keeps one per worker, and a lookup that misses the CPU cache costs more than the rest of it.
// The home slot is taken from the high bits of key x 2^64/phi (Fibonacci hashing): group keys
// (kv/block_key.hpp) have their low six bits zero, so indexing by low bits would use one slot in 64 and
// build long probe runs. Deletion shifts the following run back, so there are no tombstones.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/kv/cache_policy.hpp"

namespace dynosim::sim::kv {

class PrefixIndex {
public:
    explicit PrefixIndex(std::int32_t expected_entries);

    BlockId find(std::uint64_t hash) const {
        const std::uint64_t key = normalize(hash);
        for (std::size_t i = home(key);; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.key == key) return s.block;
            if (s.key == kEmpty) return kNoBlock;
        }
    }
    // Adds hash -> block unless the hash is present. Returns true when added.
    bool insert(std::uint64_t hash, BlockId block);
    // Removes the hash (which must be present).
    void erase(std::uint64_t hash);
    std::int32_t size() const { return size_; }

private:
    static constexpr std::uint64_t kEmpty = 0;
    struct Slot {
        std::uint64_t key = kEmpty;
        BlockId block = kNoBlock;
    };
    void resize(std::size_t cap);
    static std::uint64_t normalize(std::uint64_t h) { return h == kEmpty ? 1 : h; }
    std::size_t home(std::uint64_t key) const {
        return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_);
    }

    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    int shift_ = 63;  // 64 - log2(capacity)
    std::int32_t size_ = 0;
};

}  // namespace dynosim::sim::kv
