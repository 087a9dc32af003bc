// Runs a built simulation to its end or time limit, reporting progress in slices of simulated time when
// asked (the event order is the same either way). Shared by the aggregated and disaggregated scenarios.
#pragma once
#include <algorithm>

#include "sim/core/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

template <class FleetT>
void run_until(core::Simulation& sim, core::TimeNs until, const ProgressFn& progress, const FleetT& fleet,
               std::uint64_t total_requests) {
    if (!progress) {
        sim.run(until);
        return;
    }
    constexpr core::TimeNs kSlice = 30 * core::kNsPerSec;
    for (core::TimeNs t = kSlice;; t += kSlice) {
        sim.run(std::min(t, until));
        progress(core::ns_to_seconds(sim.now()), fleet.arrivals_so_far(), total_requests);
        if (sim.pending_events() == 0 || t >= until) break;
    }
}

}  // namespace dynosim::sim::scenario
