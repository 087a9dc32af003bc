// Cache policy: segmented LRU (recency + frequency). A freed block that was used once goes to the
// probation segment, one used `promote_uses` times or more to the protected segment; victims come from
// probation first (least recently freed), and from protected only when probation is empty. Shared
// prefixes reused across requests survive a burst of one-off prompts that would flush a plain LRU.
#include <vector>

#include "dynosim_plugin.hpp"

struct Slru {
    static constexpr ds_param_doc kParams[] = {
        {"promote_uses", "integer", "2", "uses since filled that move a freed block to the protected segment (>= 2)"}};

    explicit Slru(const dynosim_plugin::Context& c) : promote(c.params.get("promote_uses", std::int64_t{2})) {
        if (promote < 2) throw std::invalid_argument("parameter promote_uses must be >= 2");
    }
    struct List {
        std::int32_t head = -1, tail = -1;
    };
    void reset(std::int32_t, std::int32_t last) {
        prev.assign(static_cast<std::size_t>(last) + 1, -1);
        next.assign(static_cast<std::size_t>(last) + 1, -1);
        seg.assign(static_cast<std::size_t>(last) + 1, 0);
        lists[0] = lists[1] = List{};
    }
    void on_freed(const ds_block_info& b) {
        const int s = b.cached && b.use_count >= promote ? 1 : 0;
        seg[b.block] = static_cast<std::uint8_t>(s);
        List& l = lists[s];
        prev[b.block] = l.tail;
        next[b.block] = -1;
        if (l.tail != -1) next[l.tail] = b.block;
        else l.head = b.block;
        l.tail = b.block;
    }
    void on_reused(std::int32_t b) { unlink(b); }
    std::int32_t pop_victim() {
        const std::int32_t b = lists[0].head != -1 ? lists[0].head : lists[1].head;
        unlink(b);
        return b;
    }
    void unlink(std::int32_t b) {
        List& l = lists[seg[b]];
        if (prev[b] != -1) next[prev[b]] = next[b];
        else l.head = next[b];
        if (next[b] != -1) prev[next[b]] = prev[b];
        else l.tail = prev[b];
        prev[b] = next[b] = -1;
    }

    std::int64_t promote;
    std::vector<std::int32_t> prev, next;
    std::vector<std::uint8_t> seg;
    List lists[2];
};

DYNOSIM_PLUGIN(Slru, "slru", "1.0", "segmented LRU: blocks used promote_uses+ times are evicted after one-off blocks")
