// SGLang's radix cache (python/sglang/srt/mem_cache/radix_cache.py) over engine block keys: a tree of KV
// blocks shared across requests, with a lock count per node (running requests lock their prefix path, so
// it cannot be evicted) and LRU eviction of unlocked leaves.
//
// Every node is one block of `node_tokens` tokens named by its block key (workload/block_hashes.hpp). The
// keys are chained (a key names its block's content and everything before it), so the key alone finds a
// node and the tree is a flat key -> node map plus parent/child links; SGLang compresses runs of tokens into
// one edge, which changes the cost of a lookup, not which tokens match. Access stamps come from a counter
// bumped per operation (SGLang uses time.monotonic()), so LRU ties break the same way on every run.
// Storage is sized once for the pool; no allocation per operation in the steady state.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "sim/kv/prefix_index.hpp"

namespace dynosim::sim::kv {

class RadixCache {
public:
    using NodeId = std::int32_t;
    static constexpr NodeId kRoot = 0;
    static constexpr NodeId kNone = -1;

    // `max_nodes`: the most blocks the tree can hold (the pool's tokens / node_tokens). `group_blocks`: the
    // most positions a key group has (workload::group_blocks); the key index is kept per group, as the
    // BlockPool's, so walking a prefix costs one hash lookup per group.
    RadixCache(std::int32_t node_tokens, std::int32_t max_nodes, std::int32_t group_blocks = 32);

    struct Match {
        std::int32_t nodes = 0;  // leading keys found in the tree
        NodeId last = kRoot;     // the node of the last one (root when none)
    };
    // Longest cached prefix of `keys`, at most `max_nodes` of them; stamps the matched path as accessed
    // (match_prefix).
    Match match_prefix(std::span<const std::uint64_t> keys, std::int32_t max_nodes);
    // Adds keys [from, n) below `from_node`, the node of keys[from - 1] (the root when from = 0), as insert
    // does; nodes already present are kept (the caller frees its duplicate KV). Returns the last node and,
    // in `created`, how many nodes were new. Stamps the path.
    NodeId insert(std::span<const std::uint64_t> keys, std::int32_t from, NodeId from_node, std::int32_t n,
                  std::int32_t& created);
    // inc_lock_ref / dec_lock_ref: every node from `n` up to the root.
    void lock(NodeId n);
    void unlock(NodeId n);
    // lock(now) then unlock(old), touching only the nodes below `old` when it is an ancestor of `now` (a
    // request extending its locked path by a block per decode would otherwise walk its whole depth twice).
    void relock(NodeId old, NodeId now);
    // Evicts unlocked leaves, least recently accessed first, until `tokens` are freed or none is left.
    // Returns the tokens freed (a multiple of node_tokens).
    std::int64_t evict(std::int64_t tokens);

    std::int32_t node_tokens() const { return node_tokens_; }
    std::int64_t total_tokens() const { return static_cast<std::int64_t>(live_) * node_tokens_; }
    std::int64_t evictable_tokens() const { return static_cast<std::int64_t>(live_ - locked_) * node_tokens_; }
    std::int64_t protected_tokens() const { return static_cast<std::int64_t>(locked_) * node_tokens_; }
    std::uint64_t evicted_nodes() const { return evicted_; }

    // Tree walks (dfs-weight): children in insertion order.
    NodeId parent(NodeId n) const { return up_[idx(n)].parent; }
    NodeId first_child(NodeId n) const { return nodes_[idx(n)].first_child; }
    NodeId next_sibling(NodeId n) const { return nodes_[idx(n)].next_sib; }
    std::int32_t lock_ref(NodeId n) const { return up_[idx(n)].lock; }
    std::int32_t node_capacity() const { return static_cast<std::int32_t>(nodes_.size()); }

private:
    // 32 bytes: a replay touches every node of a long prompt several times, so size is speed.
    struct Node {
        std::uint64_t stamp = 0;
        // Children in insertion order: first_child, then next_sib. prev_sib is circular (the first child's
        // names the last child), so appending needs no last_child field.
        NodeId first_child = kNone, next_sib = kNone, prev_sib = kNone;
        std::uint32_t gen = 0;     // bumped when the node is deleted, so stale heap entries are skipped
        std::int32_t record = -1;  // the key index record holding it (-1: an overflow key)
        std::uint8_t sub = 0;      // its position in that record
        bool live = false;
    };
    static_assert(sizeof(Node) == 32);
    // What lock/unlock walk to the root, kept apart from Node so a walk touches 8 bytes per node.
    struct Up {
        NodeId parent = kNone;
        std::int32_t lock = 0;
    };
    struct HeapEntry {
        std::uint64_t stamp;
        NodeId node;
        std::uint32_t gen;
    };
    struct Cursor {
        std::uint64_t group = 0;
        std::int32_t record = -1;
        bool valid = false;
    };
    struct Overflow {
        std::uint64_t key;
        NodeId node;
    };
    NodeId find(std::uint64_t key, Cursor& c) const;
    void index(std::uint64_t key, NodeId n, Cursor& c);
    void unindex(NodeId n);
    void append_child(NodeId p, NodeId x);
    NodeId& slot(std::int32_t r, std::uint32_t sub) {
        return slots_[static_cast<std::size_t>(r) * static_cast<std::size_t>(group_blocks_) + sub];
    }
    NodeId slot(std::int32_t r, std::uint32_t sub) const {
        return slots_[static_cast<std::size_t>(r) * static_cast<std::size_t>(group_blocks_) + sub];
    }
    static std::size_t idx(NodeId n) { return static_cast<std::size_t>(n); }
    bool evictable_leaf(NodeId n) const {
        const Node& x = nodes_[idx(n)];
        return n != kRoot && x.live && up_[idx(n)].lock == 0 && x.first_child == kNone;
    }
    // A heap entry still names an evictable leaf with the stamp it was queued with.
    bool current(const HeapEntry& e) const {
        const Node& x = nodes_[idx(e.node)];
        return x.gen == e.gen && x.stamp == e.stamp && evictable_leaf(e.node);
    }
    void push_candidate(NodeId n);
    void stamp(NodeId n);
    void rebuild_heap();
    void remove_leaf(NodeId n);

    std::int32_t node_tokens_;
    std::vector<Node> nodes_;  // [0] is the root
    std::vector<Up> up_;       // per node, beside nodes_
    std::vector<NodeId> free_nodes_;
    PrefixIndex by_group_;  // group key -> record
    std::int32_t group_blocks_;
    std::vector<std::uint64_t> record_group_;
    std::vector<std::int32_t> record_count_;
    std::vector<NodeId> slots_;  // group_blocks_ per record
    std::vector<std::int32_t> free_records_;
    std::vector<Overflow> overflow_;
    std::vector<HeapEntry> heap_;  // min-heap on (stamp, node) of evictable leaves, with stale entries
    std::uint64_t clock_ = 0;
    std::int32_t live_ = 0;    // nodes other than the root
    std::int32_t locked_ = 0;  // of which have lock > 0
    std::uint64_t evicted_ = 0;
};

}  // namespace dynosim::sim::kv
