// The loop's record in the workspace. results.tsv: one row per iteration (0 = the starting policy),
// tab-separated: iteration, commit ("-" unless kept), objective (mean over the training runs; "-" when
// none), the objective per training run (";"), verdict, build seconds, evaluation seconds, description.
// Verdicts: baseline, keep, discard (not better by the noise margin), infeasible (an SLA constraint
// broke), build_failed, crashed (a run failed: signal, timeout, plugin error), invalid (the proposal did
// not apply), no_change. Each row is appended and flushed as soon as its iteration ends. The study SQLite
// (agent.sqlite, the framework's storage) gets the same trials with every metric.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dynosim::agent {

struct HistoryRow {
    std::int64_t iteration = 0;
    std::string commit = "-";
    std::optional<double> objective;
    std::vector<double> per_run;
    std::string verdict;
    double build_s = 0, eval_s = 0;
    std::string description;
};

// Reads results.tsv (empty when missing). InputError naming file:line for a malformed row.
std::vector<HistoryRow> read_history(const std::filesystem::path& tsv);
// Appends one row (writes the header first when the file is new), flushed.
void append_history(const std::filesystem::path& tsv, const std::string& metric, const HistoryRow& row);
// The header and the rows, aligned for a terminal (`dynosim agent log`); `last` > 0 keeps the last rows.
std::string format_history(const std::vector<HistoryRow>& rows, const std::string& metric, std::size_t last = 0);
// The header line and the last `n` rows as TSV (what a proposer reads).
std::string history_tail_tsv(const std::filesystem::path& tsv, std::size_t n);

}  // namespace dynosim::agent
