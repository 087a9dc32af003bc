#include "sim/fleet/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace dynosim::sim::fleet {

std::vector<std::string> PlannerOptions::validate() const {
    std::vector<std::string> out;
    auto need = [&](bool ok, const char* key, const auto& v, const char* rule) {
        if (!ok) out.push_back(fmt::format("{} = {}: {}", key, v, rule));
    };
    need(kind == "none" || kind == "sla" || kind == "load", "planner.kind", kind, "must be none, sla or load");
    if (kind == "none") return out;
    need(interval_s > 0, "planner.interval_s", interval_s, "must be > 0");
    need(predictor == "constant" || predictor == "moving_average" || predictor == "holt" || predictor == "kalman",
         "planner.predictor", predictor, "must be constant, moving_average, holt or kalman");
    need(window >= 1, "planner.window", window, "must be >= 1");
    need(holt_alpha > 0 && holt_alpha <= 1, "planner.holt_alpha", holt_alpha, "must be in (0, 1]");
    need(holt_beta > 0 && holt_beta <= 1, "planner.holt_beta", holt_beta, "must be in (0, 1]");
    need(kalman_q_level > 0, "planner.kalman_q_level", kalman_q_level, "must be > 0");
    need(kalman_q_trend > 0, "planner.kalman_q_trend", kalman_q_trend, "must be > 0");
    need(kalman_r > 0, "planner.kalman_r", kalman_r, "must be > 0");
    need(ttft_ms > 0, "planner.ttft_ms", ttft_ms, "must be > 0");
    need(itl_ms > 0, "planner.itl_ms", itl_ms, "must be > 0");
    if (kind == "sla" && profile.empty())
        out.push_back("planner.profile = \"\": planner.kind = sla needs the profile file `dynosim profile` writes");
    need(min_replicas >= 1, "planner.min_replicas", min_replicas, "must be >= 1");
    need(max_replicas >= min_replicas, "planner.max_replicas", max_replicas,
         "must be >= planner.min_replicas");
    need(gpu_budget >= 0, "planner.gpu_budget", gpu_budget, "must be >= 0 (0 = no budget)");
    need(initial_replicas >= -1, "planner.initial_replicas", initial_replicas, "must be >= 1, or -1 = fleet.workers");
    need(initial_replicas != 0, "planner.initial_replicas", initial_replicas, "must be >= 1, or -1 = fleet.workers");
    need(cold_start_s >= 0, "planner.cold_start_s", cold_start_s, "must be >= 0");
    need(cold_start_dist == "fixed" || cold_start_dist == "uniform" || cold_start_dist == "lognormal" ||
             cold_start_dist == "exponential",
         "planner.cold_start_dist", cold_start_dist, "must be fixed, uniform, lognormal or exponential");
    need(cold_start_spread >= 0 && (cold_start_dist != "uniform" || cold_start_spread <= 1),
         "planner.cold_start_spread", cold_start_spread, "must be >= 0 (and <= 1 for uniform)");
    if (kind == "load")
        need(sample_interval_s > 0 && sample_interval_s <= interval_s, "planner.sample_interval_s", sample_interval_s,
             "must be > 0 and <= planner.interval_s");
    need(kv_down >= 0 && kv_down < kv_up, "planner.kv_down", kv_down, "must be >= 0 and < planner.kv_up");
    need(queue_down >= 0 && queue_down < queue_up, "planner.queue_down", queue_down,
         "must be >= 0 and < planner.queue_up");
    need(grace_intervals >= 0, "planner.grace_intervals", grace_intervals, "must be >= 0");
    return out;
}

PredictorOptions predictor_options(const PlannerOptions& o) {
    PredictorOptions p;
    p.kind = o.predictor;
    p.window = o.window;
    p.holt_alpha = o.holt_alpha;
    p.holt_beta = o.holt_beta;
    p.q_level = o.kalman_q_level;
    p.q_trend = o.kalman_q_trend;
    p.r = o.kalman_r;
    return p;
}

Planner::Planner(const PlannerOptions& o, std::int32_t gpus_per_worker) : o_(o), upper_(o.max_replicas) {
    if (o.gpu_budget > 0) upper_ = std::min(upper_, o.gpu_budget / std::max(1, gpus_per_worker));
    // A budget below one worker cannot hold min_replicas: the floor wins (the fleet cannot run on less).
    upper_ = std::max(upper_, o.min_replicas);
}

std::int32_t Planner::clamp(std::int64_t n) const {
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(n, o_.min_replicas, upper_));
}

