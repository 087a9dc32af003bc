#include "sim/fleet/fleet.hpp"

#include "sim/fleet/kv_router.hpp"

namespace dynosim::sim::fleet {

Fleet::Fleet(const workload::Workload& wl, metrics::Recorder& rec, std::unique_ptr<Router> router,
             std::vector<std::unique_ptr<engine::Worker>> workers)
    : wl_(wl), rec_(rec), workers_(std::move(workers)) {
    routers_.push_back(std::move(router));
    loads_.resize(workers_.size());
}

Fleet::Fleet(const workload::Workload& wl, metrics::Recorder& rec, std::vector<std::unique_ptr<Router>> routers,
             std::vector<std::unique_ptr<engine::Worker>> workers)
    : wl_(wl), rec_(rec), routers_(std::move(routers)), workers_(std::move(workers)) {
    loads_.resize(workers_.size());
    kv_ = dynamic_cast<KvRouter*>(routers_.front().get());
    if (kv_)
        for (auto& w : workers_) w->engine().set_event_sink(kv_);
}

void Fleet::attach(core::Simulation& sim) {
    id_ = sim.add_actor(this);
    for (auto& w : workers_) w->attach(sim);
    changed_loads_.reserve(workers_.size());
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->track_load(&changed_loads_, static_cast<std::int32_t>(i));
    if (!wl_.requests.empty()) sim.schedule_at(wl_.requests[0].arrival_ns, id_, core::EventKind::Arrival, 0);
}

void Fleet::on_event(const core::Event& ev, core::Simulation& sim) {
    // Every request arriving at this instant is routed in this one event, so an idle worker's step (a
    // Timer queued at the same instant) sees them all, as vLLM's engine loop drains its input queue first.
    std::uint64_t idx = ev.payload;
    const core::TimeNs now = wl_.requests[idx].arrival_ns;
    do {
        const workload::Request& r = wl_.requests[idx];
        rec_.at(idx).arrived = true;
        // Only workers that had an event or a request since the last read can have a new load.
        for (const std::int32_t i : changed_loads_) loads_[static_cast<std::size_t>(i)] = workers_[static_cast<std::size_t>(i)]->read_load();
        changed_loads_.clear();
        const std::size_t w = routers_[idx % routers_.size()]->choose(r, loads_);
        next_arrival_ = idx + 1;
        // A rejection is recorded by the engine; the KV router drops its booking.
        if (!workers_[w]->submit(idx, sim) && kv_) kv_->on_rejected(idx);
        ++idx;
    } while (idx < wl_.requests.size() && wl_.requests[idx].arrival_ns == now);

    if (next_arrival_ < wl_.requests.size())
        sim.schedule_at(wl_.requests[next_arrival_].arrival_ns, id_, core::EventKind::Arrival, next_arrival_);
}

}  // namespace dynosim::sim::fleet
