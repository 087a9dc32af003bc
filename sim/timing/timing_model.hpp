// How long one forward pass of a worker takes. Engines call step_time() once per step with the exact
// batch; the roofline is the first implementation, the calibrated table model replaces it later
// without touching the engines.
#pragma once
#include <string_view>

#include "sim/core/time.hpp"
#include "sim/timing/batch_shape.hpp"

namespace dynosim::sim::timing {

class TimingModel {
public:
    virtual ~TimingModel() = default;
    virtual core::TimeNs step_time(const BatchShape& batch) = 0;
    virtual std::string_view name() const = 0;
};

}  // namespace dynosim::sim::timing