SlaPlanner::SlaPlanner(const PlannerOptions& o, PlannerProfile profile, std::int32_t gpus_per_worker)
    : Planner(o, gpus_per_worker), profile_(std::move(profile)) {
    const PredictorOptions p = predictor_options(o);
    num_req_ = make_predictor(p);
    isl_ = make_predictor(p);
    osl_ = make_predictor(p);
}

PlannerDecision SlaPlanner::decide(const IntervalObservation& obs) {
    PlannerDecision d;
    num_req_->observe(static_cast<double>(obs.arrivals));
    if (std::isfinite(obs.mean_isl) && obs.mean_isl > 0) last_isl_ = obs.mean_isl;
    if (std::isfinite(obs.mean_osl) && obs.mean_osl > 0) last_osl_ = obs.mean_osl;
    if (last_isl_ > 0) isl_->observe(last_isl_);
    if (last_osl_ > 0) osl_->observe(last_osl_);
    d.predicted_rps = num_req_->predict() / o_.interval_s;
    d.predicted_isl = isl_->observations() ? std::max(1.0, isl_->predict()) : profile_.isls().front();
    d.predicted_osl = osl_->observations() ? std::max(1.0, osl_->predict()) : profile_.osls().front();
    // Correction factors: how much slower (> 1) or faster the fleet ran than the profile expects at the
    // observed per-worker rate. Bounded to [1/4, 4] so one odd interval cannot swing the fleet to a bound.
    if (o_.correction && obs.ready > 0 && obs.arrivals > 0) {
        double exp_ttft = 0, exp_itl = 0;
        const double isl = std::isfinite(obs.mean_isl) ? obs.mean_isl : d.predicted_isl;
        const double osl = std::isfinite(obs.mean_osl) ? obs.mean_osl : d.predicted_osl;
        // The expectation at the observed per-worker rate, capped at the rate the profile sustains within
        // the targets: past that knee the profile's own points are queues that grew for the length of a
        // profiling run, which would read an overloaded fleet as faster than expected.
        const double per_worker = std::min(static_cast<double>(obs.arrivals) / obs.interval_s / obs.ready,
                                           profile_.capacity_rps(isl, osl, o_.ttft_ms, o_.itl_ms));
        profile_.expected(isl, osl, per_worker, exp_ttft, exp_itl);
        if (std::isfinite(obs.mean_ttft_ms) && obs.mean_ttft_ms > 0 && exp_ttft > 0)
            d.ttft_correction = std::clamp(obs.mean_ttft_ms / exp_ttft, 0.25, 4.0);
        if (std::isfinite(obs.mean_itl_ms) && obs.mean_itl_ms > 0 && exp_itl > 0)
            d.itl_correction = std::clamp(obs.mean_itl_ms / exp_itl, 0.25, 4.0);
    }
    d.capacity_rps = profile_.capacity_rps(d.predicted_isl, d.predicted_osl, o_.ttft_ms / d.ttft_correction,
                                           o_.itl_ms / d.itl_correction);
    const double need = d.capacity_rps > 0 ? std::ceil(d.predicted_rps / d.capacity_rps - 1e-9) : upper_;
    d.target = clamp(static_cast<std::int64_t>(std::min<double>(need, 1 << 30)));
    return d;
}

PlannerDecision LoadPlanner::decide(const IntervalObservation& obs) {
    PlannerDecision d;
    d.predicted_rps = d.predicted_isl = d.predicted_osl = d.capacity_rps = std::nan("");
    const std::int32_t current = obs.ready + obs.starting;
    d.target = clamp(current);
    ++since_up_;
    if (obs.starting > 0) return d;  // a scale-up is still in progress: only observe
    if (obs.kv_usage > o_.kv_up || obs.queue_per_worker > o_.queue_up) {
        d.target = clamp(current + 1);
        if (d.target > current) since_up_ = 0;
    } else if (obs.kv_usage < o_.kv_down && obs.queue_per_worker < o_.queue_down && since_up_ > o_.grace_intervals) {
        d.target = clamp(current - 1);
    }
    return d;
}

std::unique_ptr<Planner> make_planner(const PlannerOptions& o, std::int32_t gpus_per_worker) {
    if (o.kind == "sla") return std::make_unique<SlaPlanner>(o, PlannerProfile::load(o.profile), gpus_per_worker);
    if (o.kind == "load") return std::make_unique<LoadPlanner>(o, gpus_per_worker);
    throw core::InputError(fmt::format("planner.kind = {}: no planner to build", o.kind));
}

}  // namespace dynosim::sim::fleet
