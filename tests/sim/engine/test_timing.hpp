// A timing model whose step time is hand-computable: fixed + per_token x tokens in the batch.
#pragma once
#include "sim/timing/timing_model.hpp"

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

}  // namespace dynosim::test
