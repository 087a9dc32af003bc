// The research loop. Each iteration: branch agent/try-N from agent/best; ask the proposer for a change;
// apply it; build the plugin in a scratch build dir (timeout); evaluate it on the training runs with fixed
// seeds, each run in a forked child; keep it when it beats the incumbent by more than the noise margin and
// breaks no SLA constraint (commit on agent/try-N, fast-forward agent/best, tag agent/iter-N), otherwise
// record it and drop the branch. At the end (budget in iterations or wall time), the start and the best
// are built from their commits and judged on the held-out run.
//
// Crash safety: the repository changes only by whole steps and results.tsv is written between them, so
// after a kill `resume` finds either agent/best with a clean tree (between iterations) or HEAD on an
// agent/try-N branch (inside one). It then resets to agent/best (dropping the half-applied change),
// deletes stale try branches, re-applies a keep that was recorded but not yet fast-forwarded, and goes on
// with the next unrecorded iteration.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/evaluation.hpp"
#include "agent/workspace.hpp"

namespace dynosim::agent {

struct LoopOptions {
    bool resume = false;                              // false: refuse a workspace that already has history
    bool final_heldout = true;                        // judge start and best on the held-out run at the end
    std::function<void(const std::string&)> log;      // progress lines (may be empty)
};

struct LoopReport {
    std::int64_t iterations_run = 0;   // in this invocation
    std::int64_t kept = 0;             // in this invocation
    std::string stop_reason;           // "iteration budget (20) reached", "wall-time budget (60 s) reached"
    std::string start_commit, best_commit;
    double start_objective = 0, best_objective = 0;  // training objective
    std::optional<Score> start_heldout, best_heldout;
};

// Throws (GitError, InputError, ConfigError, ProposerError) on bad input or a failing proposer, leaving the
// repository on agent/best with a clean tree and every finished iteration recorded.
LoopReport run_loop(Workspace& ws, const LoopOptions& o);

// Builds `commit` from its own tree (in .agent/<label>/) and scores it on `runs`.
Score score_commit(Workspace& ws, const std::string& commit, const std::string& label, const std::vector<RunSpec>& runs);

// "report" text: training and held-out objective of start and best.
std::string format_report(const Workspace& ws, const LoopReport& r);

}  // namespace dynosim::agent
