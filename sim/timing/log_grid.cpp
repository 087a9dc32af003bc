#include "sim/timing/log_grid.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sim/core/errors.hpp"

namespace dynosim::sim::timing {

namespace {
int sign(double v) {
    return (v > 0) - (v < 0);
}
}  // namespace

double pchip_interior_slope(double x0, double y0, double x1, double y1, double x2, double y2) {
    const double h0 = x1 - x0, h1 = x2 - x1;
    const double d0 = (y1 - y0) / h0, d1 = (y2 - y1) / h1;
    if (d0 * d1 <= 0) return 0;
    const double w1 = 2 * h1 + h0, w2 = h1 + 2 * h0;
    return (w1 + w2) / (w1 / d0 + w2 / d1);
}

double pchip_end_slope(double x0, double y0, double x1, double y1, double x2, double y2) {
    // Written for either direction: h and the secants change sign together, the formula is invariant.
    const double h0 = x1 - x0, h1 = x2 - x1;
    const double d0 = (y1 - y0) / h0, d1 = (y2 - y1) / h1;
    const double m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
    if (sign(m) != sign(d0)) return 0;
    if (sign(d0) != sign(d1) && std::abs(m) > std::abs(3 * d0)) return 3 * d0;
    return m;
}

void pchip_slopes(std::span<const double> x, std::span<const double> y, std::span<double> slopes) {
    const std::size_t n = x.size();
    DYNOSIM_ASSERT(y.size() == n && slopes.size() == n);
    if (n == 1) {
        slopes[0] = 0;
        return;
    }
    if (n == 2) {
        slopes[0] = slopes[1] = (y[1] - y[0]) / (x[1] - x[0]);
        return;
    }
    slopes[0] = pchip_end_slope(x[0], y[0], x[1], y[1], x[2], y[2]);
    for (std::size_t i = 1; i + 1 < n; ++i)
        slopes[i] = pchip_interior_slope(x[i - 1], y[i - 1], x[i], y[i], x[i + 1], y[i + 1]);
    slopes[n - 1] = pchip_end_slope(x[n - 1], y[n - 1], x[n - 2], y[n - 2], x[n - 3], y[n - 3]);
}

double hermite(double y0, double y1, double d0, double d1, double h, double t) {
    const double t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * d0 + (3 * t2 - 2 * t3) * y1 +
           (t3 - t2) * h * d1;
}

namespace {
// The nearest two measured points on each side of i on a line of n points (n where there is none).
struct Bracket {
    std::size_t lo[2], hi[2];
};
Bracket bracket(const double* logy, std::size_t stride, std::size_t n, std::size_t i) {
    Bracket b{{n, n}, {n, n}};
    for (std::size_t j = i, found = 0; j-- > 0 && found < 2;)
        if (!std::isnan(logy[j * stride])) b.lo[found++] = j;
    for (std::size_t j = i + 1, found = 0; j < n && found < 2; ++j)
        if (!std::isnan(logy[j * stride])) b.hi[found++] = j;
    return b;
}
}  // namespace

double held_out_log(std::span<const double> logx, const double* logy, std::size_t stride, std::size_t i,
                    Interp interp) {
    const std::size_t n = logx.size();
    auto y = [&](std::size_t j) { return logy[j * stride]; };
    const auto [lo, hi] = bracket(logy, stride, n, i);
    if (lo[0] == n || hi[0] == n) return std::nan("");
    const std::size_t a = lo[0], b = hi[0];
    const double h = logx[b] - logx[a], t = (logx[i] - logx[a]) / h;
    if (interp == Interp::kLinear) return y(a) + t * (y(b) - y(a));
    // The slopes PCHIP gives a and b on the line without point i.
    double da = (y(b) - y(a)) / h, db = da;
    if (lo[1] != n)
        da = pchip_interior_slope(logx[lo[1]], y(lo[1]), logx[a], y(a), logx[b], y(b));
    else if (hi[1] != n)
        da = pchip_end_slope(logx[a], y(a), logx[b], y(b), logx[hi[1]], y(hi[1]));
    if (hi[1] != n)
        db = pchip_interior_slope(logx[a], y(a), logx[b], y(b), logx[hi[1]], y(hi[1]));
    else if (lo[1] != n)
        db = pchip_end_slope(logx[b], y(b), logx[a], y(a), logx[lo[1]], y(lo[1]));
    return hermite(y(a), y(b), da, db, h, t);
}

double held_out_roughness(std::span<const double> logx, const double* logy, std::size_t stride,
                          std::size_t i) {
    const std::size_t n = logx.size();
    auto y = [&](std::size_t j) { return logy[j * stride]; };
    const auto [lo, hi] = bracket(logy, stride, n, i);
    if (lo[0] == n || hi[0] == n) return std::nan("");
    // |y_p - the line through (x_l, y_l), (x_r, y_r) at x_p|
    auto off_line = [&](std::size_t p, std::size_t l, std::size_t r) {
        const double t = (logx[p] - logx[l]) / (logx[r] - logx[l]);
        return std::abs(y(p) - (y(l) + t * (y(r) - y(l))));
    };
    double sum = 0;
    int count = 0;
    if (lo[1] != n) {
        sum += off_line(lo[0], lo[1], hi[0]);
        ++count;
    }
    if (hi[1] != n) {
        sum += off_line(hi[0], lo[0], hi[1]);
        ++count;
    }
    return count > 0 ? sum / count : 0.0;
}

double estimate_cell_log(std::span<const std::span<const double>> axes_log, std::span<const double> logv,
                         std::size_t idx, Interp interp, Combine combine) {
    struct Estimate {
        double value, weight;
    };
    Estimate est[8];
    std::size_t count = 0, stride = 1;
    for (std::size_t d = axes_log.size(); d-- > 0;) {
        const std::size_t size = axes_log[d].size();
        const std::size_t pos = (idx / stride) % size;
        const double* line = logv.data() + (idx - pos * stride);
        const double v = held_out_log(axes_log[d], line, stride, pos, interp);
        if (!std::isnan(v) && count < 8) {
            double w = 1;
            if (combine == Combine::kSmoothnessWeightedMedian) {
                // WENO's regulariser (1e-6): equal weights for axes that are all exact power laws.
                const double r = held_out_roughness(axes_log[d], line, stride, pos);
                w = 1 / ((1e-6 + r) * (1e-6 + r));
            }
            est[count++] = {v, w};
        }
        stride *= size;
    }
    DYNOSIM_ASSERT(stride == logv.size());
    if (count == 0) return std::nan("");
    for (std::size_t i = 1; i < count; ++i)  // insertion sort: at most one per axis
        for (std::size_t j = i; j > 0 && est[j].value < est[j - 1].value; --j) std::swap(est[j], est[j - 1]);
    // Weighted median: the estimate where the running weight passes half the total; exactly half: the mean
    // of it and the next (equal weights: the plain median).
    double total = 0;
    for (std::size_t i = 0; i < count; ++i) total += est[i].weight;
    double acc = 0;
    for (std::size_t i = 0; i < count; ++i) {
        acc += est[i].weight;
        if (std::abs(acc - 0.5 * total) <= 1e-12 * total && i + 1 < count)
            return 0.5 * (est[i].value + est[i + 1].value);
        if (acc > 0.5 * total) return est[i].value;
    }
    return est[count - 1].value;
}

LogAxis::LogAxis(std::vector<double> points, double above_exponent)
    : points_(std::move(points)), above_exponent_(above_exponent) {
    DYNOSIM_ASSERT(!points_.empty());
    logs_.reserve(points_.size());
    for (std::size_t i = 0; i < points_.size(); ++i) {
        DYNOSIM_ASSERT(points_[i] > 0);
        DYNOSIM_ASSERT(i == 0 || points_[i] > points_[i - 1]);
        logs_.push_back(std::log(points_[i]));
    }
}

LogAxis::Where LogAxis::locate(double x) const {
    Where w;
    const std::size_t n = points_.size();
    if (n == 1) {
        if (x > points_[0] * (1 + 1e-12)) {
            w.outside = true;
            w.log_scale = above_exponent_ * (std::log(x) - logs_[0]);
        } else if (x < points_[0] * (1 - 1e-12)) {
            w.outside = true;
        }
        return w;
    }
    if (x <= points_[0]) {
        w.i = 0;
        w.t = 0;
        w.outside = x < points_[0] * (1 - 1e-12);
        return w;
    }
    if (x >= points_[n - 1]) {
        w.i = n - 2;
        w.t = 1;
        if (x > points_[n - 1] * (1 + 1e-12)) {
            w.outside = true;
            w.log_scale = above_exponent_ * (std::log(x) - logs_[n - 1]);
        }
        return w;
    }
    // First point > x; x lies in [i, i + 1).
    const auto it = std::upper_bound(points_.begin(), points_.end(), x);
    w.i = static_cast<std::size_t>(it - points_.begin()) - 1;
    if (x == points_[w.i]) {
        w.t = 0;
    } else {
        w.t = (std::log(x) - logs_[w.i]) / (logs_[w.i + 1] - logs_[w.i]);
    }
    return w;
}

LogCurve::LogCurve(LogAxis axis, std::span<const double> values, Interp interp) : axis_(std::move(axis)) {
    DYNOSIM_ASSERT(values.size() == axis_.size());
    logv_.reserve(values.size());
    for (const double v : values) {
        DYNOSIM_ASSERT(v > 0 && std::isfinite(v));
        logv_.push_back(std::log(v));
    }
    if (interp == Interp::kMonotoneCubic && logv_.size() > 2) {
        slopes_.resize(logv_.size());
        pchip_slopes(axis_.logs(), logv_, slopes_);
    }
}

double LogCurve::value_at(std::size_t i) const { return std::exp(logv_[i]); }

double LogCurve::eval(double x, bool* outside) const {
    const auto w = axis_.locate(x);
    if (w.outside && outside) *outside = true;
    double lv = logv_[w.i];
    if (w.t > 0) {
        if (slopes_.empty()) {
            lv += w.t * (logv_[w.i + 1] - logv_[w.i]);
        } else {
            const auto logs = axis_.logs();
            lv = hermite(logv_[w.i], logv_[w.i + 1], slopes_[w.i], slopes_[w.i + 1],
                         logs[w.i + 1] - logs[w.i], w.t);
        }
    }
    return std::exp(lv + w.log_scale);
}

LogGrid2::LogGrid2(LogAxis a, LogAxis b, std::span<const double> values, Interp interp)
    : a_(std::move(a)), b_(std::move(b)) {
    DYNOSIM_ASSERT(values.size() == a_.size() * b_.size());
    logv_.reserve(values.size());
    for (const double v : values) {
        DYNOSIM_ASSERT(v > 0 && std::isfinite(v));
        logv_.push_back(std::log(v));
    }
    if (interp == Interp::kMonotoneCubic) {
        const std::size_t cols = b_.size();
        b_slopes_.resize(logv_.size());
        for (std::size_t i = 0; i < a_.size(); ++i)
            pchip_slopes(b_.logs(), std::span<const double>(logv_).subspan(i * cols, cols),
                         std::span<double>(b_slopes_).subspan(i * cols, cols));
    }
}

double LogGrid2::row_at(std::size_t row, const LogAxis::Where& wb) const {
    const std::size_t cols = b_.size();
    const double* r = &logv_[row * cols];
    if (wb.t <= 0) return r[wb.i];
    if (b_slopes_.empty()) return r[wb.i] + wb.t * (r[wb.i + 1] - r[wb.i]);
    const double* s = &b_slopes_[row * cols];
    const auto logs = b_.logs();
    return hermite(r[wb.i], r[wb.i + 1], s[wb.i], s[wb.i + 1], logs[wb.i + 1] - logs[wb.i], wb.t);
}

double LogGrid2::value_at(std::size_t i, std::size_t j) const { return std::exp(logv_[i * b_.size() + j]); }

double LogGrid2::eval(double a, double b, bool* outside) const {
    const auto wa = a_.locate(a);
    const auto wb = b_.locate(b);
    if ((wa.outside || wb.outside) && outside) *outside = true;
    double lv = row_at(wa.i, wb);
    if (wa.t > 0) {
        const double l1 = row_at(wa.i + 1, wb);
        if (b_slopes_.empty() || a_.size() == 2) {
            lv += wa.t * (l1 - lv);
        } else {
            // PCHIP along a through the rows around the point, each evaluated at b: the slopes at rows i and
            // i + 1 need rows i - 1 and i + 2 (or the end rule's third row).
            const auto x = a_.logs();
            const std::size_t i = wa.i, n = a_.size();
            const double lm = i > 0 ? row_at(i - 1, wb) : 0.0;
            const double l2 = i + 2 < n ? row_at(i + 2, wb) : 0.0;
            const double d0 = i > 0 ? pchip_interior_slope(x[i - 1], lm, x[i], lv, x[i + 1], l1)
                                    : pchip_end_slope(x[i], lv, x[i + 1], l1, x[i + 2], l2);
            const double d1 = i + 2 < n ? pchip_interior_slope(x[i], lv, x[i + 1], l1, x[i + 2], l2)
                                        : pchip_end_slope(x[i + 1], l1, x[i], lv, x[i - 1], lm);
            lv = hermite(lv, l1, d0, d1, x[i + 1] - x[i], wa.t);
        }
    }
    return std::exp(lv + wa.log_scale + wb.log_scale);
}

std::size_t fill_missing_cells(std::span<const std::span<const double>> axes, std::span<double> values,
                               Interp interp, Combine combine) {
    std::vector<std::vector<double>> logs;
    std::vector<std::span<const double>> spans;
    logs.reserve(axes.size());
    for (const auto& ax : axes) {
        auto& l = logs.emplace_back();
        for (const double x : ax) l.push_back(std::log(x));
    }
    for (const auto& l : logs) spans.emplace_back(l);
    std::vector<double> logv(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        logv[i] = std::isnan(values[i]) ? values[i] : std::log(values[i]);
    std::size_t filled = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isnan(values[i])) continue;
        const double lv = estimate_cell_log(spans, logv, i, interp, combine);
        if (std::isnan(lv)) continue;
        values[i] = std::exp(lv);
        ++filled;
    }
    return filled;
}

