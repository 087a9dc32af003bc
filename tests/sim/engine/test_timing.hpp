// Engine-test helpers: a timing model whose step time is hand-computable (fixed + per_token x tokens in the
// batch) and a request builder.
#pragma once
#include <utility>
#include <vector>

#include "sim/timing/timing_model.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::test {

class LinearTiming final : public sim::timing::TimingModel {
public:
    LinearTiming(sim::core::TimeNs fixed_ns, sim::core::TimeNs per_token_ns) : fixed_(fixed_ns), per_token_(per_token_ns) {}
    sim::core::TimeNs step_time(const sim::timing::BatchShape& b) override {
        return fixed_ + per_token_ * b.num_tokens();
    }
    std::string_view name() const override { return "linear-test"; }

private:
    sim::core::TimeNs fixed_, per_token_;
};

// A request arriving at `at` with `in` prompt and `out` output tokens; `h` its prefix hashes, one per `hb`.
inline sim::workload::Request req(sim::core::TimeNs at, std::int32_t in, std::int32_t out,
                                  std::vector<std::uint64_t> h = {}, std::int32_t hb = 16) {
    sim::workload::Request r;
    r.arrival_ns = at;
    r.input_tokens = in;
    r.output_tokens = out;
    r.block_hashes = std::move(h);
    r.hash_block_tokens = hb;
    return r;
}

}  // namespace dynosim::test
