// Comparing optimizers on a fixed budget: each optimizer runs `repeats` times (seeds study.seed + r) on the
// same study; after every evaluation the hypervolume of the feasible front so far and the best feasible
// value of the first objective are recorded. Simulated outcomes are shared between runs (the simulator is
// deterministic). When every dimension is discrete and the space has at most `exhaustive_limit` points
// (after conditions and a-priori constraints), all are evaluated for the optimum that each run's result is compared
// with. The reference point is common to all runs: objective references from the study file, else the
// worst feasible value seen anywhere plus 10% of the range (pareto.hpp).
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "framework/study.hpp"

namespace dynosim::framework {

struct CompareOptions {
    std::vector<std::string> optimizers;  // registry names
    std::size_t budget = 0;               // 0 = the study's
    std::size_t repeats = 3;              // >= 1
    std::size_t exhaustive_limit = 2000;  // 0 = never enumerate
    std::filesystem::path out_dir;        // per-run SQLite files; empty = in memory
};

struct CompareRun {
    std::string optimizer;
    std::uint64_t seed = 0;
    std::vector<std::vector<double>> minimized;  // per trial (empty when infeasible/failed)
    std::vector<double> hv;                       // hypervolume after k+1 evaluations
    std::vector<double> best;                     // best feasible first objective (metric units), nan if none
    std::size_t simulated = 0;
};

struct CompareResult {
    std::vector<std::string> objectives;  // "maximize tokens_per_s_per_gpu"
    std::vector<double> reference;        // minimization form
    std::vector<CompareRun> runs;
    std::optional<std::size_t> exhaustive_points;
    double exhaustive_hv = 0;
    double exhaustive_best = 0;
    std::size_t budget = 0;
};

CompareResult compare_optimizers(const Study& study, const CompareOptions& o,
                                 const std::function<void(const std::string&)>& progress = {});
// Median [min, max] over repeats at a few budgets, and the share of the exhaustive hypervolume.
std::string format_compare(const CompareResult& r);
// Rows of cells as text columns: each column as wide as its widest cell, the first left-aligned, the rest
// right-aligned, two spaces between columns.
std::string align_table(const std::vector<std::vector<std::string>>& rows);
// Column labels for config keys: each key's shortest dotted suffix that no other key shares
// ("disagg.prefill.tp", "disagg.decode.tp" -> "prefill.tp", "decode.tp"; "fleet.workers" -> "workers").
std::vector<std::string> key_labels(const std::vector<std::string>& keys);
// Hypervolume (left) and best feasible objective (right) vs evaluations: median line, min-max band.
std::string compare_svg(const CompareResult& r);
std::string compare_csv(const CompareResult& r);

}  // namespace dynosim::framework
