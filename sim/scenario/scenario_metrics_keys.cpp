// The [metrics] keys added for reports: the opt-in time series of a run (timeseries.csv).
#include <fmt/format.h>

#include <toml++/toml.h>

#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_metrics_bindings(std::vector<Binding<Opts>>& b) {
    auto ts = bind_key<Opts, double>(
        "metrics.timeseries_interval_s", [](Opts& o) -> auto& { return o.metrics.timeseries_interval_s; },
        "write timeseries.csv (arrival rate, queue depth, running batch, KV use, replicas) sampled every this many "
        "simulated seconds; 0 = off. Range >= 0");
    ts.set = [inner = ts.set](Opts& o, const toml::node& n) -> std::optional<std::string> {
        if (auto e = inner(o, n)) return e;
        const double v = o.metrics.timeseries_interval_s;
        if (!(v >= 0) || !std::isfinite(v)) return fmt::format("{}: must be >= 0 (0 = off)", v);
        return std::nullopt;
    };
    b.push_back(std::move(ts));
}

}  // namespace dynosim::sim::scenario
