// Pending events as a binary min-heap on (time, seq) over one flat vector: no allocation per event once
// the vector has grown to the peak number of pending events.
#pragma once
#include <cstddef>
#include <vector>

#include "sim/core/event.hpp"

namespace dynosim::sim::core {

class EventQueue {
public:
    // Adds an event; returns its handle. The event's seq is assigned here.
    EventHandle push(TimeNs time, ActorId target, EventKind kind, std::uint64_t payload);
    // Marks a pending event so it is dropped instead of delivered. Cancelling an event that already ran
    // or was cancelled is a no-op. O(1): the heap entry is skipped lazily when it reaches the top.
    void cancel(EventHandle h);
    // True when no live event is pending.
    bool empty();
    // The earliest live event. Precondition: !empty().
    const Event& top();
    // Removes and returns the earliest live event. Precondition: !empty().
    Event pop();
    std::size_t size() const { return heap_.size() - cancelled_pending_; }
    std::uint64_t scheduled_total() const { return next_seq_; }
    void reserve(std::size_t n) { heap_.reserve(n); }

private:
    void drop_cancelled_top();
    bool is_cancelled(std::uint64_t seq) const;
    void sift_up(std::size_t i);
    void sift_down(std::size_t i);

    std::vector<Event> heap_;
    // Cancelled seqs still in the heap, kept sorted; cancellations are rare (timers, drained workers).
    std::vector<std::uint64_t> cancelled_;
    std::size_t cancelled_pending_ = 0;
    std::uint64_t next_seq_ = 0;
};

}  // namespace dynosim::sim::core
