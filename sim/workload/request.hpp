// A request as the fleet sees it: when it arrives, how long its prompt and output are, and which prefix
// it shares with others (block hashes). Loaders and generators produce a Workload; replay feeds it in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/time.hpp"

namespace dynosim::sim::workload {

using core::TimeNs;

struct Request {
    // Position in the workload after sorting by arrival; metrics and routers address requests by it.
    std::uint64_t id = 0;
    TimeNs arrival_ns = 0;
    std::int32_t input_tokens = 0;   // prompt length, >= 1
    std::int32_t output_tokens = 0;  // tokens to generate (forced length, as in trace replay), >= 1
    std::int64_t session_id = -1;    // multi-turn conversation id; -1 when none
    // Prefix identity: one hash per block of `hash_block_tokens` tokens, in order. Equal hashes at equal
    // positions mean the same token content up to and including that block (a shareable prefix). May
    // cover prompt and output (a session's next turn reuses both); a trailing partial block may be
    // listed. Empty: the request shares nothing with any other request.
    std::vector<std::uint64_t> block_hashes;
    std::int32_t hash_block_tokens = 0;  // tokens per entry of block_hashes (Mooncake: 512)
    // Tokens whose content block_hashes describes; 0 = the prompt only (a trace's hashes end with the
    // prompt's partial last block). Generated sessions set prompt + output, as the next turn repeats both.
    std::int32_t hashed_tokens = 0;
    std::int32_t client_id = -1;         // tenant in multi-client workloads; -1 when none
};

// A whole workload, sorted by (arrival_ns, original order). `source` names where it came from.
struct Workload {
    std::vector<Request> requests;
    std::string source;
    std::uint64_t skipped_lines = 0;  // malformed lines skipped under --skip-bad-lines
};

// Sorts by arrival (stable) and renumbers ids 0..n-1.
void finalize(Workload& w);

}  // namespace dynosim::sim::workload
