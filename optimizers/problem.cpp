#include "optimizers/problem.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dynosim::optimizers {

std::string_view to_string(DimKind k) {
    switch (k) {
    case DimKind::Int: return "int";
    case DimKind::Float: return "float";
    case DimKind::Categorical: return "categorical";
    case DimKind::Bool: return "bool";
    }
    return "?";
}

std::string_view to_string(TrialStatus s) {
    switch (s) {
    case TrialStatus::Feasible: return "feasible";
    case TrialStatus::Infeasible: return "infeasible";
    case TrialStatus::Failed: return "failed";
    }
    return "?";
}

double Dimension::cardinality() const {
    if (kind == DimKind::Float) return std::numeric_limits<double>::infinity();
    return high - low + 1;
}

double Trial::violation() const {
    if (status == TrialStatus::Failed) return std::numeric_limits<double>::infinity();
    double v = 0;
    for (double g : constraints)
        if (g > 0) v += g;
    return v;
}

Space::Space(std::vector<Dimension> dims) : dims_(std::move(dims)) {
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        const Dimension& d = dims_[i];
        if (!(d.low <= d.high)) throw std::invalid_argument("dimension " + d.name + ": low > high");
        if (d.log && (d.low <= 0 || (d.discrete() && d.kind != DimKind::Int)))
            throw std::invalid_argument("dimension " + d.name + ": log scale needs positive numeric bounds");
        if (d.condition && d.condition->parent >= i)
            throw std::invalid_argument("dimension " + d.name + ": condition must name an earlier dimension");
    }
}

bool Space::active(const Point& p, std::size_t i) const {
    const auto& c = dims_[i].condition;
    if (!c) return true;
    if (!active(p, c->parent)) return false;
    const double v = p[c->parent];
    return std::any_of(c->values.begin(), c->values.end(), [&](double a) { return std::abs(a - v) < 1e-9; });
}

Point Space::canonical(Point p) const {
    p.resize(dims_.size(), 0.0);
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        const Dimension& d = dims_[i];
        double v = std::isfinite(p[i]) ? p[i] : d.low;
        v = std::clamp(v, d.low, d.high);
        if (d.discrete()) v = std::round(v);
        p[i] = v;
    }
    // A second pass: activity depends on the (now canonical) parents.
    for (std::size_t i = 0; i < dims_.size(); ++i)
        if (!active(p, i)) p[i] = dims_[i].low;
    return p;
}

double Space::to_unit(std::size_t i, double v) const {
    const Dimension& d = dims_[i];
    if (d.discrete()) {
        // Centre of the value's cell, so from_unit(to_unit(v)) == v.
        const double n = d.cardinality();
        if (d.log && d.kind == DimKind::Int) {
            const double lo = std::log(d.low), hi = std::log(d.high + 1);
            return std::clamp((std::log(v + 0.5) - lo) / (hi - lo), 0.0, 1.0);
        }
        return std::clamp((v - d.low + 0.5) / n, 0.0, 1.0);
    }
    if (d.high == d.low) return 0.5;
    if (d.log) return std::clamp((std::log(v) - std::log(d.low)) / (std::log(d.high) - std::log(d.low)), 0.0, 1.0);
    return std::clamp((v - d.low) / (d.high - d.low), 0.0, 1.0);
}

double Space::from_unit(std::size_t i, double u) const {
    const Dimension& d = dims_[i];
    u = std::clamp(std::isfinite(u) ? u : 0.5, 0.0, 1.0);
    if (d.discrete()) {
        if (d.log && d.kind == DimKind::Int) {
            // Log cells: [low, high+1) in log space, floor to the integer below.
            const double lo = std::log(d.low), hi = std::log(d.high + 1);
            return std::clamp(std::floor(std::exp(lo + u * (hi - lo))), d.low, d.high);
        }
        return std::clamp(d.low + std::floor(u * d.cardinality()), d.low, d.high);
    }
    if (d.log) return std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low)));
    return d.low + u * (d.high - d.low);
}

std::vector<double> Space::to_unit(const Point& p) const {
    std::vector<double> u(dims_.size());
    for (std::size_t i = 0; i < dims_.size(); ++i) u[i] = to_unit(i, p[i]);
    return u;
}

Point Space::from_unit(const std::vector<double>& u) const {
    Point p(dims_.size());
    for (std::size_t i = 0; i < dims_.size(); ++i) p[i] = from_unit(i, u[i]);
    return canonical(std::move(p));
}

std::vector<double> Space::levels(std::size_t i, std::size_t levels) const {
    const Dimension& d = dims_[i];
    std::vector<double> out;
    if (d.discrete() && d.cardinality() <= static_cast<double>(levels)) {
        for (double v = d.low; v <= d.high; v += 1) out.push_back(v);
        return out;
    }
    levels = std::max<std::size_t>(levels, 2);
    for (std::size_t k = 0; k < levels; ++k) {
        const double t = static_cast<double>(k) / static_cast<double>(levels - 1);
        double v = d.log ? std::exp(std::log(d.low) + t * (std::log(d.high) - std::log(d.low)))
                         : d.low + t * (d.high - d.low);
        if (d.discrete()) v = std::round(v);
        if (out.empty() || std::abs(out.back() - v) > 1e-12) out.push_back(v);
    }
    return out;
}

double Space::cardinality() const {
    double c = 1;
    for (const auto& d : dims_) c *= d.cardinality();
    return c;
}

}  // namespace dynosim::optimizers
