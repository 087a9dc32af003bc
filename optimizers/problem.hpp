// What every optimizer is handed and gives back: the search space (typed dimensions with bounds and
// conditions), a Point in it, a finished Trial (objectives to minimize and signed constraint values), and
// the Problem (space, counts, a-priori constraints, seed, budget). The framework builds these from a study
// file; optimizers never see config keys or the simulator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace dynosim::optimizers {

enum class DimKind { Int, Float, Categorical, Bool };
std::string_view to_string(DimKind k);

// A dimension is active only when its parent dimension holds one of `values` (encoded, see Point).
struct Condition {
    std::size_t parent = 0;      // index of the parent dimension; must come before this one
    std::vector<double> values;  // encoded parent values that activate this dimension
};

struct Dimension {
    std::string name;             // for messages and reports (the framework uses the config key)
    DimKind kind = DimKind::Float;
    // Int/Float: inclusive bounds, low <= high. Categorical: 0 .. choices-1. Bool: 0 .. 1.
    double low = 0, high = 1;
    // Int/Float only: search the range in log space (both bounds > 0).
    bool log = false;
    std::optional<Condition> condition;

    bool discrete() const { return kind != DimKind::Float; }
    // Number of distinct values (0 for a float dimension).
    double cardinality() const;
};

// A point holds one encoded value per dimension: Int and Float the value itself, Categorical the choice
// index, Bool 0 or 1. Values of inactive dimensions are meaningless; canonical() sets them to `low` so that
// two points that configure the same deployment compare equal.
using Point = std::vector<double>;

class Space {
public:
    Space() = default;
    explicit Space(std::vector<Dimension> dims);
    const std::vector<Dimension>& dims() const { return dims_; }
    std::size_t size() const { return dims_.size(); }
    bool empty() const { return dims_.empty(); }

    bool active(const Point& p, std::size_t i) const;
    // Clamped to bounds, rounded where discrete, inactive dimensions at `low`.
    Point canonical(Point p) const;
    // The unit-cube coordinate of a value (log dimensions are linear in log space) and back. Decoding a
    // discrete dimension rounds: the cube is cut into equal cells, one per value.
    double to_unit(std::size_t i, double v) const;
    double from_unit(std::size_t i, double u) const;
    std::vector<double> to_unit(const Point& p) const;
    Point from_unit(const std::vector<double>& u) const;  // canonical
    // Every value of a discrete dimension, or `levels` evenly spaced ones (log-spaced for log dimensions;
    // a discrete dimension with more values than `levels` is thinned the same way).
    std::vector<double> levels(std::size_t i, std::size_t levels) const;
    // Product of cardinalities (inf when a float dimension exists); an upper bound on distinct points.
    double cardinality() const;

private:
    std::vector<Dimension> dims_;
};

enum class TrialStatus { Feasible, Infeasible, Failed };
std::string_view to_string(TrialStatus s);

struct Trial {
    std::uint64_t id = 0;  // ask order, from 0
    Point x;
    TrialStatus status = TrialStatus::Failed;
    // Objective values in minimization form (the framework negates maximized metrics). Empty when failed
    // or when the point broke an a-priori constraint and was never simulated.
    std::vector<double> objectives;
    // One signed value per constraint: <= 0 satisfied, > 0 violated by that much (relative units).
    std::vector<double> constraints;

    bool feasible() const { return status == TrialStatus::Feasible; }
    bool has_objectives() const { return !objectives.empty(); }
    // Total violation: sum of positive constraint values; +inf for a failed trial (worst of all).
    double violation() const;
};

struct Problem {
    Space space;
    std::size_t num_objectives = 1;
    std::size_t num_constraints = 0;  // outcome constraints carried by each Trial
    // Violation of the constraints known before simulating (cross-dimension rules), 0 when satisfied.
    // Optimizers that generate candidates skip points with a positive value; may be empty (none).
    std::function<double(const Point&)> known_violation;
    // Where to start local methods (the base scenario's values where they lie in the space); may be empty.
    Point start;
    std::uint64_t seed = 0;
    // The number of trials the study will ask for (a hint for designs and population sizes), >= 1.
    std::size_t budget = 1;

    bool known_ok(const Point& p) const { return !known_violation || known_violation(p) <= 0; }
};

}  // namespace dynosim::optimizers
