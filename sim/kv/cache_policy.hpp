// Cache-eviction policy: orders the free blocks of a pool (those no running request references) and picks
// which one to reuse when a new block is needed. A free block may still hold a cached prefix; reusing it
// evicts that prefix. LRU (vLLM's free-block queue) is built in; later parts plug other policies in here.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace dynosim::sim::kv {

using BlockId = std::int32_t;
inline constexpr BlockId kNoBlock = -1;

class CachePolicy {
public:
    virtual ~CachePolicy() = default;
    // Called once: blocks [first, last] start free and uncached, in id order.
    virtual void reset(BlockId first, BlockId last) = 0;
    // A block's last reference was dropped. `cached`: it holds a registered prefix hash.
    virtual void on_freed(BlockId b, bool cached) = 0;
    // A free block was taken back by a prefix hit (it leaves the free set).
    virtual void on_reused(BlockId b) = 0;
    // Removes and returns the free block to reuse next. Precondition: size() > 0.
    virtual BlockId pop_victim() = 0;
    virtual std::int32_t size() const = 0;
    virtual std::string_view name() const = 0;
};

// vLLM's FreeKVCacheBlockQueue: a doubly linked list over block ids; freed blocks go to the tail, the
// victim is the head (least recently freed). Intrusive arrays: no allocation after reset.
class LruCachePolicy final : public CachePolicy {
public:
    void reset(BlockId first, BlockId last) override;
    void on_freed(BlockId b, bool cached) override;
    void on_reused(BlockId b) override;
    BlockId pop_victim() override;
    std::int32_t size() const override { return size_; }
    std::string_view name() const override { return "lru"; }

private:
    void unlink(BlockId b);
    std::vector<BlockId> prev_, next_;
    BlockId head_ = kNoBlock, tail_ = kNoBlock;
    std::int32_t size_ = 0;
};

// Names of built-in policies, and a factory; throws core::InputError for an unknown name.
std::unique_ptr<CachePolicy> make_cache_policy(std::string_view name);
std::vector<std::string_view> cache_policy_names();

}  // namespace dynosim::sim::kv
