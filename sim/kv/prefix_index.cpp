#include "sim/kv/prefix_index.hpp"

#include <bit>

#include "sim/core/errors.hpp"

namespace dynosim::sim::kv {

PrefixIndex::PrefixIndex(std::int32_t expected_entries) {
    // At most half full, so probe runs stay short.
    resize(std::bit_ceil(static_cast<std::size_t>(expected_entries < 8 ? 8 : expected_entries) * 2));
}

void PrefixIndex::resize(std::size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    shift_ = 64 - std::countr_zero(cap);
    for (const Slot& s : old) {
        if (s.key == kEmpty) continue;
        std::size_t i = home(s.key);
        while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
        slots_[i] = s;
    }
}

bool PrefixIndex::insert(std::uint64_t hash, BlockId block) {
    const std::uint64_t key = normalize(hash);
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
        if (slots_[i].key == key) return false;
        if (slots_[i].key == kEmpty) break;
    }
    if (static_cast<std::size_t>(size_ + 1) * 2 > slots_.size()) {
        // Grown while the cache warms up, never in the steady state (entries are bounded by the pool).
        resize(slots_.size() * 2);
        for (i = home(key); slots_[i].key != kEmpty; i = (i + 1) & mask_) {}
    }
    slots_[i] = Slot{key, block};
    ++size_;
    return true;
}

void PrefixIndex::erase(std::uint64_t hash) {
    const std::uint64_t key = normalize(hash);
    std::size_t i = home(key);
    while (slots_[i].key != key) {
        DYNOSIM_ASSERT(slots_[i].key != kEmpty);
        i = (i + 1) & mask_;
    }
    // Backward-shift deletion: move later entries of the run into the hole when their home slot allows.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
        if (slots_[j].key == kEmpty) break;
        const std::size_t h = home(slots_[j].key);
        // Entry j may move to i if i lies cyclically in [h, j).
        const bool movable = ((j - h) & mask_) >= ((j - i) & mask_);
        if (movable) {
            slots_[i] = slots_[j];
            i = j;
        }
    }
    slots_[i] = Slot{};
    --size_;
}

}  // namespace dynosim::sim::kv
