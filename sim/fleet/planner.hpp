// The planners' decisions, apart from the fleet that carries them out (planned_fleet.hpp): once per
// adjustment interval each turns what it observed into a target replica count.
//   - SlaPlanner (Dynamo's SLA planner, aggregated mode): predict the next interval's request count, mean
//     ISL and mean OSL; correct the latency targets by observed / expected latency; replicas =
//     ceil(predicted rate / the rate one worker sustains within the corrected targets, from the profile).
//   - LoadPlanner (Dynamo's load-based planner): +1 worker when the interval's mean KV usage or queue
//     depth is above its up threshold, -1 when both are below their down thresholds; no change while a
//     previous scale-up is still starting, and no scale-down for grace_intervals after a scale-up.
// Both clamp to [min_replicas, max_replicas] and the GPU budget.
#pragma once
#include <cstdint>
#include <memory>

#include "sim/fleet/planner_options.hpp"
#include "sim/fleet/planner_profile.hpp"
#include "sim/fleet/predictor.hpp"

namespace dynosim::sim::fleet {

// What the fleet saw over one adjustment interval. Means are NaN when nothing was measured.
struct IntervalObservation {
    double interval_s = 0;
    std::int64_t arrivals = 0;
    double mean_isl = 0, mean_osl = 0;     // ISL of arrivals; OSL of requests that finished
    double mean_ttft_ms = 0, mean_itl_ms = 0;  // first tokens in the interval; finished requests' token gaps
    std::int32_t ready = 0, starting = 0, draining = 0;
    double kv_usage = 0;          // load planner: mean over samples of used / total blocks of ready workers
    double queue_per_worker = 0;  // load planner: mean over samples of waiting requests per ready worker
};

struct PlannerDecision {
    std::int32_t target = 0;  // replicas wanted (ready + starting), already clamped
    // sla: what it was computed from (NaN where not used).
    double predicted_rps = 0, predicted_isl = 0, predicted_osl = 0;
    double capacity_rps = 0;  // per worker, at the corrected targets
    double ttft_correction = 1, itl_correction = 1;
};

class Planner {
public:
    explicit Planner(const PlannerOptions& o, std::int32_t gpus_per_worker);
    virtual ~Planner() = default;
    virtual PlannerDecision decide(const IntervalObservation& obs) = 0;
    // Highest replica count the bounds and the budget allow.
    std::int32_t upper() const { return upper_; }
    std::int32_t clamp(std::int64_t n) const;

protected:
    PlannerOptions o_;
    std::int32_t upper_;
};

class SlaPlanner final : public Planner {
public:
    SlaPlanner(const PlannerOptions& o, PlannerProfile profile, std::int32_t gpus_per_worker);
    PlannerDecision decide(const IntervalObservation& obs) override;
    const PlannerProfile& profile() const { return profile_; }

private:
    PlannerProfile profile_;
    std::unique_ptr<LoadPredictor> num_req_, isl_, osl_;
    double last_isl_ = 0, last_osl_ = 0;  // carried over intervals that measured none
};

class LoadPlanner final : public Planner {
public:
    LoadPlanner(const PlannerOptions& o, std::int32_t gpus_per_worker) : Planner(o, gpus_per_worker) {}
    PlannerDecision decide(const IntervalObservation& obs) override;

private:
    std::int32_t since_up_ = 1 << 30;  // intervals since the last scale-up
};

// The planner `o.kind` names ("sla" reads o.profile, already resolved to a path). InputError on a bad
// profile file.
std::unique_ptr<Planner> make_planner(const PlannerOptions& o, std::int32_t gpus_per_worker);

// The per-worker predictor options of the planner options.
PredictorOptions predictor_options(const PlannerOptions& o);

}  // namespace dynosim::sim::fleet
