// Replay transforms (see transforms.hpp).
#include "sim/workload/transforms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "sim/core/errors.hpp"

namespace dynosim::sim::workload {

std::vector<std::string> TransformOptions::validate(const std::string& prefix) const {
    std::vector<std::string> errs;
    if (!(window_start_s >= 0) || !std::isfinite(window_start_s))
        errs.push_back(fmt::format("{}window_start_s = {}: must be >= 0 s", prefix, window_start_s));
    if (window_end_s >= 0 && !(window_end_s > window_start_s))
        errs.push_back(fmt::format("{}window_end_s = {}: must be > window_start_s ({}), or < 0 for no end",
                                   prefix, window_end_s, window_start_s));
    if (!(rate_scale > 0) || !std::isfinite(rate_scale))
        errs.push_back(fmt::format("{}rate_scale = {}: must be > 0 (2 = twice as fast)", prefix, rate_scale));
    if (!(sample_fraction > 0 && sample_fraction <= 1))
        errs.push_back(fmt::format("{}sample_fraction = {}: must be in (0, 1]", prefix, sample_fraction));
    if (max_requests != -1 && max_requests < 1)
        errs.push_back(
            fmt::format("{}max_requests = {}: must be >= 1, or -1 for no limit", prefix, max_requests));
    return errs;
}

bool TransformOptions::is_identity() const {
    return window_start_s == 0 && window_end_s < 0 && rate_scale == 1 && sample_fraction == 1 &&
           max_requests < 0;
}

void apply_transforms(Workload& w, const TransformOptions& opts, core::Rng& rng) {
    if (auto errs = opts.validate(); !errs.empty()) {
        std::string msg = "invalid workload transform options:";
        for (const auto& e : errs) msg += "\n  " + e;
        throw core::InputError(msg);
    }
    finalize(w);  // sampling and the limit walk requests in arrival order
    auto& reqs = w.requests;

    // 1. Time window, re-based to its start.
    const TimeNs lo = core::seconds_to_ns(opts.window_start_s);
    const bool has_end = opts.window_end_s >= 0;
    const TimeNs hi = has_end ? core::seconds_to_ns(opts.window_end_s) : 0;
    if (lo > 0 || has_end) {
        std::erase_if(reqs,
                      [&](const Request& r) { return r.arrival_ns < lo || (has_end && r.arrival_ns >= hi); });
        for (Request& r : reqs) r.arrival_ns -= lo;
    }

    // 2. Rate scaling. Rounded to the nearest ns; order is preserved because division is monotone.
    if (opts.rate_scale != 1) {
        for (Request& r : reqs)
            r.arrival_ns =
                static_cast<TimeNs>(std::llround(static_cast<double>(r.arrival_ns) / opts.rate_scale));
    }

    // 3. Sampling: one draw per request in arrival order; a session's later turns follow its first.
    if (opts.sample_fraction < 1) {
        std::unordered_map<std::int64_t, bool> session_kept;
        std::erase_if(reqs, [&](const Request& r) {
            if (r.session_id >= 0) {
                auto [it, fresh] = session_kept.try_emplace(r.session_id, false);
                if (fresh) it->second = rng.uniform() < opts.sample_fraction;
                return !it->second;
            }
            return !(rng.uniform() < opts.sample_fraction);
        });
    }

    // 4. Request limit: the earliest N.
    if (opts.max_requests > 0 && static_cast<std::int64_t>(reqs.size()) > opts.max_requests)
        reqs.resize(static_cast<std::size_t>(opts.max_requests));

    finalize(w);
}

}  // namespace dynosim::sim::workload
