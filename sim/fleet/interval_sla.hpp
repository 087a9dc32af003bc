// What a planned fleet (aggregated or disaggregated) measures of its requests between two planner ticks:
// TTFT of the first tokens, OSL and token gaps of the finished requests, and SLA attainment.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/fleet/planner.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

class IntervalSla {
  public:
    // `ttft_ms`, `itl_ms`: a finished request is good when it met both (its mean token gap for ITL).
    void bind(const workload::Workload& wl, double ttft_ms, double itl_ms) {
        wl_ = &wl;
        ttft_ms_ = ttft_ms;
        itl_ms_ = itl_ms;
        first_token_ns_.assign(wl.requests.size(), -1);
    }

    // Only a request's first report counts (a disaggregated request may report from both pools).
    void first_token(std::uint64_t request, core::TimeNs now) {
        if (first_token_ns_[request] >= 0) return;
        first_token_ns_[request] = now;
        ttft_sum_ms_ += core::ns_to_ms(now - wl_->requests[request].arrival_ns);
        ++ttft_n_;
    }

    // Engines report before they record the token, so lengths come from the workload and the first token's
    // time from first_token(), not from the recorder.
    void finished(std::uint64_t request, core::TimeNs now) {
        const std::int32_t out = wl_->requests[request].output_tokens;
        const core::TimeNs first = first_token_ns_[request];
        ++finished_n_;
        osl_sum_ += out;
        bool good = core::ns_to_ms(first - wl_->requests[request].arrival_ns) <= ttft_ms_;
        if (out > 1) {
            const double span = core::ns_to_ms(now - first);
            itl_sum_ms_ += span;
            itl_gaps_ += out - 1;
            good = good && span / (out - 1) <= itl_ms_;
        }
        good_n_ += good;
    }

    // This interval's mean OSL, TTFT and ITL into `o` (NaN where nothing was measured).
    void observe(IntervalObservation& o) const {
        o.mean_osl = finished_n_ ? osl_sum_ / static_cast<double>(finished_n_) : kNaN;
        o.mean_ttft_ms = ttft_n_ ? ttft_sum_ms_ / static_cast<double>(ttft_n_) : kNaN;
        o.mean_itl_ms = itl_gaps_ ? itl_sum_ms_ / static_cast<double>(itl_gaps_) : kNaN;
    }
    std::int64_t finished_count() const { return finished_n_; }
    double attainment() const {
        return finished_n_ ? static_cast<double>(good_n_) / static_cast<double>(finished_n_) : kNaN;
    }

    // A new interval; first tokens already seen stay seen.
    void reset() {
        ttft_n_ = finished_n_ = itl_gaps_ = good_n_ = 0;
        ttft_sum_ms_ = osl_sum_ = itl_sum_ms_ = 0;
    }

  private:
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    const workload::Workload* wl_ = nullptr;
    double ttft_ms_ = 0, itl_ms_ = 0;
    std::vector<core::TimeNs> first_token_ns_;  // per request, -1 until its first token
    double ttft_sum_ms_ = 0, osl_sum_ = 0, itl_sum_ms_ = 0;
    std::int64_t ttft_n_ = 0, finished_n_ = 0, itl_gaps_ = 0, good_n_ = 0;
};

}  // namespace dynosim::sim::fleet
