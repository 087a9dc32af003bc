// Maps a request's prefix hashes, given at the trace's block size, onto an engine's block size.
// Engine block i covers tokens [i*B, (i+1)*B); its hash chains the previous engine block's hash with the
// ids of every trace block overlapping that range and the offset inside the first one, so two requests
// get equal engine-block hashes exactly when their trace hashes say those tokens (and all before) match.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/workload/request.hpp"

namespace dynosim::sim::workload {

// Appends to `out` the hashes of the full engine blocks of the first `num_tokens` tokens of `r`
// (floor(num_tokens / block_size) entries). Tokens past what r.block_hashes covers get hashes unique to
// the request (salted with r.id and `salt`), so a request can still hit its own blocks after preemption.
void engine_block_hashes(const Request& r, std::int32_t block_size, std::int32_t num_tokens,
                         std::uint64_t salt, std::vector<std::uint64_t>& out);

}  // namespace dynosim::sim::workload
