// Time series of a run (opt-in, metrics.timeseries_interval_s): every interval of simulated time the run
// stops between events and each registered column reads the fleet's state. Columns are registered by
// name with a reader, so a feature (KV tiers, a planner's replica count, ...) adds its own columns where
// it builds its part of the simulation, without touching this file or the other columns. Sampling happens
// between events, so the simulation itself is unchanged by it (the event order is the same).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/time.hpp"

namespace dynosim::sim::metrics {

class TimeseriesSampler {
public:
    // Reads one value at simulated time `now`; `dt_s` is the time since the previous sample (rates).
    using Reader = std::function<double(core::TimeNs now, double dt_s)>;

    // interval_s > 0: seconds of simulated time between samples.
    explicit TimeseriesSampler(double interval_s);
    core::TimeNs interval_ns() const { return interval_ns_; }
    // Adds a column (CSV header `name`); columns appear in the order added, after t_s.
    void add_column(std::string name, Reader reader);
    // One row: t_s then every column's reading.
    void sample(core::TimeNs now);
    // The run is over: drops the readers (they point into the finished simulation); rows stay.
    void finish();
    const std::vector<std::string>& columns() const { return names_; }
    std::size_t rows() const { return names_.empty() ? values_.size() : values_.size() / (names_.size() + 1); }
    // timeseries.csv: header "t_s,<columns>", one row per sample, %.6g values.
    std::string csv() const;

private:
    core::TimeNs interval_ns_;
    core::TimeNs last_ns_ = 0;
    std::vector<std::string> names_;
    std::vector<Reader> readers_;
    std::vector<double> values_;  // row-major, (1 + columns) per row
};

}  // namespace dynosim::sim::metrics
