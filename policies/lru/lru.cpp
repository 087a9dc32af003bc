// Cache policy: least recently freed block first, vLLM's FreeKVCacheBlockQueue. The same intrusive doubly
// linked list as the built-in lru, so a run with it is byte-identical to engine.cache_policy = "lru".
#include <vector>

#include "dynosim_plugin.hpp"

struct Lru {
    explicit Lru(const dynosim_plugin::Context&) {}
    void reset(std::int32_t /*first*/, std::int32_t last) {
        prev.assign(static_cast<std::size_t>(last) + 1, -1);
        next.assign(static_cast<std::size_t>(last) + 1, -1);
        head = tail = -1;
    }
    void on_freed(const ds_block_info& b) {  // to the tail
        prev[b.block] = tail;
        next[b.block] = -1;
        if (tail != -1) next[tail] = b.block;
        else head = b.block;
        tail = b.block;
    }
    void on_reused(std::int32_t b) { unlink(b); }
    std::int32_t pop_victim() {  // the head
        const std::int32_t b = head;
        unlink(b);
        return b;
    }
    void unlink(std::int32_t b) {
        if (prev[b] != -1) next[prev[b]] = next[b];
        else head = next[b];
        if (next[b] != -1) prev[next[b]] = prev[b];
        else tail = prev[b];
        prev[b] = next[b] = -1;
    }

    std::vector<std::int32_t> prev, next;
    std::int32_t head = -1, tail = -1;
};

DYNOSIM_PLUGIN(Lru, "lru", "1.0", "least recently freed block first (vLLM's free-block queue)")
