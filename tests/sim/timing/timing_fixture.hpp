// Shared by the timing-model tests: batch shapes by hand and one op's time out of a breakdown.
#pragma once

#include <string>
#include <vector>

#include "sim/timing/table_model.hpp"

namespace dynosim::sim::timing::test {

// `n` decoding sequences, each with `ctx` tokens of KV.
inline BatchShape decodes(int n, int ctx) {
    BatchShape b;
    b.decode_context.assign(static_cast<size_t>(n), ctx);
    return b;
}

// One prefill chunk of `tokens` new tokens after `ctx` cached ones.
inline BatchShape prefill(int tokens, int ctx = 0) {
    BatchShape b;
    b.prefills.push_back({tokens, ctx, true});
    return b;
}

// The time of op `name` in a breakdown (0 when the step has no such op).
inline double op_ms(const std::vector<OpCost>& ops, const std::string& name) {
    for (const auto& o : ops)
        if (o.op == name) return o.ms;
    return 0;
}

}  // namespace dynosim::sim::timing::test
