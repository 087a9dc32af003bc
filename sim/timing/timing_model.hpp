// How long one forward pass of a worker takes. Engines call step_time() once per step with the exact
// batch; the roofline is the first implementation, the calibrated table model replaces it later
// without touching the engines.
#pragma once
#include <cstdint>
#include <string_view>

#include "sim/core/time.hpp"
#include "sim/timing/batch_shape.hpp"

namespace dynosim::sim::timing {

class TimingModel {
public:
    virtual ~TimingModel() = default;
    virtual core::TimeNs step_time(const BatchShape& batch) = 0;
    // step_time of a decode-only batch of `decodes` sequences whose KV lengths (each including its new
    // token) sum to `context` and reach at most `longest`, without building the batch; -1 when the model
    // needs each sequence's length. Multi-step decoding prices every step of a run through this.
    virtual core::TimeNs decode_step_time(std::int64_t /*decodes*/, std::int64_t /*context*/,
                                          std::int64_t /*longest*/) {
        return -1;
    }
    virtual std::string_view name() const = 0;
};

}  // namespace dynosim::sim::timing
