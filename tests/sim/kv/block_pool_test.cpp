#include <catch2/catch.hpp>
#include <vector>

#include "sim/kv/kv_cache_manager.hpp"

using namespace dynosim::sim::kv;

namespace {
KvCacheManager make_kv(std::int32_t blocks, bool caching = true) {
    return KvCacheManager(16, BlockPool(blocks, caching, make_cache_policy("lru")));
}
std::vector<std::uint64_t> hashes(std::uint64_t base, int n) {
    std::vector<std::uint64_t> h;
    for (int i = 0; i < n; ++i) h.push_back((base * 1000 + static_cast<std::uint64_t>(i)) << 6);  // groups of one
    return h;
}
}  // namespace

TEST_CASE("a repeated prefix hits the cache after its first request frees it", "[kv]") {
    auto kv = make_kv(65);
    const auto h = hashes(1, 4);  // a 64-token prompt
    SeqKv a;
    CHECK(kv.count_prefix_hits(h, 4) == 0);
    REQUIRE(kv.allocate(a, h, 0, 64, 64));
    kv.free(a);
    CHECK(kv.count_prefix_hits(h, 4) == 4);
    // A different prompt shares nothing.
    CHECK(kv.count_prefix_hits(hashes(2, 4), 4) == 0);
    // A second request reuses the cached blocks: no new blocks needed for the prefix.
    SeqKv b;
    const std::int32_t free_before = kv.num_free_blocks();
    REQUIRE(kv.allocate(b, h, 3, 64, 64));
    CHECK(kv.num_free_blocks() == free_before - 4);
    CHECK(kv.pool().stats().evictions == 0);
}

TEST_CASE("only full blocks are cached", "[kv]") {
    auto kv = make_kv(65);
    const auto h = hashes(3, 2);
    SeqKv a;
    REQUIRE(kv.allocate(a, h, 0, 24, 24));  // one full block and half of another
    kv.free(a);
    CHECK(kv.count_prefix_hits(h, 2) == 1);
}

TEST_CASE("with prefix caching off nothing ever hits", "[kv]") {
    auto kv = make_kv(65, false);
    const auto h = hashes(1, 4);
    SeqKv a;
    REQUIRE(kv.allocate(a, h, 0, 64, 64));
    kv.free(a);
    CHECK(kv.count_prefix_hits(h, 4) == 0);
}

TEST_CASE("allocation fails without side effects when blocks run out", "[kv]") {
    auto kv = make_kv(5);  // 4 usable
    SeqKv a, b;
    REQUIRE(kv.allocate(a, hashes(1, 3), 0, 48, 48));
    CHECK(kv.num_free_blocks() == 1);
    CHECK_FALSE(kv.allocate(b, hashes(2, 2), 0, 32, 32));
    CHECK(b.blocks.empty());
    CHECK(kv.num_free_blocks() == 1);
}

TEST_CASE("the least recently freed cached block is evicted first, a sequence's tail before its head", "[kv]") {
    auto kv = make_kv(5);  // 4 usable
    const auto h1 = hashes(1, 2), h2 = hashes(2, 2);
    SeqKv a, b, c;
    REQUIRE(kv.allocate(a, h1, 0, 32, 32));
    REQUIRE(kv.allocate(b, h2, 0, 32, 32));
    kv.free(a);  // h1 blocks freed first: tail (h1[1]) then head (h1[0])
    kv.free(b);
    // One new block evicts h1's tail; h1's first block and all of h2 stay cached.
    REQUIRE(kv.allocate(c, hashes(3, 1), 0, 16, 16));
    CHECK(kv.count_prefix_hits(h1, 2) == 1);
    CHECK(kv.count_prefix_hits(h2, 2) == 2);
    CHECK(kv.pool().stats().evictions == 1);
}
