#include "sim/timing/log_grid.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sim/core/errors.hpp"

namespace dynosim::sim::timing {

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

LogCurve::LogCurve(LogAxis axis, std::span<const double> values) : axis_(std::move(axis)) {
    DYNOSIM_ASSERT(values.size() == axis_.size());
    logv_.reserve(values.size());
    for (const double v : values) {
        DYNOSIM_ASSERT(v > 0 && std::isfinite(v));
        logv_.push_back(std::log(v));
    }
}

double LogCurve::value_at(std::size_t i) const { return std::exp(logv_[i]); }

double LogCurve::eval(double x, bool* outside) const {
    const auto w = axis_.locate(x);
    if (w.outside && outside) *outside = true;
    double lv = logv_[w.i];
    if (w.t > 0) lv += w.t * (logv_[w.i + 1] - logv_[w.i]);
    return std::exp(lv + w.log_scale);
}

LogGrid2::LogGrid2(LogAxis a, LogAxis b, std::span<const double> values) : a_(std::move(a)), b_(std::move(b)) {
    DYNOSIM_ASSERT(values.size() == a_.size() * b_.size());
    logv_.reserve(values.size());
    for (const double v : values) {
        DYNOSIM_ASSERT(v > 0 && std::isfinite(v));
        logv_.push_back(std::log(v));
    }
}

double LogGrid2::value_at(std::size_t i, std::size_t j) const { return std::exp(logv_[i * b_.size() + j]); }

double LogGrid2::eval(double a, double b, bool* outside) const {
    const auto wa = a_.locate(a);
    const auto wb = b_.locate(b);
    if ((wa.outside || wb.outside) && outside) *outside = true;
    const std::size_t cols = b_.size();
    const double* r0 = &logv_[wa.i * cols];
    auto along_b = [&](const double* row) {
        double v = row[wb.i];
        if (wb.t > 0) v += wb.t * (row[wb.i + 1] - row[wb.i]);
        return v;
    };
    double lv = along_b(r0);
    if (wa.t > 0) lv += wa.t * (along_b(r0 + cols) - lv);
    return std::exp(lv + wa.log_scale + wb.log_scale);
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