void nondecreasing_envelope(std::span<double> values) {
    for (std::size_t i = values.size(); i-- > 1;) values[i - 1] = std::min(values[i - 1], values[i]);
}

std::size_t fill_missing_along_rows(std::span<const double> row_points, std::size_t cols, double exponent,
                                    std::span<double> values) {
    const std::size_t rows = row_points.size();
    DYNOSIM_ASSERT(values.size() == rows * cols);
    std::size_t filled = 0;
    for (std::size_t j = 0; j < cols; ++j) {
        for (std::size_t i = 0; i < rows; ++i) {
            double& v = values[i * cols + j];
            if (!std::isnan(v)) continue;
            // Measured cells only: look below first.
            bool done = false;
            for (std::size_t k = i; k-- > 0;) {
                const double below = values[k * cols + j];
                if (!std::isnan(below)) {
                    v = below * std::pow(row_points[i] / row_points[k], exponent);
                    done = true;
                    break;
                }
            }
            if (!done) {
                for (std::size_t k = i + 1; k < rows; ++k) {
                    const double above = values[k * cols + j];
                    if (!std::isnan(above)) {
                        v = above;
                        done = true;
                        break;
                    }
                }
            }
            if (done) ++filled;
        }
    }
    return filled;
}

}  // namespace dynosim::sim::timing
