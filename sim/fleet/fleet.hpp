// The aggregated fleet: N identical workers behind a router, fed by the workload's arrivals. It is the
// actor that replays arrivals (one pending Arrival event at a time, so the queue stays small).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/simulation.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/router.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

class Fleet final : public core::Actor {
public:
    Fleet(const workload::Workload& wl, metrics::Recorder& rec, std::unique_ptr<Router> router,
          std::vector<std::unique_ptr<engine::Worker>> workers);
    // Router replicas (make_routers): arrival i goes to routers[i % size]. A KV router (kv_router.hpp) gets
    // the workers' KV events and request lifecycle.
    Fleet(const workload::Workload& wl, metrics::Recorder& rec, std::vector<std::unique_ptr<Router>> routers,
          std::vector<std::unique_ptr<engine::Worker>> workers);

    // Registers the fleet and its workers and schedules the first arrival.
    void attach(core::Simulation& sim);
    void on_event(const core::Event& ev, core::Simulation& sim) override;

    std::span<const std::unique_ptr<engine::Worker>> workers() const { return workers_; }
    // Requests that have arrived so far.
    std::size_t arrivals_so_far() const { return next_arrival_; }

private:
    const workload::Workload& wl_;
    metrics::Recorder& rec_;
    std::vector<std::unique_ptr<Router>> routers_;
    class KvRouter* kv_ = nullptr;  // routers_[0] when it is a KV router
    std::vector<std::unique_ptr<engine::Worker>> workers_;
    std::vector<engine::WorkerLoad> loads_;  // per arrival, the workers in changed_loads_ are re-read
    std::vector<std::int32_t> changed_loads_;  // workers whose state may have changed (Worker::track_load)
    core::ActorId id_ = 0;
    std::size_t next_arrival_ = 0;
};

}  // namespace dynosim::sim::fleet
