#include <catch2/catch.hpp>

#include "sim/kv/radix_cache.hpp"

using dynosim::sim::kv::RadixCache;

namespace {
// Keys of one chain: group g, positions 0..n-1 (kv/block_key.hpp layout).
std::vector<std::uint64_t> keys(std::uint64_t g, int n) {
    std::vector<std::uint64_t> k;
    for (int i = 0; i < n; ++i) k.push_back((g << 6) | static_cast<std::uint64_t>(i));
    return k;
}
}  // namespace

TEST_CASE("radix cache matches the longest cached prefix and shares it", "[kv][radix]") {
    RadixCache t(16, 100);
    std::int32_t created = 0;
    const auto a = keys(1, 8);
    t.insert(a, 0, RadixCache::kRoot, 8, created);
    CHECK(created == 8);
    CHECK(t.total_tokens() == 8 * 16);
    const auto m = t.match_prefix(a, 5);
    CHECK(m.nodes == 5);
    // Re-inserting creates nothing; a longer chain adds only its tail.
    t.insert(a, 0, RadixCache::kRoot, 8, created);
    CHECK(created == 0);
    CHECK(t.match_prefix(keys(2, 3), 3).nodes == 0);
}

TEST_CASE("radix cache evicts unlocked leaves least recently used first, never locked ones", "[kv][radix]") {
    RadixCache t(16, 100);
    std::int32_t created = 0;
    const auto a = keys(1, 4), b = keys(2, 4), c = keys(3, 4);
    const auto na = t.insert(a, 0, RadixCache::kRoot, 4, created);
    t.insert(b, 0, RadixCache::kRoot, 4, created);
    t.insert(c, 0, RadixCache::kRoot, 4, created);
    t.lock(na);  // a is in use
    CHECK(t.evictable_tokens() == 8 * 16);
    t.match_prefix(b, 4);  // b is now more recent than c
    CHECK(t.evict(16) == 16);  // one leaf of c, the oldest
    CHECK(t.match_prefix(c, 4).nodes == 3);
    CHECK(t.evict(1000) == 7 * 16);  // all of b and c, nothing of a
    CHECK(t.match_prefix(a, 4).nodes == 4);
    CHECK(t.match_prefix(b, 4).nodes == 0);
    t.unlock(na);
    CHECK(t.evict(1000) == 4 * 16);
    CHECK(t.total_tokens() == 0);
}
