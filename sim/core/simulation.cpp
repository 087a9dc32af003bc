#include "sim/core/simulation.hpp"

#include <stdexcept>
#include <string>

namespace dynosim::sim::core {

std::uint64_t Simulation::run(TimeNs until) {
    stop_ = false;
    std::uint64_t n = 0;
    while (!stop_ && !queue_.empty()) {
        if (queue_.top().time > until) break;
        const Event ev = queue_.pop();
        now_ = ev.time;
        if (ev.target >= actors_.size())
            throw std::logic_error("event for unknown actor " + std::to_string(ev.target));
        actors_[ev.target]->on_event(ev, *this);
        ++n;
    }
    delivered_ += n;
    return n;
}

}  // namespace dynosim::sim::core
