// An actor: a component on the shared timeline (a worker, the router, the workload source, the planner).
// It never waits or reads a wall clock: it reacts to its events and schedules the ones that end its work.
#pragma once
#include "sim/core/event.hpp"

namespace dynosim::sim::core {

class Simulation;

class Actor {
public:
    virtual ~Actor() = default;
    virtual void on_event(const Event& ev, Simulation& sim) = 0;
};

}  // namespace dynosim::sim::core
