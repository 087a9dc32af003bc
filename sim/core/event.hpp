// An event: a small POD addressed to one actor. Ordered by (time, seq); seq is assigned when the event
// is scheduled, so two events at the same instant run in the order they were scheduled.
#pragma once
#include <cstdint>

#include "sim/core/time.hpp"

namespace dynosim::sim::core {

using ActorId = std::uint32_t;

// What happened. Components switch on it; new kinds are appended.
enum class EventKind : std::uint8_t {
    Arrival,      // a request reaches the fleet (payload: request index)
    Dispatch,     // the router hands a request to a worker (payload: request index)
    StepEnd,      // a worker's forward pass ends (payload: step number)
    Timer,        // a component's own periodic wake-up (payload: component-defined)
    Custom,       // reserved for components added by later parts
};

const char* to_string(EventKind k);

struct Event {
    TimeNs time = 0;
    std::uint64_t seq = 0;
    ActorId target = 0;
    EventKind kind = EventKind::Custom;
    std::uint64_t payload = 0;
};

// Identifies a scheduled event for cancellation.
struct EventHandle {
    std::uint64_t seq = UINT64_MAX;
    bool valid() const { return seq != UINT64_MAX; }
};

}  // namespace dynosim::sim::core
