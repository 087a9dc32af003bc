#include "sim/workload/block_hashes.hpp"

#include <algorithm>

#include "sim/core/rng.hpp"

namespace dynosim::sim::workload {

void engine_block_hashes(const Request& r, std::int32_t block_size, std::int32_t num_tokens,
                         std::uint64_t salt, std::vector<std::uint64_t>& out) {
    const std::int64_t nblocks = num_tokens / block_size;
    const std::int64_t tb = r.hash_block_tokens > 0 ? r.hash_block_tokens : 1;
    const std::int64_t described = r.hashed_tokens > 0 ? r.hashed_tokens : r.input_tokens;
    const std::int64_t covered = std::min(static_cast<std::int64_t>(r.block_hashes.size()) * tb, described);
    std::uint64_t parent = 0x51ed270b27d4e5a3ULL;  // root of every chain
    const std::uint64_t own = core::hash_combine(core::splitmix64(r.id + 1), salt);
    for (std::int64_t i = 0; i < nblocks; ++i) {
        const std::int64_t lo = i * block_size;
        const std::int64_t hi = lo + block_size;  // exclusive
        std::uint64_t h = parent;
        if (hi <= covered) {
            // Shared content: fold the ids of trace blocks [lo/tb, (hi-1)/tb] and where inside them we are.
            h = core::hash_combine(h, static_cast<std::uint64_t>(lo % tb));
            for (std::int64_t j = lo / tb; j <= (hi - 1) / tb; ++j)
                h = core::hash_combine(h, r.block_hashes[static_cast<std::size_t>(j)]);
        } else {
            h = core::hash_combine(h, own ^ static_cast<std::uint64_t>(i));
        }
        out.push_back(h);
        parent = h;
    }
}

}  // namespace dynosim::sim::workload
