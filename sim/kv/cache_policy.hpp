// Cache-eviction policy: orders the free blocks of a pool (those no running request references) and picks
// which one to reuse when a new block is needed. A free block may still hold a cached prefix; reusing it
// evicts that prefix. LRU (vLLM's free-block queue) is built in; `engine.cache_policy = "plugin"` builds a
// policy from a shared library through an external factory the program installs at startup (plugins/).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
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
    // A block in use now holds a registered prefix key at position `depth` (0 = first block) of its
    // request's prefix chain. Informational; the built-in LRU ignores it.
    virtual void on_cached(BlockId /*b*/, std::int32_t /*depth*/) {}
    // Removes and returns the free block to reuse next. Precondition: size() > 0.
    virtual BlockId pop_victim() = 0;
    virtual std::int32_t size() const = 0;
    virtual std::string_view name() const = 0;
};

// vLLM's FreeKVCacheBlockQueue: a doubly linked list over block ids; freed blocks go to the tail, the
// victim is the head (least recently freed). Intrusive arrays: no allocation after reset.
// Defined here so the block pool's direct calls inline.
class LruCachePolicy final : public CachePolicy {
public:
    void reset(BlockId first, BlockId last) override;
    void on_freed(BlockId b, bool /*cached*/) override {
        links_[static_cast<std::size_t>(b)] = {tail_, kNoBlock};
        if (tail_ != kNoBlock) links_[static_cast<std::size_t>(tail_)].next = b;
        else head_ = b;
        tail_ = b;
        ++size_;
    }
    void on_reused(BlockId b) override { unlink(b); }
    BlockId pop_victim() override {
        const BlockId b = head_;
        unlink(b);
        return b;
    }
    std::int32_t size() const override { return size_; }
    std::string_view name() const override { return "lru"; }

private:
    void unlink(BlockId b) {
        Link& l = links_[static_cast<std::size_t>(b)];
        if (l.prev != kNoBlock) links_[static_cast<std::size_t>(l.prev)].next = l.next;
        else head_ = l.next;
        if (l.next != kNoBlock) links_[static_cast<std::size_t>(l.next)].prev = l.prev;
        else tail_ = l.prev;
        l = {kNoBlock, kNoBlock};
        --size_;
    }
    struct Link {
        BlockId prev, next;
    };
    std::vector<Link> links_;  // one load per block touched, not two
    BlockId head_ = kNoBlock, tail_ = kNoBlock;
    std::int32_t size_ = 0;
};

// Names of built-in policies, and a factory; throws core::InputError for an unknown name.
std::unique_ptr<CachePolicy> make_cache_policy(std::string_view name);
std::vector<std::string_view> cache_policy_names();

// What a scenario says about the policy: a built-in name, or "plugin" with a library path (resolved) and
// "key=value" parameters.
struct CachePolicySpec {
    std::string name = "lru";
    std::string plugin;
    std::vector<std::string> plugin_params;
};
// Builds plugin cache policies; installed once at startup by a program that links plugins/.
using ExternalCachePolicyFactory = std::unique_ptr<CachePolicy> (*)(const CachePolicySpec& spec);
void set_external_cache_policy_factory(ExternalCachePolicyFactory f);
ExternalCachePolicyFactory external_cache_policy_factory();
// A built-in by name, or "plugin" through the external factory (InputError when none is installed).
std::unique_ptr<CachePolicy> make_cache_policy(const CachePolicySpec& spec);

}  // namespace dynosim::sim::kv
