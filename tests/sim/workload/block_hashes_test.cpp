#include <catch2/catch.hpp>
#include <vector>

#include "sim/workload/block_hashes.hpp"

using namespace dynosim::sim::workload;

namespace {
Request mooncake_like(std::uint64_t id, std::int32_t input, std::vector<std::uint64_t> ids) {
    Request r;
    r.id = id;
    r.input_tokens = input;
    r.output_tokens = 100;
    r.block_hashes = std::move(ids);
    r.hash_block_tokens = 512;
    return r;
}
std::size_t common_prefix(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}
}  // namespace

TEST_CASE("trace hash blocks map onto engine blocks: equal trace prefixes share exactly their tokens",
          "[workload][kv]") {
    const Request a = mooncake_like(0, 1500, {7, 8, 9});
    const Request b = mooncake_like(1, 1500, {7, 8, 10});
    std::vector<std::uint64_t> ha, hb;
    engine_block_hashes(a, 16, a.input_tokens, 0, ha);
    engine_block_hashes(b, 16, b.input_tokens, 0, hb);
    REQUIRE(ha.size() == 1500 / 16);
    CHECK(common_prefix(ha, hb) == 1024 / 16);  // two shared 512-token trace blocks
}

TEST_CASE("output tokens after a prompt's partial last trace block are never shared", "[workload][kv]") {
    // Same prompt (ids 7, 8; the second block partial: 1000 tokens), different requests.
    const Request a = mooncake_like(0, 1000, {7, 8});
    const Request b = mooncake_like(1, 1000, {7, 8});
    std::vector<std::uint64_t> ha, hb;
    engine_block_hashes(a, 16, 1100, 0, ha);
    engine_block_hashes(b, 16, 1100, 0, hb);
    CHECK(common_prefix(ha, hb) == 1000 / 16);  // 62 full prompt blocks; the block holding token 992.. mixes output
}

TEST_CASE("an engine block larger than the trace block chains every trace block it spans", "[workload][kv]") {
    const Request a = mooncake_like(0, 2048, {1, 2, 3, 4});
    const Request b = mooncake_like(1, 2048, {1, 2, 3, 5});
    const Request c = mooncake_like(2, 2048, {1, 9, 3, 4});
    std::vector<std::uint64_t> ha, hb, hc;
    engine_block_hashes(a, 1024, 2048, 0, ha);
    engine_block_hashes(b, 1024, 2048, 0, hb);
    engine_block_hashes(c, 1024, 2048, 0, hc);
    REQUIRE(ha.size() == 2);
    CHECK(common_prefix(ha, hb) == 1);
    CHECK(common_prefix(ha, hc) == 0);
}

TEST_CASE("a request without prefix hashes gets blocks unique to it but stable across calls", "[workload][kv]") {
    Request a;
    a.id = 3;
    a.input_tokens = 64;
    Request b = a;
    b.id = 4;
    std::vector<std::uint64_t> h1, h2, hb;
    engine_block_hashes(a, 16, 64, 0, h1);
    engine_block_hashes(a, 16, 64, 0, h2);
    engine_block_hashes(b, 16, 64, 0, hb);
    CHECK(h1 == h2);
    CHECK(common_prefix(h1, hb) == 0);
}
