#include "sim/metrics/timeseries.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dynosim::sim::metrics {

TimeseriesSampler::TimeseriesSampler(double interval_s)
    : interval_ns_(std::max<core::TimeNs>(1, core::seconds_to_ns(interval_s))) {}

void TimeseriesSampler::add_column(std::string name, Reader reader) {
    names_.push_back(std::move(name));
    readers_.push_back(std::move(reader));
}

void TimeseriesSampler::sample(core::TimeNs now) {
    const double dt = core::ns_to_seconds(now - last_ns_);
    values_.push_back(core::ns_to_seconds(now));
    for (const auto& r : readers_) values_.push_back(r(now, dt));
    last_ns_ = now;
}

void TimeseriesSampler::finish() { readers_.clear(); }

std::string TimeseriesSampler::csv() const {
    std::string out = "t_s";
    for (const auto& n : names_) out += "," + n;
    out += "\n";
    const std::size_t w = names_.size() + 1;
    for (std::size_t i = 0; i < values_.size(); ++i) {
        const double v = values_[i];
        out += std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string();
        out += (i % w == w - 1) ? "\n" : ",";
    }
    return out;
}

}  // namespace dynosim::sim::metrics
