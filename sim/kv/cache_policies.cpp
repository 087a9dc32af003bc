#include "sim/kv/cache_policies.hpp"

#include "sim/core/errors.hpp"

namespace dynosim::sim::kv {

void IntrusiveLists::reset(std::size_t ids, std::size_t lists) {
    prev_.assign(ids, kNoBlock);
    next_.assign(ids, kNoBlock);
    list_of_.assign(ids, -1);
    heads_.assign(lists, kNoBlock);
    tails_.assign(lists, kNoBlock);
    sizes_.assign(lists, 0);
}

void IntrusiveLists::push_back(std::int32_t list, BlockId b) {
    const auto l = static_cast<std::size_t>(list);
    const auto i = static_cast<std::size_t>(b);
    DYNOSIM_ASSERT(list_of_[i] < 0);
    prev_[i] = tails_[l];
    next_[i] = kNoBlock;
    if (tails_[l] != kNoBlock) next_[static_cast<std::size_t>(tails_[l])] = b;
    else heads_[l] = b;
    tails_[l] = b;
    list_of_[i] = list;
    ++sizes_[l];
}

void IntrusiveLists::remove(BlockId b) {
    const auto i = static_cast<std::size_t>(b);
    const auto l = static_cast<std::size_t>(list_of_[i]);
    if (prev_[i] != kNoBlock) next_[static_cast<std::size_t>(prev_[i])] = next_[i];
    else heads_[l] = next_[i];
    if (next_[i] != kNoBlock) prev_[static_cast<std::size_t>(next_[i])] = prev_[i];
    else tails_[l] = prev_[i];
    prev_[i] = next_[i] = kNoBlock;
    list_of_[i] = -1;
    --sizes_[l];
}

void LfuCachePolicy::reset(BlockId first, BlockId last) {
    const auto n = static_cast<std::size_t>(last + 1);
    lists_.reset(n, kMaxCount + 2);
    count_.assign(n, 0);
    size_ = 0;
    for (BlockId b = first; b <= last; ++b) on_freed(b, false);
}

void LfuCachePolicy::on_freed(BlockId b, bool cached) {
    lists_.push_back(cached ? 1 + count_[static_cast<std::size_t>(b)] : 0, b);
    ++size_;
}

void LfuCachePolicy::on_reused(BlockId b) {
    lists_.remove(b);
    --size_;
    auto& c = count_[static_cast<std::size_t>(b)];
    if (c < kMaxCount) ++c;
}

BlockId LfuCachePolicy::pop_victim() {
    for (std::int32_t l = 0; l < kMaxCount + 2; ++l) {
        const BlockId b = lists_.front(l);
        if (b == kNoBlock) continue;
        lists_.remove(b);
        --size_;
        count_[static_cast<std::size_t>(b)] = 0;  // reused for new content
        return b;
    }
    DYNOSIM_ASSERT(false);
    return kNoBlock;
}

void SlruCachePolicy::reset(BlockId first, BlockId last) {
    const auto n = static_cast<std::size_t>(last + 1);
    lists_.reset(n, 3);
    reused_.assign(n, 0);
    size_ = 0;
    for (BlockId b = first; b <= last; ++b) on_freed(b, false);
}

void SlruCachePolicy::on_freed(BlockId b, bool cached) {
    ++size_;
    if (!cached) {
        lists_.push_back(kEmpty, b);
        return;
    }
    if (!reused_[static_cast<std::size_t>(b)]) {
        lists_.push_back(kProbation, b);
        return;
    }
    lists_.push_back(kProtected, b);
    const auto cap = static_cast<std::int32_t>(kProtectedShare * static_cast<double>(size_));
    while (lists_.size(kProtected) > cap && lists_.size(kProtected) > 0) {
        const BlockId d = lists_.front(kProtected);
        lists_.remove(d);
        lists_.push_back(kProbation, d);
    }
}

void SlruCachePolicy::on_reused(BlockId b) {
    lists_.remove(b);
    --size_;
    reused_[static_cast<std::size_t>(b)] = 1;
}

BlockId SlruCachePolicy::pop_victim() {
    for (std::int32_t l : {kEmpty, kProbation, kProtected}) {
        const BlockId b = lists_.front(l);
        if (b == kNoBlock) continue;
        lists_.remove(b);
        --size_;
        reused_[static_cast<std::size_t>(b)] = 0;
        return b;
    }
    DYNOSIM_ASSERT(false);
    return kNoBlock;
}

}  // namespace dynosim::sim::kv
