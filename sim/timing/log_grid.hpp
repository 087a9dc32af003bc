// Measured latency grids and their interpolation. Values are interpolated piecewise-linearly in log-log
// space (log latency against log coordinate), which is exact on grid points, monotone between two grid
// points, and follows power laws (latency ~ m, ~ isl^2) without bias. Outside an axis the coordinate is
// clamped to the edge and the edge value is scaled by (x / edge)^exponent, the op's roofline exponent on
// that axis above the grid (1 for GEMM m, 2 for prefill sequence length, ...) and 0 below it (a kernel's
// latency floor); the caller is told so it can warn.
#pragma once
#include <cstddef>
#include <span>
#include <vector>

namespace dynosim::sim::timing {

// One sorted axis of a grid, kept in log space. No allocation after construction.
class LogAxis {
public:
    LogAxis() = default;
    // `points` strictly increasing and > 0. `above_exponent`: scaling exponent beyond the last point.
    LogAxis(std::vector<double> points, double above_exponent);

    // Where x falls: cell index i (0 <= i <= size - 2, or 0 for a 1-point axis), weight t in [0, 1] of
    // point i + 1 in log space, and the out-of-grid factor log((x / edge)^exponent) (0 inside).
    struct Where {
        std::size_t i = 0;
        double t = 0;
        double log_scale = 0;
        bool outside = false;
    };
    Where locate(double x) const;

    std::size_t size() const { return points_.size(); }
    std::span<const double> points() const { return points_; }
    double above_exponent() const { return above_exponent_; }

private:
    std::vector<double> points_;
    std::vector<double> logs_;
    double above_exponent_ = 1;
};

// Latency along one axis.
class LogCurve {
public:
    LogCurve() = default;
    // `values[i]` > 0 is the latency at axis point i.
    LogCurve(LogAxis axis, std::span<const double> values);

    bool empty() const { return axis_.size() == 0; }
    // Interpolated latency at x; sets *outside when x is beyond the axis (never cleared).
    double eval(double x, bool* outside) const;
    const LogAxis& axis() const { return axis_; }
    double value_at(std::size_t i) const;

private:
    LogAxis axis_;
    std::vector<double> logv_;
};

// Latency over two axes (row-major: values[i * cols + j] at (a_i, b_j)).
class LogGrid2 {
public:
    LogGrid2() = default;
    LogGrid2(LogAxis a, LogAxis b, std::span<const double> values);

    bool empty() const { return a_.size() == 0; }
    double eval(double a, double b, bool* outside) const;
    const LogAxis& axis_a() const { return a_; }
    const LogAxis& axis_b() const { return b_; }
    double value_at(std::size_t i, std::size_t j) const;

private:
    LogAxis a_, b_;
    std::vector<double> logv_;
};

// Fills the missing cells (NaN) of a row-major rows x cols grid along the row axis: a missing cell takes
// the nearest measured cell below it in the same column scaled by (a / a_below)^exponent (the roofline
// law on that axis), or, with none below, the nearest above unscaled. Columns with no measured cell are
// left NaN. Returns the number of cells filled.
std::size_t fill_missing_along_rows(std::span<const double> row_points, std::size_t cols, double exponent,
                                    std::span<double> values);

}  // namespace dynosim::sim::timing
