#include "sim/workload/block_hashes.hpp"

#include <algorithm>
#include <bit>

#include "sim/core/rng.hpp"

namespace dynosim::sim::workload {

namespace {

// Engine blocks per group inside one trace block: the largest power of two dividing the number of engine
// blocks a trace block holds, capped by what the sub-index can address. 1 when blocks do not nest.
std::int64_t trace_group(std::int64_t trace_block, std::int64_t block_size) {
    if (trace_block < block_size || trace_block % block_size != 0) return 1;
    const std::int64_t per_trace = trace_block / block_size;
    const std::int64_t pow2 = per_trace & -per_trace;
    return std::min<std::int64_t>(pow2, kBlockSubMask + 1);
}

}  // namespace

std::int32_t group_blocks(const Workload& w, std::int32_t block_size) {
    std::int64_t g = 1;
    bool unhashed = false;
    for (const Request& r : w.requests) {
        if (r.block_hashes.empty()) unhashed = true;
        else g = std::max(g, trace_group(r.hash_block_tokens, block_size));
        if (g == kBlockSubMask + 1) break;
    }
    // Tokens no trace hash describes (outputs, traces without hashes) are unique to their request.
    if (unhashed || g > 1) g = std::max<std::int64_t>(g, 32);
    return static_cast<std::int32_t>(g);
}

void engine_block_hashes(const Request& r, std::int32_t block_size, std::int32_t num_tokens,
                         std::uint64_t salt, std::vector<std::uint64_t>& out, std::int32_t unique_group) {
    const std::int64_t bs = block_size;
    const std::int64_t nblocks = num_tokens / bs;
    const std::int64_t tb = r.hash_block_tokens > 0 ? r.hash_block_tokens : 1;
    const std::int64_t described = r.hashed_tokens > 0 ? r.hashed_tokens : r.input_tokens;
    const std::int64_t covered = std::min(static_cast<std::int64_t>(r.block_hashes.size()) * tb, described);
    const std::int64_t g = trace_group(tb, bs);
    const std::int64_t ug = std::clamp<std::int64_t>(unique_group, 1, kBlockSubMask + 1);
    const std::uint64_t own = core::hash_combine(core::splitmix64(r.id + 1), salt);

    // Chain of trace blocks folded so far: `chain` identifies tokens [0, chained_upto).
    std::uint64_t chain = 0x51ed270b27d4e5a3ULL;
    out.reserve(out.size() + static_cast<std::size_t>(nblocks));
    // Engine blocks whose tokens the trace hashes cover entirely.
    const std::int64_t ncov = std::clamp<std::int64_t>(covered / bs, 0, nblocks);
    std::int64_t i = 0;
    if (g > 1) {
        // Nested: the group is (trace chain, which run of g blocks inside the trace block); its key is
        // hashed once for its g blocks, and the loops count instead of dividing (this runs for every block
        // of every admitted prompt).
        const std::int64_t per_trace = tb / bs;
        for (std::size_t t = 0; i < ncov; ++t) {
            chain = core::hash_combine(chain, r.block_hashes[t]);
            for (std::int64_t run = 0; run * g < per_trace && i < ncov; ++run) {
                const std::uint64_t group = block_group(core::hash_combine(chain, static_cast<std::uint64_t>(run)));
                for (std::int64_t sub = 0; sub < g && i < ncov; ++sub, ++i)
                    out.push_back(group | static_cast<std::uint64_t>(sub));
            }
        }
    } else {
        // Not nested: chain block by block, with where the block starts inside its trace block.
        std::int64_t chained_upto = 0;
        std::uint64_t prev_key = chain;
        for (; i < ncov; ++i) {
            const std::int64_t lo = i * bs;
            while (chained_upto < lo + bs) {
                chain = core::hash_combine(chain, r.block_hashes[static_cast<std::size_t>(chained_upto / tb)]);
                chained_upto += tb;
            }
            prev_key = block_group(core::hash_combine(core::hash_combine(prev_key, chain), static_cast<std::uint64_t>(lo % tb)));
            out.push_back(prev_key);
        }
    }
    // The rest is the request's own: groups of ug blocks keyed by (request, salt, group index).
    while (i < nblocks) {
        const std::uint64_t group = block_group(core::hash_combine(own, static_cast<std::uint64_t>(i / ug)));
        for (std::int64_t sub = i % ug; sub < ug && i < nblocks; ++sub, ++i) out.push_back(group | static_cast<std::uint64_t>(sub));
    }
}

}  // namespace dynosim::sim::workload
