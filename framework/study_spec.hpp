// A study file (TOML), read and checked: the base scenario (a file or an inline [scenario] table, plus
// `set` overrides), the search space ([[dimension]]: a scenario config key, a type, bounds or values, an
// optional `when` condition), constraints ([[constraint]]: an a-priori `expr` over dimensions and config
// values, or an outcome bound `metric` <= max / >= min, the SLA), objectives ([[objective]]: a metric and a
// direction), the optimizer and its options, budget, seed, parallelism, isolation and replicates. Every
// problem is reported at once as a ConfigError naming file:line, field, value and rule.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "optimizers/options.hpp"
#include "optimizers/problem.hpp"

namespace dynosim::framework {

struct DimensionSpec {
    std::string key;  // a scenario config key (`dynosim config defaults` lists them)
    optimizers::DimKind kind = optimizers::DimKind::Int;
    double low = 0, high = 0;  // int/float bounds (inclusive)
    bool log = false;          // int/float: search in log space
    // categorical: each value as a TOML literal (what the override writes) and as shown in tables
    std::vector<std::string> literals, labels;
    // active only when the dimension `when_key` (declared earlier) holds one of `when_labels`
    std::string when_key;
    std::vector<std::string> when_labels;
    std::string where;  // file:line
};

struct ConstraintSpec {
    std::string expr;             // a-priori (checked before simulating); empty for an outcome constraint
    std::string metric;           // outcome constraint: metric name (see metrics.hpp)
    std::optional<double> max, min;
    std::string where;
};

struct ObjectiveSpec {
    std::string metric;
    bool maximize = false;
    std::optional<double> reference;  // hypervolume reference in the metric's units; default: see pareto.hpp
    std::string where;
};

struct StudySpec {
    std::string name;                 // [study] name; default: the file's stem
    std::string source;               // the study file path (or a name for text)
    std::string text;                 // the study file itself, stored with the study
    std::string scenario_text;        // the base scenario's TOML
    std::string scenario_source;      // where it came from, for error messages
    std::filesystem::path base_dir;   // relative paths in the scenario resolve here
    std::vector<std::string> scenario_overrides;  // [study] set = ["key=value", ...]
    std::vector<DimensionSpec> dimensions;
    std::vector<ConstraintSpec> constraints;
    std::vector<ObjectiveSpec> objectives;
    std::string optimizer = "random";
    // [optimizer] plugin = "path.so" (name "plugin"): an optimizer plugin (docs/plugins.md); a relative path
    // is taken from the study file's folder (stored resolved). [optimizer.options] become its parameters.
    std::string optimizer_plugin;
    optimizers::OptionMap optimizer_options;
    std::string optimizer_where;
    // Trials to run, including points rejected by a-priori constraints. Range >= 1. Required.
    std::int64_t budget = 0;
    // Seed of the optimizer's random choices. The scenario keeps its own sim.seed. Default 0.
    std::uint64_t seed = 0;
    // Trials run at once; 0 = all hardware threads. Range >= 0. Default 0.
    std::int64_t parallelism = 0;
    // "none": trials run as threads of this process; "process": each trial in a forked child, so a crash
    // fails that trial alone. Default none.
    std::string isolation = "none";
    // Runs per trial with seeds sim.seed, sim.seed + 1, ...; metrics are averaged. Range >= 1. Default 1.
    std::int64_t replicates = 1;
    // [study] traces = ["a.jsonl", "b.jsonl"]: replicate every trial over these traces too (each run with
    // workload.kind = "trace" and workload.path = the trace; `replicates` seeds on each); metrics are the
    // mean over all runs. Paths relative to the study file's folder, or "data:...". Default: none (the base
    // scenario's workload).
    std::vector<std::string> traces;
    // Process isolation: kill a trial after this many wall seconds (0 = never). Range >= 0. Default 0.
    double trial_timeout_s = 0;
    // Price of one GPU-hour for the `cost` metric (e.g. USD). Range >= 0. Default 2.0 (an illustrative
    // on-demand H100 price; set your own).
    double cost_per_gpu_hour = 2.0;

    std::size_t outcome_constraints() const;
};

// Parses and validates; throws sim::scenario::ConfigError listing every problem with file:line.
// The study file's inline [scenario] table as scenario text with the study file's line numbers: lines outside
// it blanked, `[scenario.x]` headers written `[x]`; nullopt when there is no [scenario] table or that text
// does not parse to the same table.
std::optional<std::string> inline_scenario_text(const std::string& study_text);
StudySpec parse_study(const std::string& text, const std::string& source, const std::filesystem::path& base_dir);
StudySpec load_study(const std::filesystem::path& path);

}  // namespace dynosim::framework
