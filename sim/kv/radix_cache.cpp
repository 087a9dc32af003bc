#include "sim/kv/radix_cache.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"
#include "sim/kv/block_key.hpp"

namespace dynosim::sim::kv {

namespace {
// std heap functions build a max-heap; this order puts the oldest stamp on top.
bool later(const auto& a, const auto& b) { return a.stamp != b.stamp ? a.stamp > b.stamp : a.node > b.node; }
}  // namespace

RadixCache::RadixCache(std::int32_t node_tokens, std::int32_t max_nodes, std::int32_t group_blocks)
    : node_tokens_(node_tokens), by_group_(max_nodes / group_blocks + 1), group_blocks_(group_blocks) {
    DYNOSIM_ASSERT(group_blocks >= 1 && group_blocks <= static_cast<std::int32_t>(kBlockSubMask + 1));
    DYNOSIM_ASSERT(node_tokens >= 1 && max_nodes >= 1);
    nodes_.resize(static_cast<std::size_t>(max_nodes) + 1);
    up_.resize(static_cast<std::size_t>(max_nodes) + 1);
    nodes_[0].live = true;
    free_nodes_.reserve(static_cast<std::size_t>(max_nodes));
    // Handed out from the highest id down, so a new chain runs downwards in memory and its eviction,
    // leaf first, walks upwards: the direction CPU prefetchers follow best.
    for (NodeId n = 1; n <= max_nodes; ++n) free_nodes_.push_back(n);
    heap_.reserve(static_cast<std::size_t>(max_nodes) * 2 + 64);
}

RadixCache::NodeId RadixCache::find(std::uint64_t key, Cursor& c) const {
    const std::uint64_t group = block_group(key);
    if (!c.valid || c.group != group) {
        c.group = group;
        c.record = by_group_.find(group);
        c.valid = true;
    }
    const std::uint32_t sub = block_sub(key);
    if (sub >= static_cast<std::uint32_t>(group_blocks_)) {
        for (const Overflow& e : overflow_)
            if (e.key == key) return e.node;
        return kNone;
    }
    if (c.record < 0) return kNone;
    return slot(c.record, sub);
}

void RadixCache::index(std::uint64_t key, NodeId n, Cursor& c) {
    const std::uint32_t sub = block_sub(key);
    if (sub >= static_cast<std::uint32_t>(group_blocks_)) {
        // A group larger than sized for: such keys are looked up by a separate exact map.
        overflow_.push_back({key, n});
        nodes_[idx(n)].record = -1;
        nodes_[idx(n)].sub = 0;
        return;
    }
    find(key, c);
    if (c.record < 0) {
        std::int32_t r;
        if (!free_records_.empty()) {
            r = free_records_.back();
            free_records_.pop_back();
        } else {
            r = static_cast<std::int32_t>(record_group_.size());
            record_group_.push_back(0);
            record_count_.push_back(0);
            slots_.resize(slots_.size() + static_cast<std::size_t>(group_blocks_), kNone);
        }
        record_group_[static_cast<std::size_t>(r)] = c.group;
        record_count_[static_cast<std::size_t>(r)] = 0;
        by_group_.insert(c.group, r);
        c.record = r;
    }
    slot(c.record, sub) = n;
    nodes_[idx(n)].record = c.record;
    nodes_[idx(n)].sub = static_cast<std::uint8_t>(sub);
    ++record_count_[static_cast<std::size_t>(c.record)];
}

inline void RadixCache::unindex(NodeId n) {
    const Node& x = nodes_[idx(n)];
    const std::int32_t r = x.record;
    if (r < 0) {  // an overflow key
        for (auto& e : overflow_)
            if (e.node == n) {
                e = overflow_.back();
                overflow_.pop_back();
                return;
            }
        return;
    }
    slot(r, x.sub) = kNone;
    if (--record_count_[static_cast<std::size_t>(r)] == 0) {
        by_group_.erase(record_group_[static_cast<std::size_t>(r)]);
        free_records_.push_back(r);
    }
}

void RadixCache::append_child(NodeId p, NodeId x) {
    Node& nx = nodes_[idx(x)];
    Node& np = nodes_[idx(p)];
    nx.next_sib = kNone;
    if (np.first_child == kNone) {
        np.first_child = x;
        nx.prev_sib = x;
        return;
    }
    Node& first = nodes_[idx(np.first_child)];
    nodes_[idx(first.prev_sib)].next_sib = x;
    nx.prev_sib = first.prev_sib;
    first.prev_sib = x;
}

RadixCache::Match RadixCache::match_prefix(std::span<const std::uint64_t> keys, std::int32_t max_nodes) {
    Match m;
    const auto n = std::min<std::int32_t>(max_nodes, static_cast<std::int32_t>(keys.size()));
    Cursor c;
    while (m.nodes < n) {
        const NodeId x = find(keys[static_cast<std::size_t>(m.nodes)], c);
        if (x == kNone) break;
        m.last = x;
        ++m.nodes;
    }
    if (m.nodes > 0) stamp(m.last);
    return m;
}

// SGLang stamps every node of an accessed path. Only the bottom one is stamped here: an ancestor's stamp
// matters only once it is a leaf, and it becomes one when its last child is evicted, which hands the
// child's stamp up (remove_leaf). So a leaf's stamp is the latest access in its former subtree, as in SGLang.
void RadixCache::stamp(NodeId n) {
    nodes_[idx(n)].stamp = ++clock_;
    push_candidate(n);
}

RadixCache::NodeId RadixCache::insert(std::span<const std::uint64_t> keys, std::int32_t from, NodeId from_node,
                                      std::int32_t n, std::int32_t& created) {
    NodeId cur = from_node;
    Cursor c;
    std::int32_t i = from;
    for (; i < n; ++i) {
        const NodeId x = find(keys[static_cast<std::size_t>(i)], c);
        if (x == kNone) break;
        cur = x;
    }
    // Keys are chained, so a key whose parent's key is absent is absent too: from the first miss on, every
    // node is new, and each is the only child of the one before.
    created = std::max(0, n - i);
    DYNOSIM_ASSERT(created <= static_cast<std::int32_t>(free_nodes_.size()));
    live_ += created;
    for (; i < n; ++i) {
        const std::uint64_t key = keys[static_cast<std::size_t>(i)];
        const NodeId x = free_nodes_.back();
        free_nodes_.pop_back();
        Node& nx = nodes_[idx(x)];
        up_[idx(x)] = Up{cur, 0};
        nx.first_child = kNone;
        nx.stamp = 0;
        nx.live = true;
        append_child(cur, x);
        index(key, x, c);
        cur = x;
    }
    if (cur != kRoot) stamp(cur);
    return cur;
}

void RadixCache::lock(NodeId n) {
    for (; n != kRoot && n != kNone; n = up_[idx(n)].parent)
        if (up_[idx(n)].lock++ == 0) ++locked_;
}

void RadixCache::unlock(NodeId n) {
    const NodeId start = n;
    for (; n != kRoot && n != kNone; n = up_[idx(n)].parent) {
        Up& x = up_[idx(n)];
        DYNOSIM_ASSERT(x.lock > 0);
        if (--x.lock == 0) --locked_;
    }
    // Only the bottom node of a path can be a leaf.
    if (start != kRoot && start != kNone) push_candidate(start);
}

void RadixCache::relock(NodeId old, NodeId now) {
    if (old == kRoot || old == kNone) {
        lock(now);
        return;
    }
    // Above `old` the +1 of lock(now) and the -1 of unlock(old) cancel, and those nodes stay locked (old
    // holds them) in between, so the locked count moves the same way.
    NodeId n = now;
    for (; n != kRoot && n != kNone && n != old; n = up_[idx(n)].parent)
        if (up_[idx(n)].lock++ == 0) ++locked_;
    if (n == old) push_candidate(old);  // as unlock(old) does; a no-op while it has the new child
    else unlock(old);
}

void RadixCache::push_candidate(NodeId n) {
    if (!evictable_leaf(n)) return;
    if (heap_.size() >= heap_.capacity()) rebuild_heap();
    heap_.push_back({nodes_[idx(n)].stamp, n, nodes_[idx(n)].gen});
    std::push_heap(heap_.begin(), heap_.end(), [](const HeapEntry& a, const HeapEntry& b) { return later(a, b); });
}

// Drops stale entries (keeps the heap within its reserved size, so it never reallocates).
void RadixCache::rebuild_heap() {
    std::size_t out = 0;
    for (const HeapEntry& e : heap_) {
        if (current(e)) heap_[out++] = e;
    }
    heap_.resize(out);
    // Several live entries may name one node (stamped, pushed, stamped again); keep one.
    std::sort(heap_.begin(), heap_.end(), [](const HeapEntry& a, const HeapEntry& b) { return a.node < b.node; });
    heap_.erase(std::unique(heap_.begin(), heap_.end(),
                            [](const HeapEntry& a, const HeapEntry& b) { return a.node == b.node; }),
                heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), [](const HeapEntry& a, const HeapEntry& b) { return later(a, b); });
    DYNOSIM_ASSERT(heap_.size() < heap_.capacity());
}

