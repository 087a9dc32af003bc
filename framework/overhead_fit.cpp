#include "framework/overhead_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/core/errors.hpp"

namespace dynosim::framework {

namespace {

double median_of(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Simulated stage means of every usable (row, stage), in a fixed order.
struct Sample {
    std::vector<OverheadFitPoint> points;
};

Sample simulate(const RunsTable& runs, const std::vector<std::int32_t>& output_len, const ValidateOptions& base,
                double step_us, double seq_us, int jobs) {
    ValidateOptions o = base;
    o.frontend_ms = 0;  // fitted separately: TPOT does not see it, TTFT is compared without it
    o.timing.table.step_overhead_us = step_us;
    o.timing.table.per_seq_overhead_us = seq_us;
    o.timing.table.calibration_file.clear();
    const auto rows = validate_table(runs, o, jobs);
    Sample s;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const RowResult& r = rows[i];
        if (!r.error.empty() || output_len[i] < 2) continue;
        // scope -> (e2e mean, ttft mean), measured and predicted.
        std::map<std::string, std::pair<const MetricError*, const MetricError*>> by_scope;
        for (const auto& m : r.metrics) {
            if (m.scope == "summary") continue;
            if (m.metric == "e2e_mean_ms") by_scope[m.scope].first = &m;
            if (m.metric == "ttft_mean_ms") by_scope[m.scope].second = &m;
        }
        for (const auto& [scope, em] : by_scope) {
            if (!em.first || !em.second) continue;
            const double n = output_len[i] - 1.0;
            OverheadFitPoint p;
            p.id = fmt::format("{} {}", r.id, scope);
            p.measured_tpot_ms = (em.first->measured - em.second->measured) / n;
            p.predicted_tpot_ms = (em.first->predicted - em.second->predicted) / n;
            p.measured_ttft_ms = em.second->measured;
            p.predicted_ttft_ms = em.second->predicted;
            if (p.measured_tpot_ms > 0) s.points.push_back(p);
        }
    }
    return s;
}

std::vector<double> residuals(const Sample& s) {
    std::vector<double> r;
    for (const auto& p : s.points) r.push_back(p.predicted_tpot_ms / p.measured_tpot_ms - 1);
    return r;
}

double median_abs_pct(const Sample& s) {
    std::vector<double> v;
    for (double r : residuals(s)) v.push_back(100 * std::abs(r));
    return median_of(v);
}

}  // namespace

OverheadFitResult fit_overheads_by_simulation(const RunsTable& runs, const ValidateOptions& o,
                                              const OverheadFitOptions& fit) {
    if (fit.iterations < 1 || !(fit.step_delta_us > 0) || !(fit.seq_delta_us > 0) || fit.jobs < 1)
        throw sim::core::InputError("overhead fit: iterations and jobs must be >= 1 and the deltas > 0");
    std::vector<std::int32_t> output_len(runs.rows.size(), 0);
    for (std::size_t i = 0; i < runs.rows.size(); ++i) {
        try {
            output_len[i] = parse_run(runs, i).output_len;
        } catch (const sim::core::InputError&) {
            output_len[i] = 0;  // validate_table reports the row's error; the fit skips it
        }
    }
    OverheadFitResult res;
    double a = o.timing.table.step_overhead_us, b = o.timing.table.per_seq_overhead_us;
    Sample cur = simulate(runs, output_len, o, a, b, fit.jobs);
    if (cur.points.size() < 2)
        throw sim::core::InputError(fmt::format("overhead fit: {} usable run stages in {} (need >= 2 with measured "
                                                "e2e_mean and ttft_mean)",
                                                cur.points.size(), runs.source));
    res.median_abs_pct_before = median_abs_pct(cur);
    res.log.push_back(fmt::format("start: step {:.1f} us, per sequence {:.2f} us: median |TPOT error| {:.2f}%", a, b,
                                  res.median_abs_pct_before));
    for (int it = 0; it < fit.iterations; ++it) {
        const Sample da = simulate(runs, output_len, o, a + fit.step_delta_us, b, fit.jobs);
        const Sample db = simulate(runs, output_len, o, a, b + fit.seq_delta_us, fit.jobs);
        const auto r0 = residuals(cur), ra = residuals(da), rb = residuals(db);
        if (ra.size() != r0.size() || rb.size() != r0.size())
            throw sim::core::InputError("overhead fit: a row changed modellability between trial overheads");
        // Normal equations of min sum (r0 + ja da + jb db)^2.
        double saa = 0, sab = 0, sbb = 0, sar = 0, sbr = 0;
        for (std::size_t k = 0; k < r0.size(); ++k) {
            const double ja = (ra[k] - r0[k]) / fit.step_delta_us, jb = (rb[k] - r0[k]) / fit.seq_delta_us;
            saa += ja * ja;
            sab += ja * jb;
            sbb += jb * jb;
            sar += ja * r0[k];
            sbr += jb * r0[k];
        }
        const double det = saa * sbb - sab * sab;
        double step_a = 0, step_b = 0;
        if (det > 0) {
            step_a = -(sbb * sar - sab * sbr) / det;
            step_b = -(saa * sbr - sab * sar) / det;
        }
        // Non-negative overheads: a clamped coordinate is refitted alone with the other held at 0.
        double na = a + step_a, nb = b + step_b;
        if (nb < 0) {
            nb = 0;
            na = saa > 0 ? a - (sar - sab * b) / saa : a;
        }
        if (na < 0) {
            na = 0;
            nb = std::max(0.0, sbb > 0 ? b - (sbr - sab * a) / sbb : b);
        }
        a = na;
        b = nb;
        cur = simulate(runs, output_len, o, a, b, fit.jobs);
        res.log.push_back(fmt::format("iteration {}: step {:.1f} us, per sequence {:.2f} us: median |TPOT error| {:.2f}%",
                                      it + 1, a, b, median_abs_pct(cur)));
    }
    res.step_overhead_us = a;
    res.per_seq_overhead_us = b;
    res.median_abs_pct_after = median_abs_pct(cur);
    res.points = cur.points;
    std::vector<double> ttft_gap;
    for (const auto& p : cur.points)
        if (p.id.ends_with(" s0")) ttft_gap.push_back(p.measured_ttft_ms - p.predicted_ttft_ms);
    res.frontend_ms = median_of(ttft_gap);
    return res;
}

}  // namespace dynosim::framework
