// Dynamo's SLA planner for a disaggregated fleet (../shared/docs/dynamo.md section (c), docs/planner.md):
// one decision per adjustment interval gives a prefill and a decode replica count.
//   - prefill: predicted requests/s x predicted ISL (prompt tokens/s to compute) over the prompt tokens/s
//     one prefill worker sustains with mean TTFT <= ttft_ms / ttft_correction (the profile's `pool =
//     prefill` section); ttft_correction = observed TTFT / the TTFT that section expects at the observed
//     per-prefill-worker rate;
//   - decode: predicted requests/s x predicted OSL (output tokens/s) over the output tokens/s one decode
//     worker sustains with mean ITL <= itl_ms / itl_correction (the `pool = decode` section), the correction
//     from observed ITL against that section's expectation at the observed per-decode-worker rate.
// Corrections are bounded to [1/4, 4] as in the aggregated planner. Each count is clamped to its pool's
// [min, max]; when both together need more GPUs than the shared budget, both are scaled down in proportion
// (Dynamo's global budget: prefill rounded, decode takes what is left), never below a pool's minimum.
#pragma once
#include <cstdint>
#include <memory>

#include "sim/fleet/planner.hpp"
#include "sim/fleet/planner_profile.hpp"
#include "sim/fleet/predictor.hpp"

namespace dynosim::sim::fleet {

// A pool's replica bounds and GPUs per worker.
struct PoolBounds {
    // Fewest and most workers of the pool (Dynamo min_endpoint = 1 for each). 1 <= min <= max.
    std::int32_t min_replicas = 1;
    std::int32_t max_replicas = 8;
    // Tensor-parallel GPUs of one worker of the pool. >= 1.
    std::int32_t gpus_per_worker = 1;
};

// What a disaggregated fleet saw over one interval: the requests' view (arrivals, ISL, OSL, TTFT, ITL, as
// IntervalObservation) and each pool's worker counts.
struct DisaggObservation {
    IntervalObservation requests;  // its ready / starting / draining are unused here
    std::int32_t prefill_ready = 0, prefill_starting = 0;
    std::int32_t decode_ready = 0, decode_starting = 0;
};

struct DisaggDecision {
    std::int32_t prefill_target = 0, decode_target = 0;  // clamped to the pools' bounds and the budget
    double predicted_rps = 0, predicted_isl = 0, predicted_osl = 0;
    double prefill_tokens_per_s = 0, decode_tokens_per_s = 0;  // predicted demand on each pool
    // Per worker at the corrected targets: prompt tokens/s of a prefill worker, output tokens/s of a decode one.
    double prefill_capacity_tokens_per_s = 0, decode_capacity_tokens_per_s = 0;
    double ttft_correction = 1, itl_correction = 1;
    bool budget_bound = false;  // the shared GPU budget lowered the counts
};

class DisaggSlaPlanner {
public:
    // `profile` must hold the prefill and decode pools (InputError naming `source` otherwise).
    // gpu_budget: most GPUs of both pools' wanted workers together; 0 = none.
    DisaggSlaPlanner(const PlannerOptions& o, const PoolBounds& prefill, const PoolBounds& decode,
                     std::int32_t gpu_budget, const ProfileSet& profile, const std::string& source);
    DisaggDecision decide(const DisaggObservation& obs);
    // Applies the pools' bounds and the budget to wanted counts (exposed for the fleet's initial counts).
    void bound(std::int64_t want_p, std::int64_t want_d, std::int32_t& p, std::int32_t& d, bool& budget_bound) const;
    const PoolBounds& prefill_bounds() const { return pb_; }
    const PoolBounds& decode_bounds() const { return db_; }

private:
    PlannerOptions o_;
    PoolBounds pb_, db_;
    std::int32_t budget_;
    PlannerProfile prefill_, decode_;
    std::unique_ptr<LoadPredictor> num_req_, isl_, osl_;
    double last_isl_ = 0, last_osl_ = 0;  // carried over intervals that measured none
};

}  // namespace dynosim::sim::fleet
