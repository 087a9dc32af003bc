// Maps a request's prefix hashes, given at the trace's block size, onto an engine's block size.
//
// A block key (kv/block_key.hpp) names a *group* of consecutive engine blocks and the block's place in it.
// A group is a run of engine blocks whose identity is settled together:
// the engine blocks inside one trace block (Mooncake: 512 / 16 = 32 of them) share everything but their
// offset, so the KV cache can index them with one map entry instead of 32. Two requests get equal keys
// for engine block i exactly when their trace hashes say that block's tokens, and all before, match.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/kv/block_key.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

using kv::block_group;
using kv::kBlockSubMask;

// Blocks per group for requests of this workload at this engine block size: the engine blocks of one
// trace block (a power of two, <= 64), or 32 for blocks no trace hash covers. The KV cache sizes its
// group records with it.
std::int32_t group_blocks(const Workload& w, std::int32_t block_size);

// Appends to `out` the keys of the full engine blocks of the first `num_tokens` tokens of `r`
// (floor(num_tokens / block_size) entries). Tokens past what r.block_hashes describes get keys unique to
// the request (salted with r.id and `salt`), so a request still hits its own blocks after preemption.
// `unique_group` (from group_blocks) is the group size used for those.
void engine_block_hashes(const Request& r, std::int32_t block_size, std::int32_t num_tokens,
                         std::uint64_t salt, std::vector<std::uint64_t>& out, std::int32_t unique_group = 32);

}  // namespace dynosim::sim::workload
