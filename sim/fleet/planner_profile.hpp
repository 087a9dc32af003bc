// The SLA planner's performance model: one worker's mean TTFT and ITL as functions of its request rate,
// measured by `dynosim profile` on a grid of prompt (ISL) and output (OSL) lengths, as Dynamo's
// pre-deployment profiling measures its engines. The planner asks it for the request rate one worker
// sustains within a TTFT and an ITL target, and for the latency it expects at an observed rate.
//
// File format (text, docs/planner.md): '#' lines are comments; `key = value` lines (only
// `gpus_per_worker`, required, and `format = dynosim-planner-profile-1`, required) come first; then the
// header `isl,osl,rate_rps,ttft_ms,itl_ms` and one row per measured point. Every (isl, osl) pair of the
// grid must be present with at least two rates; values are > 0.
// A file may hold more than one pool (ProfileSet): a line `pool = prefill` or `pool = decode` opens that
// pool's section (its own gpus_per_worker, header and rows, measured on one prefill or one decode worker of
// a disaggregated fleet); the rows before the first such line are the aggregated worker's. A file without
// `pool` lines is the aggregated profile alone, as before.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dynosim::sim::fleet {

struct ProfilePoint {
    double isl = 0, osl = 0, rate_rps = 0, ttft_ms = 0, itl_ms = 0;
};

class PlannerProfile {
public:
    // Parses `text` (read from `source`, named in errors). Throws core::InputError naming source:line.
    static PlannerProfile parse(const std::string& text, const std::string& source);
    static PlannerProfile load(const std::string& path);  // InputError if it cannot be read or parsed
    // The text parse() reads.
    static std::string format(std::int32_t gpus_per_worker, const std::vector<ProfilePoint>& points,
                              const std::string& comment);

    // Requests/s one worker serves with mean TTFT <= ttft_ms and mean ITL <= itl_ms at this ISL/OSL
    // (bilinear over the grid, clamped to its edges). Where even the lowest profiled rate misses a target,
    // that rate scaled by target / measured (latency taken as proportional to load below the profile).
    double capacity_rps(double isl, double osl, double ttft_ms, double itl_ms) const;
    // Mean TTFT and ITL the profile expects at `rate_rps` per worker (interpolated, clamped to the range).
    void expected(double isl, double osl, double rate_rps, double& ttft_ms, double& itl_ms) const;
    std::int32_t gpus_per_worker() const { return gpus_; }
    const std::vector<double>& isls() const { return isls_; }
    const std::vector<double>& osls() const { return osls_; }

    // The grid of one pool's rows; InputError naming `where` when a grid pair lacks two distinct rates.
    static PlannerProfile build(std::int32_t gpus, std::vector<ProfilePoint> pts, const std::string& where);

private:
    struct Curve {  // one (isl, osl) pair, rates ascending
        std::vector<ProfilePoint> pts;
    };
    const Curve& at(std::size_t i, std::size_t j) const { return curves_[i * osls_.size() + j]; }
    static double curve_capacity(const Curve& c, double ttft_ms, double itl_ms);
    static void curve_expected(const Curve& c, double rate, double& ttft, double& itl);
    // Grid cell and weights for (isl, osl).
    void locate(double isl, double osl, std::size_t& i0, std::size_t& i1, double& wi, std::size_t& j0,
                std::size_t& j1, double& wj) const;

    std::int32_t gpus_ = 1;
    std::vector<double> isls_, osls_;
    std::vector<Curve> curves_;
};

// Every pool a profile file holds (absent pools are nullopt).
struct ProfileSet {
    std::optional<PlannerProfile> aggregated, prefill, decode;
    // Throws core::InputError naming source:line (or source and the pool).
    static ProfileSet parse(const std::string& text, const std::string& source);
    static ProfileSet load(const std::string& path);
    // One pool's section (`pool = NAME`, gpus_per_worker, header, rows), appended after PlannerProfile::format.
    static std::string format_pool(const std::string& pool, std::int32_t gpus_per_worker,
                                   const std::vector<ProfilePoint>& points);
};

}  // namespace dynosim::sim::fleet
