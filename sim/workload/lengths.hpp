// Token-length distributions for generated prompts, outputs and session turn counts: fixed, uniform,
// lognormal (clamped), empirical (the lengths of a recorded trace) and an explicit probability table.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"

namespace dynosim::sim::workload {

struct LengthDistOptions {
    // Distribution: "fixed", "uniform", "lognormal", "empirical" or "table". Default "fixed".
    std::string kind = "fixed";
    // fixed: the value (tokens or turns), >= 1. Default 512.
    std::int32_t value = 512;
    // uniform: smallest value (inclusive); lognormal: lower clamp. >= 1. Default 1.
    std::int32_t min = 1;
    // uniform: largest value (inclusive); lognormal: upper clamp. >= min. Default 131072.
    std::int32_t max = 131072;
    // lognormal: mean of the (unclamped) distribution, tokens, > 0. Default 512.
    double mean = 512;
    // lognormal: standard deviation of log(length), >= 0; 0 means "derive it from cv". Default 0.
    double sigma = 0;
    // lognormal: coefficient of variation (stddev / mean), > 0, used when sigma == 0. Default 1.
    double cv = 1.0;
    // empirical: trace file whose lengths are sampled (input lengths for an input distribution, output
    // lengths for an output one; when input and output name the same trace a request's pair is drawn
    // together, keeping their correlation). Required for empirical.
    std::string path{};
    // empirical: trace format as in LoadOptions::format ("auto", "mooncake", "azure"). Default "auto".
    std::string format = "auto";
    // table: value -> probability (weights, normalized; >= 0, at least one > 0). Values >= 1.
    std::map<std::int32_t, double> table{};

    // Messages `<prefix>.<field> = <value>: <rule>`; empty when valid.
    std::vector<std::string> validate(const std::string& prefix) const;
};

// A built distribution. Empirical samplers hold their values, loaded once by the caller.
class LengthSampler {
  public:
    LengthSampler() = default;
    // `empirical_values` is used (and must be non-empty) only when opts.kind == "empirical".
    LengthSampler(const LengthDistOptions& opts, std::vector<std::int32_t> empirical_values = {});

    std::int32_t sample(core::Rng& rng) const;
    bool is_empirical() const { return kind_ == Kind::Empirical; }
    std::size_t empirical_size() const { return values_.size(); }
    std::int32_t empirical_at(std::size_t i) const { return values_[i]; }
    // The distribution's mean; for lognormal, the unclamped mean clamped into [min, max] (approximate).
    double mean() const;

  private:
    enum class Kind { Fixed, Uniform, Lognormal, Empirical, Table };
    Kind kind_ = Kind::Fixed;
    std::int32_t value_ = 1, min_ = 1, max_ = 1;
    double mu_ = 0, sigma_ = 0;
    std::vector<std::int32_t> values_;  // empirical values, or table values
    std::vector<double> cdf_;           // table: cumulative weights
};

}  // namespace dynosim::sim::workload
