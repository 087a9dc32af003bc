// Fit of the engine's per-step overheads through the simulator itself (`dynosim calib fit --method
// simulate`, docs/fidelity.md).
//
// The measured time per output token of a serving run, (mean E2E - mean TTFT) / (output_len - 1), is the mean
// length of the engine steps a request lived through: decode-only steps and steps where a new request's
// prefill chunk rides along, at the batch the queue actually held. Fitting the overheads on one assumed
// decode-only batch (Little's law) puts the prefill interference into the overhead, and the simulator then
// charges it twice (once as overhead, once as the chunk's tokens). Here the rows are simulated with trial
// overheads and the overheads are moved until the simulated time per output token matches the measured one
// (Gauss-Newton on relative errors, finite-difference Jacobian, a few iterations to the fixed point).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "framework/validation.hpp"

namespace dynosim::framework {

struct OverheadFitOptions {
    // Gauss-Newton iterations (each simulates every row three times). Integer >= 1. Default 3: the
    // step-time model is near linear in the overheads; 3 reaches the fixed point to < 0.1 us on the 13 runs.
    int iterations = 3;
    // Finite-difference steps of the Jacobian, microseconds. > 0. Defaults 100 and 2: about 10% of the
    // values, large enough for the simulated means to move well beyond their seed noise.
    double step_delta_us = 100, seq_delta_us = 2;
    // Rows simulated at once. Integer >= 1. Default 1.
    int jobs = 1;
};

// One run stage used by the fit.
struct OverheadFitPoint {
    std::string id;        // row id and scope ("61 s1")
    double measured_tpot_ms = 0;   // (E2E mean - TTFT mean) / (output_len - 1), measured
    double predicted_tpot_ms = 0;  // the same from the simulation with the fitted overheads
    double measured_ttft_ms = 0, predicted_ttft_ms = 0;  // stage means, predicted without the front end
};

struct OverheadFitResult {
    double step_overhead_us = 0, per_seq_overhead_us = 0;
    // Front-end latency that makes the median stage-0 TTFT error zero with these overheads (the
    // ValidateOptions::frontend_ms rule), ms.
    double frontend_ms = 0;
    // Median |relative error| of the time per output token, %, with the starting and the fitted overheads.
    double median_abs_pct_before = 0, median_abs_pct_after = 0;
    std::vector<OverheadFitPoint> points;  // with the fitted overheads
    std::vector<std::string> log;          // one line per iteration
};

// Fits TableTimingOptions::step_overhead_us and per_seq_overhead_us (starting from o.timing.table's) on
// every row and stage of `runs` that has measured e2e_mean and ttft_mean. Rows that cannot be modelled are
// skipped. Throws core::InputError when fewer than two stages can be used.
OverheadFitResult fit_overheads_by_simulation(const RunsTable& runs, const ValidateOptions& o,
                                              const OverheadFitOptions& fit = {});

}  // namespace dynosim::framework
