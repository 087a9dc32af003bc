#include "sim/fleet/fleet.hpp"

namespace dynosim::sim::fleet {

Fleet::Fleet(const workload::Workload& wl, metrics::Recorder& rec, std::unique_ptr<Router> router,
             std::vector<std::unique_ptr<engine::Worker>> workers)
    : wl_(wl), rec_(rec), router_(std::move(router)), workers_(std::move(workers)) {
    loads_.resize(workers_.size());
}

void Fleet::attach(core::Simulation& sim) {
    id_ = sim.add_actor(this);
    for (auto& w : workers_) w->attach(sim);
    if (!wl_.requests.empty()) sim.schedule_at(wl_.requests[0].arrival_ns, id_, core::EventKind::Arrival, 0);
}

void Fleet::on_event(const core::Event& ev, core::Simulation& sim) {
    const std::uint64_t idx = ev.payload;
    const workload::Request& r = wl_.requests[idx];
    rec_.at(idx).arrived = true;
    for (std::size_t i = 0; i < workers_.size(); ++i) loads_[i] = workers_[i]->load();
    const std::size_t w = router_->choose(r, loads_);
    workers_[w]->submit(idx, sim);  // a rejection is recorded by the engine

    next_arrival_ = idx + 1;
    if (next_arrival_ < wl_.requests.size())
        sim.schedule_at(wl_.requests[next_arrival_].arrival_ns, id_, core::EventKind::Arrival, next_arrival_);
}

}  // namespace dynosim::sim::fleet
