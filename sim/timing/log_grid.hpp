// Measured latency grids and their interpolation, in log-log space (log latency against log coordinate):
// piecewise linear, or monotone piecewise cubic (Fritsch-Carlson / PCHIP: Hermite cubics with slopes that
// keep every cell monotone, as SciPy's PchipInterpolator) where a table's curvature across wide grid steps
// needs it. Both are exact on grid points, monotone between two grid points (the value stays between the
// two measurements), and follow power laws (latency ~ m, ~ isl^2) without bias. Outside an axis the
// coordinate is clamped to the edge and the edge value is scaled by (x / edge)^exponent, the op's roofline
// exponent on that axis above the grid (1 for GEMM m, 2 for prefill sequence length, ...) and 0 below it (a
// kernel's latency floor); the caller is told so it can warn.
#pragma once
#include <cstddef>
#include <span>
#include <vector>

namespace dynosim::sim::timing {

// Interpolation rule between grid points (in log-log space).
enum class Interp { kLinear, kMonotoneCubic };

// Monotone-cubic (PCHIP) slope at the middle point of three (x strictly increasing): 0 at a local extremum,
// else the weighted harmonic mean of the two secants (Fritsch-Butland).
double pchip_interior_slope(double x0, double y0, double x1, double y1, double x2, double y2);
// Slope at the end point (x0, y0) of a line whose next points are (x1, y1), (x2, y2) (either direction):
// the three-point estimate, zeroed against the first secant and clipped to 3x it at a turn (SciPy's rule).
double pchip_end_slope(double x0, double y0, double x1, double y1, double x2, double y2);
// PCHIP slopes of the points (x_i, y_i), x strictly increasing; two points: the secant.
void pchip_slopes(std::span<const double> x, std::span<const double> y, std::span<double> slopes);
// Cubic Hermite between (0, y0) and (h, y1) with end slopes d0, d1, at fraction t of h.
double hermite(double y0, double y1, double d0, double d1, double h, double t);

// Held-out estimate at point i of a line from the line's other measured points (logy NaN = unmeasured),
// all in log space, with the model's rule `interp` over the measured points alone (the nearest measured
// points on each side, and for the cubic the next ones for the slopes): what the model interpolates at
// x_i when point i is missing. NaN when no measured point lies on one side. logy is read with a stride.
double held_out_log(std::span<const double> logx, const double* logy, std::size_t stride, std::size_t i,
                    Interp interp);

// Roughness of a line around its point i, from the line's other measured points (the same as held_out_log
// reads): how far each of the two bracketing points lies, in log space, from the line through its own
// nearest measured neighbours with point i left out (the mean of the two; only one when one side has a
// single measured point; 0 when neither has a second neighbour, as no roughness is seen). Large where a
// kernel switch or a noisy measurement sits next to the cell, 0 on a clean power law.
double held_out_roughness(std::span<const double> logx, const double* logy, std::size_t stride,
                          std::size_t i);

// How the estimates of the axes through a missing cell are combined (estimate_cell_log).
enum class Combine {
    // Their median in log space (the middle of three, the mean of two).
    kMedian,
    // Their weighted median, axis d weighted by 1 / (1e-6 + roughness_d)^2 (held_out_roughness): the
    // smoothness weights of WENO interpolation, which keep an estimate off a stencil that crosses a jump.
    // Equal roughness gives the median.
    kSmoothnessWeightedMedian,
};

// Held-out estimate of cell `idx` of a row-major grid (axes_log[d]: log axis points of axis d; logv: log
// values, NaN = unmeasured): the estimates along every axis through the cell that brackets it
// (held_out_log), combined by `combine`. A kernel switch at one coordinate (cuBLAS changing tiles at
// m = 33) is shared by the neighbouring cells of the other axes, so the axes that see it outvote the one
// that cannot; an axis whose neighbours straddle a switch or a noisy point is rough there and, with the
// smoothness weights, counts for less. NaN when no axis brackets the cell.
double estimate_cell_log(std::span<const std::span<const double>> axes_log, std::span<const double> logv,
                         std::size_t idx, Interp interp, Combine combine = Combine::kMedian);

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
    std::span<const double> logs() const { return logs_; }
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
    LogCurve(LogAxis axis, std::span<const double> values, Interp interp = Interp::kLinear);

    bool empty() const { return axis_.size() == 0; }
    // Interpolated latency at x; sets *outside when x is beyond the axis (never cleared).
    double eval(double x, bool* outside) const;
    const LogAxis& axis() const { return axis_; }
    double value_at(std::size_t i) const;

private:
    LogAxis axis_;
    std::vector<double> logv_;
    std::vector<double> slopes_;  // PCHIP slopes (log-log); empty: linear
};

// Latency over two axes (row-major: values[i * cols + j] at (a_i, b_j)).
class LogGrid2 {
public:
    LogGrid2() = default;
    // Cubic: PCHIP along b within each row, then PCHIP along a through the rows around the point (exact
    // 1-D PCHIP on every grid line, monotone along a).
    LogGrid2(LogAxis a, LogAxis b, std::span<const double> values, Interp interp = Interp::kLinear);

    bool empty() const { return a_.size() == 0; }
    double eval(double a, double b, bool* outside) const;
    const LogAxis& axis_a() const { return a_; }
    const LogAxis& axis_b() const { return b_; }
    double value_at(std::size_t i, std::size_t j) const;

private:
    double row_at(std::size_t row, const LogAxis::Where& wb) const;
    LogAxis a_, b_;
    std::vector<double> logv_;
    std::vector<double> b_slopes_;  // PCHIP slopes along b per row (log-log); empty: linear
};

// Fills the missing cells (NaN) of a row-major grid with estimate_cell_log from the measured cells only
// (`axes`: the axis points of each dimension). Cells no axis brackets stay NaN. Returns the number filled.
std::size_t fill_missing_cells(std::span<const std::span<const double>> axes, std::span<double> values,
                               Interp interp, Combine combine = Combine::kMedian);

// Replaces every value by the smallest value at or after it (running minimum from the end): the lowest
// non-decreasing bound. For collectives over message size: a message of s elements can always be sent
// padded to a larger measured size, so a measurement above a larger size's is noise (an isolated spike).
void nondecreasing_envelope(std::span<double> values);

// Fills the missing cells (NaN) of a row-major rows x cols grid along the row axis: a missing cell takes
// the nearest measured cell below it in the same column scaled by (a / a_below)^exponent (the roofline
// law on that axis), or, with none below, the nearest above unscaled. Columns with no measured cell are
// left NaN. Returns the number of cells filled.
std::size_t fill_missing_along_rows(std::span<const double> row_points, std::size_t cols, double exponent,
                                    std::span<double> values);

}  // namespace dynosim::sim::timing
