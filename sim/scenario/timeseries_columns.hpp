// The standard columns of a run's time series (metrics.timeseries_interval_s): arrival rate, queue depth,
// running batch, KV use and the replica count, read from a fleet's workers. Aggregated and disaggregated
// fleets share them; a disaggregated run adds the pool sizes. Other features add their own columns to the
// same sampler (TimeseriesSampler::add_column) where they build their part of the run.
#pragma once
#include <memory>
#include <span>
#include <vector>

#include "sim/engine/worker.hpp"
#include "sim/kv/kvbm.hpp"
#include "sim/metrics/timeseries.hpp"

namespace dynosim::sim::scenario {

// `pools`: the fleet's worker lists (one for an aggregated fleet, prefill and decode for a disaggregated
// one); `arrivals`: requests that have arrived so far. The fleet must outlive the sampling.
template <class ArrivalsFn>
void add_standard_columns(metrics::TimeseriesSampler& ts,
                          std::vector<std::span<const std::unique_ptr<engine::Worker>>> pools, ArrivalsFn arrivals) {
    auto last = std::make_shared<std::uint64_t>(0);
    ts.add_column("arrival_rate_rps", [arrivals, last](core::TimeNs, double dt) {
        const std::uint64_t now = arrivals();
        const double rate = dt > 0 ? static_cast<double>(now - *last) / dt : 0.0;
        *last = now;
        return rate;
    });
    auto sum = [pools](auto field) {
        double s = 0;
        for (const auto& pool : pools)
            for (const auto& w : pool) s += field(w->engine().load());
        return s;
    };
    ts.add_column("queue_depth", [sum](core::TimeNs, double) {
        return sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.waiting); });
    });
    ts.add_column("running", [sum](core::TimeNs, double) {
        return sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.running); });
    });
    ts.add_column("kv_used_frac", [sum](core::TimeNs, double) {
        const double total = sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.total_blocks); });
        return total > 0 ? sum([](const engine::WorkerLoad& l) { return static_cast<double>(l.used_blocks); }) / total
                         : 0.0;
    });
    double replicas = 0;
    for (const auto& pool : pools) replicas += static_cast<double>(pool.size());
    ts.add_column("replicas", [replicas](core::TimeNs, double) { return replicas; });
    if (pools.size() == 2) {
        const double np = static_cast<double>(pools[0].size()), nd = static_cast<double>(pools[1].size());
        ts.add_column("prefill_replicas", [np](core::TimeNs, double) { return np; });
        ts.add_column("decode_replicas", [nd](core::TimeNs, double) { return nd; });
    }
}

// KVBM tiers below G1 (docs/kvbm.md): per tier, the share of its capacity in use over the fleet's workers.
// Nothing is added when no worker has tiers.
inline void add_kvbm_columns(metrics::TimeseriesSampler& ts, std::span<const std::unique_ptr<engine::Worker>> pool) {
    if (pool.empty() || pool.front()->engine().kvbm() == nullptr) return;
    const kv::Kvbm& first = *pool.front()->engine().kvbm();
    for (std::size_t k = 0; k < first.num_tiers(); ++k)
        ts.add_column("kvbm_" + first.tier_name(k) + "_used_frac", [pool, k](core::TimeNs, double) {
            double used = 0, cap = 0;
            for (const auto& w : pool)
                if (const kv::Kvbm* b = w->engine().kvbm()) {
                    used += b->tier(k).occupancy();
                    cap += b->tier(k).capacity();
                }
            return cap > 0 ? used / cap : 0.0;
        });
}

}  // namespace dynosim::sim::scenario
