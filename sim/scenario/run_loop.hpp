// Runs a built simulation to its end or time limit, reporting progress in slices of simulated time when
// asked (the event order is the same either way). Shared by the aggregated and disaggregated scenarios.
#pragma once
#include <algorithm>

#include "sim/core/simulation.hpp"
#include "sim/metrics/timeseries.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

template <class FleetT>
void run_until(core::Simulation& sim, core::TimeNs until, const ProgressFn& progress, const FleetT& fleet,
               std::uint64_t total_requests, metrics::TimeseriesSampler* series = nullptr) {
    if (series) {  // stop at every sample time (and report progress every 30 s of it)
        constexpr core::TimeNs kProgress = 30 * core::kNsPerSec;
        core::TimeNs next_progress = kProgress;
        for (core::TimeNs t = series->interval_ns();; t += series->interval_ns()) {
            sim.run(std::min(t, until));
            series->sample(std::min(t, until));
            if (progress && sim.now() >= next_progress) {
                progress(core::ns_to_seconds(sim.now()), fleet.arrivals_so_far(), total_requests);
                next_progress += kProgress;
            }
            if (sim.pending_events() == 0 || t >= until) break;
        }
        series->finish();
        return;
    }
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
