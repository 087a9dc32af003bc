// Judges a built policy: runs each scenario of a run list (the training runs, or the held-out one) with the
// plugin in a forked child per run (the framework's process-isolated trial: a crash or a hang fails the
// candidate, not the agent), with sim.seed fixed to the agent's seed, and reduces the metrics to the
// objective (mean over runs) and the SLA constraints (each must hold on every run).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "framework/metrics.hpp"

namespace dynosim::agent {

struct Score {
    bool ok = false;                              // every run simulated
    std::string error;                            // first failing run's reason
    double objective = 0;                         // mean of the objective metric over the runs
    std::vector<double> per_run;                  // the objective metric per run
    std::vector<framework::MetricMap> metrics;    // per run
    // Per constraint, the worst signed violation over the runs, relative to its bound (<= 0: holds).
    std::vector<double> constraints;
    std::string broken;                           // "itl.p90 = 52.1 > max 40 (train[0])", first broken one
    double seconds = 0;

    bool feasible() const { return ok && broken.empty(); }
};

// The overrides that plug `library` into a scenario as the router or cache policy.
std::vector<std::string> plugin_overrides(const AgentConfig& c, const std::filesystem::path& library);

Score evaluate_policy(const AgentConfig& c, const std::filesystem::path& workspace,
                      const std::filesystem::path& library, const std::vector<RunSpec>& runs);

// True when `cand` beats `inc` by more than the noise margin (relative to |inc|) in the objective's
// direction.
bool improves(const AgentConfig& c, double cand, double inc);

}  // namespace dynosim::agent
