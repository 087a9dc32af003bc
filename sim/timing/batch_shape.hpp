// The exact shape of one forward pass: the prefill chunks (new tokens and the context already in KV
// before them) and the decode sequences (the KV length each attends over). Engines fill one reused
// BatchShape per step; timing models price it.
#pragma once
#include <cstdint>
#include <vector>

namespace dynosim::sim::timing {

struct PrefillChunk {
    std::int32_t new_tokens = 0;      // tokens computed in this step
    std::int32_t context_tokens = 0;  // tokens already in KV (prefix hits and earlier chunks)
    bool last_chunk = false;          // this chunk completes the prompt: a token is sampled
};

struct BatchShape {
    std::vector<PrefillChunk> prefills;
    std::vector<std::int32_t> decode_context;  // per decode sequence: KV length incl. the new token

    void clear() {
        prefills.clear();
        decode_context.clear();
    }
    bool empty() const { return prefills.empty() && decode_context.empty(); }
    std::int64_t num_tokens() const {
        std::int64_t n = static_cast<std::int64_t>(decode_context.size());
        for (const auto& p : prefills) n += p.new_tokens;
        return n;
    }
};

}  // namespace dynosim::sim::timing