inline void RadixCache::remove_leaf(NodeId n) {
    Node& x = nodes_[idx(n)];
    Node& p = nodes_[idx(up_[idx(n)].parent)];
    if (p.first_child == n) {
        p.first_child = x.next_sib;
        if (x.next_sib != kNone) nodes_[idx(x.next_sib)].prev_sib = x.prev_sib;  // still the last child
    } else {
        nodes_[idx(x.prev_sib)].next_sib = x.next_sib;
        if (x.next_sib != kNone) nodes_[idx(x.next_sib)].prev_sib = x.prev_sib;
        else nodes_[idx(p.first_child)].prev_sib = x.prev_sib;  // x was the last child
    }
    unindex(n);
    p.stamp = std::max(p.stamp, x.stamp);
    x.live = false;
    ++x.gen;
    --live_;
    ++evicted_;
    free_nodes_.push_back(n);
}

std::int64_t RadixCache::evict(std::int64_t tokens) {
    std::int64_t freed = 0;
    auto cmp = [](const HeapEntry& a, const HeapEntry& b) { return later(a, b); };
    while (freed < tokens && !heap_.empty()) {
        std::pop_heap(heap_.begin(), heap_.end(), cmp);
        const HeapEntry e = heap_.back();
        heap_.pop_back();
        if (!current(e)) continue;  // stale
        NodeId n = e.node;
        for (;;) {
            const NodeId parent = up_[idx(n)].parent;
            remove_leaf(n);
            freed += node_tokens_;
            if (parent == kRoot || !evictable_leaf(parent)) break;
            // The parent is now a leaf carrying its subtree's latest stamp. When it comes before every
            // queued entry it would be popped next anyway: evict it now, without the heap round trip
            // (a request's path is a chain of hundreds of nodes).
            const HeapEntry pe{nodes_[idx(parent)].stamp, parent, nodes_[idx(parent)].gen};
            if (freed >= tokens) {
                push_candidate(parent);
                break;
            }
            if (!heap_.empty() && !later(heap_.front(), pe)) {
                // Something queued may come first; stale entries do not count.
                while (!heap_.empty() && !current(heap_.front())) {
                    std::pop_heap(heap_.begin(), heap_.end(), cmp);
                    heap_.pop_back();
                }
                if (!heap_.empty() && !later(heap_.front(), pe)) {
                    push_candidate(parent);
                    break;
                }
            }
            n = parent;
        }
    }
    return freed;
}

}  // namespace dynosim::sim::kv
