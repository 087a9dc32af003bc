// Cache policy: least frequently used first. The victim is the free block taken the fewest times since it
// got its content (use_count); ties go to the least recently freed. Uncached free blocks (use_count counts
// for nothing there) go first, oldest first.
#include <set>
#include <tuple>
#include <vector>

#include "dynosim_plugin.hpp"

struct Lfu {
    using Key = std::tuple<std::int32_t, std::uint32_t, std::int64_t, std::int32_t>;  // cached, uses, last use, id

    explicit Lfu(const dynosim_plugin::Context&) {}
    void reset(std::int32_t, std::int32_t last) {
        keys.assign(static_cast<std::size_t>(last) + 1, Key{});
        order.clear();
    }
    void on_freed(const ds_block_info& b) {
        const Key k{b.cached, b.cached ? b.use_count : 0u, b.last_use, b.block};
        keys[b.block] = k;
        order.insert(k);
    }
    void on_reused(std::int32_t b) { order.erase(keys[b]); }
    std::int32_t pop_victim() {
        const Key k = *order.begin();
        order.erase(order.begin());
        return std::get<3>(k);
    }

    std::vector<Key> keys;
    std::set<Key> order;
};

DYNOSIM_PLUGIN(Lfu, "lfu", "1.0", "fewest uses since filled first, then least recently freed")
