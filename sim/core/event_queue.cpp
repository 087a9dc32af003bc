#include "sim/core/event_queue.hpp"

#include <algorithm>
#include <cassert>

namespace dynosim::sim::core {

namespace {
inline bool before(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}
}  // namespace

const char* to_string(EventKind k) {
    switch (k) {
        case EventKind::Arrival: return "arrival";
        case EventKind::Dispatch: return "dispatch";
        case EventKind::StepEnd: return "step_end";
        case EventKind::Timer: return "timer";
        case EventKind::Custom: return "custom";
    }
    return "unknown";
}

EventHandle EventQueue::push(TimeNs time, ActorId target, EventKind kind, std::uint64_t payload) {
    const std::uint64_t seq = next_seq_++;
    heap_.push_back(Event{time, seq, target, kind, payload});
    sift_up(heap_.size() - 1);
    return EventHandle{seq};
}

bool EventQueue::is_cancelled(std::uint64_t seq) const {
    return std::binary_search(cancelled_.begin(), cancelled_.end(), seq);
}

void EventQueue::cancel(EventHandle h) {
    if (!h.valid() || h.seq >= next_seq_) return;
    auto it = std::lower_bound(cancelled_.begin(), cancelled_.end(), h.seq);
    if (it != cancelled_.end() && *it == h.seq) return;
    // Only count it if it is still pending (a linear scan; cancellation is off the hot path).
    const bool pending = std::any_of(heap_.begin(), heap_.end(), [&](const Event& e) { return e.seq == h.seq; });
    if (!pending) return;
    cancelled_.insert(it, h.seq);
    ++cancelled_pending_;
}

void EventQueue::drop_cancelled_top() {
    while (!heap_.empty() && !cancelled_.empty() && is_cancelled(heap_.front().seq)) {
        const std::uint64_t seq = heap_.front().seq;
        cancelled_.erase(std::lower_bound(cancelled_.begin(), cancelled_.end(), seq));
        --cancelled_pending_;
        heap_.front() = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) sift_down(0);
    }
}

bool EventQueue::empty() {
    drop_cancelled_top();
    return heap_.empty();
}

const Event& EventQueue::top() {
    drop_cancelled_top();
    assert(!heap_.empty());
    return heap_.front();
}

Event EventQueue::pop() {
    drop_cancelled_top();
    assert(!heap_.empty());
    Event e = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return e;
}

void EventQueue::sift_up(std::size_t i) {
    Event e = heap_[i];
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (!before(e, heap_[parent])) break;
        heap_[i] = heap_[parent];
        i = parent;
    }
    heap_[i] = e;
}

void EventQueue::sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    Event e = heap_[i];
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
        if (!before(heap_[child], e)) break;
        heap_[i] = heap_[child];
        i = child;
    }
    heap_[i] = e;
}

}  // namespace dynosim::sim::core
