#include "sim/fleet/disagg_planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/errors.hpp"

namespace dynosim::sim::fleet {

namespace {
constexpr double kUnbounded = std::numeric_limits<double>::infinity();

const PlannerProfile& need_pool(const std::optional<PlannerProfile>& p, const char* pool, const std::string& source) {
    if (!p)
        throw core::InputError(fmt::format(
            "{}: has no `pool = {}` section; a disaggregated fleet's planner needs the prefill and decode pools' "
            "profiles (dynosim profile --pools disagg)",
            source, pool));
    return *p;
}
}  // namespace

DisaggSlaPlanner::DisaggSlaPlanner(const PlannerOptions& o, const PoolBounds& prefill, const PoolBounds& decode,
                                   std::int32_t gpu_budget, const ProfileSet& profile, const std::string& source)
    : o_(o),
      pb_(prefill),
      db_(decode),
      budget_(gpu_budget),
      prefill_(need_pool(profile.prefill, "prefill", source)),
      decode_(need_pool(profile.decode, "decode", source)) {
    DYNOSIM_ASSERT(pb_.min_replicas >= 1 && pb_.max_replicas >= pb_.min_replicas && pb_.gpus_per_worker >= 1);
    DYNOSIM_ASSERT(db_.min_replicas >= 1 && db_.max_replicas >= db_.min_replicas && db_.gpus_per_worker >= 1);
    const PredictorOptions p = predictor_options(o);
    num_req_ = make_predictor(p);
    isl_ = make_predictor(p);
    osl_ = make_predictor(p);
}

void DisaggSlaPlanner::bound(std::int64_t want_p, std::int64_t want_d, std::int32_t& p, std::int32_t& d,
                             bool& budget_bound) const {
    p = static_cast<std::int32_t>(std::clamp<std::int64_t>(want_p, pb_.min_replicas, pb_.max_replicas));
    d = static_cast<std::int32_t>(std::clamp<std::int64_t>(want_d, db_.min_replicas, db_.max_replicas));
    budget_bound = false;
    const std::int64_t gp = pb_.gpus_per_worker, gd = db_.gpus_per_worker;
    if (budget_ <= 0 || p * gp + d * gd <= budget_) return;
    budget_bound = true;
    // Dynamo's global budget: scale both by budget / required; prefill rounded, decode gets the rest.
    const double scale = static_cast<double>(budget_) / static_cast<double>(p * gp + d * gd);
    p = std::max(pb_.min_replicas, static_cast<std::int32_t>(std::lround(p * scale)));
    // Leave the decode pool room for its minimum.
    p = std::max(pb_.min_replicas,
                 std::min<std::int32_t>(p, static_cast<std::int32_t>((budget_ - db_.min_replicas * gd) / gp)));
    d = std::clamp(static_cast<std::int32_t>((budget_ - p * gp) / gd), db_.min_replicas, d);
}

DisaggDecision DisaggSlaPlanner::decide(const DisaggObservation& obs) {
    const IntervalObservation& r = obs.requests;
    DisaggDecision d;
    num_req_->observe(static_cast<double>(r.arrivals));
    if (std::isfinite(r.mean_isl) && r.mean_isl > 0) last_isl_ = r.mean_isl;
    if (std::isfinite(r.mean_osl) && r.mean_osl > 0) last_osl_ = r.mean_osl;
    if (last_isl_ > 0) isl_->observe(last_isl_);
    if (last_osl_ > 0) osl_->observe(last_osl_);
    d.predicted_rps = num_req_->predict() / o_.interval_s;
    d.predicted_isl = isl_->observations() ? std::max(1.0, isl_->predict()) : prefill_.isls().front();
    d.predicted_osl = osl_->observations() ? std::max(1.0, osl_->predict()) : decode_.osls().front();
    if (o_.correction && r.arrivals > 0) {
        const double isl = std::isfinite(r.mean_isl) ? r.mean_isl : d.predicted_isl;
        const double osl = std::isfinite(r.mean_osl) ? r.mean_osl : d.predicted_osl;
        const double rps = static_cast<double>(r.arrivals) / r.interval_s;
        double exp_ttft = 0, exp_itl = 0, unused = 0;
        // Each pool's expectation at its observed per-worker rate, capped at the rate it sustains within its
        // target (past the knee the profile's points are queues grown over a profiling run).
        if (obs.prefill_ready > 0 && std::isfinite(r.mean_ttft_ms) && r.mean_ttft_ms > 0) {
            const double per = std::min(rps / obs.prefill_ready, prefill_.capacity_rps(isl, osl, o_.ttft_ms, kUnbounded));
            prefill_.expected(isl, osl, per, exp_ttft, unused);
            if (exp_ttft > 0) d.ttft_correction = std::clamp(r.mean_ttft_ms / exp_ttft, 0.25, 4.0);
        }
        if (obs.decode_ready > 0 && std::isfinite(r.mean_itl_ms) && r.mean_itl_ms > 0) {
            const double per = std::min(rps / obs.decode_ready, decode_.capacity_rps(isl, osl, kUnbounded, o_.itl_ms));
            decode_.expected(isl, osl, per, unused, exp_itl);
            if (exp_itl > 0) d.itl_correction = std::clamp(r.mean_itl_ms / exp_itl, 0.25, 4.0);
        }
    }
    d.prefill_tokens_per_s = d.predicted_rps * d.predicted_isl;
    d.decode_tokens_per_s = d.predicted_rps * d.predicted_osl;
    d.prefill_capacity_tokens_per_s =
        prefill_.capacity_rps(d.predicted_isl, d.predicted_osl, o_.ttft_ms / d.ttft_correction, kUnbounded) *
        d.predicted_isl;
    d.decode_capacity_tokens_per_s =
        decode_.capacity_rps(d.predicted_isl, d.predicted_osl, kUnbounded, o_.itl_ms / d.itl_correction) *
        d.predicted_osl;
    auto need = [](double demand, double capacity, std::int32_t most) -> std::int64_t {
        if (!(capacity > 0)) return most;
        return static_cast<std::int64_t>(std::min<double>(std::ceil(demand / capacity - 1e-9), 1 << 30));
    };
    bound(need(d.prefill_tokens_per_s, d.prefill_capacity_tokens_per_s, pb_.max_replicas),
          need(d.decode_tokens_per_s, d.decode_capacity_tokens_per_s, db_.max_replicas), d.prefill_target,
          d.decode_target, d.budget_bound);
    return d;
}

}  // namespace dynosim::sim::fleet
