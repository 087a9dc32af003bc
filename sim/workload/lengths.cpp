// Token-length distributions (see lengths.hpp).
#include "sim/workload/lengths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace dynosim::sim::workload {

std::vector<std::string> LengthDistOptions::validate(const std::string& prefix) const {
    std::vector<std::string> errs;
    auto err = [&](const std::string& field, const std::string& value, const std::string& rule) {
        errs.push_back(fmt::format("{}.{} = {}: {}", prefix, field, value, rule));
    };
    if (kind == "fixed") {
        if (value < 1) err("value", std::to_string(value), "must be >= 1");
    } else if (kind == "uniform") {
        if (min < 1) err("min", std::to_string(min), "must be >= 1");
        if (max < min) err("max", std::to_string(max), fmt::format("must be >= min ({})", min));
    } else if (kind == "lognormal") {
        if (!(mean > 0) || !std::isfinite(mean)) err("mean", fmt::format("{}", mean), "must be > 0");
        if (!(sigma >= 0) || !std::isfinite(sigma)) err("sigma", fmt::format("{}", sigma), "must be >= 0");
        if (sigma == 0 && (!(cv > 0) || !std::isfinite(cv)))
            err("cv", fmt::format("{}", cv), "must be > 0 when sigma is 0");
        if (min < 1) err("min", std::to_string(min), "must be >= 1");
        if (max < min) err("max", std::to_string(max), fmt::format("must be >= min ({})", min));
    } else if (kind == "empirical") {
        if (path.empty()) err("path", "\"\"", "an empirical distribution needs a trace file");
        if (format != "auto" && format != "mooncake" && format != "azure")
            err("format", fmt::format("\"{}\"", format), "must be one of auto, mooncake, azure");
    } else if (kind == "table") {
        double total = 0;
        for (const auto& [v, p] : table) {
            if (v < 1) err(fmt::format("table.{}", v), fmt::format("{}", p), "values must be >= 1");
            if (!(p >= 0) || !std::isfinite(p))
                err(fmt::format("table.{}", v), fmt::format("{}", p),
                    "probabilities must be finite and >= 0");
            else
                total += p;
        }
        if (!(total > 0))
            err("table", fmt::format("{} entries", table.size()), "needs at least one probability > 0");
    } else {
        err("kind", fmt::format("\"{}\"", kind),
            "must be one of fixed, uniform, lognormal, empirical, table");
    }
    return errs;
}

LengthSampler::LengthSampler(const LengthDistOptions& opts, std::vector<std::int32_t> empirical_values) {
    if (auto errs = opts.validate("length"); !errs.empty()) throw core::InputError(errs.front());
    if (opts.kind == "fixed") {
        kind_ = Kind::Fixed;
        value_ = opts.value;
    } else if (opts.kind == "uniform") {
        kind_ = Kind::Uniform;
        min_ = opts.min;
        max_ = opts.max;
    } else if (opts.kind == "lognormal") {
        kind_ = Kind::Lognormal;
        min_ = opts.min;
        max_ = opts.max;
        // Parameterized by the mean of the lengths, not of their log: mu = ln(mean) - sigma^2 / 2.
        sigma_ = opts.sigma > 0 ? opts.sigma : std::sqrt(std::log1p(opts.cv * opts.cv));
        mu_ = std::log(opts.mean) - 0.5 * sigma_ * sigma_;
    } else if (opts.kind == "empirical") {
        kind_ = Kind::Empirical;
        if (empirical_values.empty())
            throw core::InputError(
                fmt::format("empirical length distribution: trace '{}' has no requests", opts.path));
        values_ = std::move(empirical_values);
    } else {
        kind_ = Kind::Table;
        double total = 0;
        for (const auto& [v, p] : opts.table) {
            if (p <= 0) continue;  // a zero-probability value is never drawn
            total += p;
            values_.push_back(v);
            cdf_.push_back(total);
        }
    }
}

std::int32_t LengthSampler::sample(core::Rng& rng) const {
    switch (kind_) {
        case Kind::Fixed:
            return value_;
        case Kind::Uniform:
            return min_ + static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(max_ - min_) + 1));
        case Kind::Lognormal: {
            const double x = std::round(rng.lognormal(mu_, sigma_));
            return static_cast<std::int32_t>(
                std::clamp(x, static_cast<double>(min_), static_cast<double>(max_)));
        }
        case Kind::Empirical:
            return values_[rng.below(values_.size())];
        case Kind::Table: {
            const double u = rng.uniform() * cdf_.back();
            const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
            const std::size_t i = std::min(static_cast<std::size_t>(it - cdf_.begin()), values_.size() - 1);
            return values_[i];
        }
    }
    return value_;
}

double LengthSampler::mean() const {
    switch (kind_) {
        case Kind::Fixed:
            return value_;
        case Kind::Uniform:
            return 0.5 * (static_cast<double>(min_) + max_);
        case Kind::Lognormal:
            return std::clamp(std::exp(mu_ + 0.5 * sigma_ * sigma_), static_cast<double>(min_),
                              static_cast<double>(max_));
        case Kind::Empirical: {
            double s = 0;
            for (std::int32_t v : values_) s += v;
            return s / static_cast<double>(values_.size());
        }
        case Kind::Table: {
            double s = 0, prev = 0;
            for (std::size_t i = 0; i < values_.size(); ++i) {
                s += values_[i] * (cdf_[i] - prev);
                prev = cdf_[i];
            }
            return s / cdf_.back();
        }
    }
    return 0;
}

}  // namespace dynosim::sim::workload
