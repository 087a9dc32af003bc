// Shared by the KV-router tests: hand-made workloads whose requests share prefixes by construction, their
// engine block keys, and a router bound to them.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/fleet/kv_router.hpp"
#include "sim/workload/block_hashes.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::test_kv_router {

inline constexpr std::int32_t kBs = 16;

// Requests of `blocks` full blocks each; requests with the same `prefix` share all their blocks.
inline workload::Workload make_workload(
    const std::vector<std::pair<std::int32_t, std::uint64_t>>& blocks_and_prefix) {
    workload::Workload w;
    for (const auto& [blocks, prefix] : blocks_and_prefix) {
        workload::Request r;
        r.input_tokens = blocks * kBs;
        r.output_tokens = 4;
        r.hash_block_tokens = kBs;
        for (std::int32_t b = 0; b < blocks; ++b)
            r.block_hashes.push_back(prefix * 1000 + static_cast<std::uint64_t>(b));
        w.requests.push_back(r);
    }
    workload::finalize(w);
    return w;
}

// The engine block keys of request `i`'s prompt, as a worker would publish them.
inline std::vector<std::uint64_t> keys_of(const workload::Workload& w, std::size_t i) {
    std::vector<std::uint64_t> k;
    workload::engine_block_hashes(w.requests[i], kBs, w.requests[i].input_tokens, 0, k,
                                  workload::group_blocks(w, kBs));
    return k;
}

inline fleet::KvRouter make(const workload::Workload& w, std::int32_t workers, fleet::RouterOptions o = {},
                            std::uint64_t seed = 1) {
    o.policy = "kv";
    fleet::KvRouter r(o, core::Rng(seed));
    r.bind(w, kBs, workers);
    return r;
}

}  // namespace dynosim::sim::test_kv_router
