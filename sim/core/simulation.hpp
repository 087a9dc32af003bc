// The simulation: one virtual clock, one event queue, the actors addressed by integer ids, and the seeded
// RNG. run() delivers events in (time, seq) order until the queue drains, a time limit passes, or stop().
#pragma once
#include <cstdint>
#include <vector>

#include "sim/core/actor.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/rng.hpp"

namespace dynosim::sim::core {

class Simulation {
public:
    explicit Simulation(std::uint64_t seed = 0) : rng_(seed), seed_(seed) {}

    // Registers an actor (not owned; it must outlive the run) and returns its id.
    ActorId add_actor(Actor* a) {
        actors_.push_back(a);
        return static_cast<ActorId>(actors_.size() - 1);
    }

    TimeNs now() const { return now_; }
    // Schedules at an absolute time; a time in the past is clamped to now (causality).
    EventHandle schedule_at(TimeNs t, ActorId target, EventKind kind, std::uint64_t payload = 0) {
        return queue_.push(t < now_ ? now_ : t, target, kind, payload);
    }
    EventHandle schedule_after(TimeNs dt, ActorId target, EventKind kind, std::uint64_t payload = 0) {
        return schedule_at(now_ + dt, target, kind, payload);
    }
    void cancel(EventHandle h) { queue_.cancel(h); }

    // Runs until no event is left or the next one is later than `until`. Returns events delivered.
    std::uint64_t run(TimeNs until = kTimeMax);
    // Asks run() to return after the current event.
    void stop() { stop_ = true; }

    Rng& rng() { return rng_; }
    std::uint64_t seed() const { return seed_; }
    std::uint64_t events_delivered() const { return delivered_; }
    std::size_t pending_events() const { return queue_.size(); }
    EventQueue& queue() { return queue_; }

private:
    EventQueue queue_;
    std::vector<Actor*> actors_;
    Rng rng_;
    std::uint64_t seed_;
    TimeNs now_ = 0;
    std::uint64_t delivered_ = 0;
    bool stop_ = false;
};

}  // namespace dynosim::sim::core
