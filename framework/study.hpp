// A study: a StudySpec turned into an optimization problem over the simulator, and the loop that runs
// it. Each point becomes config overrides; points breaking an a-priori constraint are recorded as
// infeasible without simulating; the rest run on the evaluator; every finished trial is written to
// storage, then told to the optimizer. Determinism: trial k is asked only after trials 0..k-P are told
// (P = parallelism, or 1 when the optimizer cannot take pending asks) and tells happen in ask order, so
// the optimizer sees the same history whatever the thread timing: same study file + seed -> same trials.
// Resume replays the stored trials through a fresh optimizer (same asks, stored results) and simulates
// only what is missing, trials left "running" by a kill included.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "framework/evaluator.hpp"
#include "framework/expression.hpp"
#include "framework/study_spec.hpp"
#include "framework/study_storage.hpp"
#include "optimizers/optimizer.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::framework {

class Study {
public:
    explicit Study(StudySpec spec);
    const StudySpec& spec() const { return spec_; }
    const optimizers::Problem& problem() const { return problem_; }
    // The study's optimizer, or another one by name (compare): a built-in's name, "plugin" (the study's
    // optimizer plugin) or the path of an optimizer plugin ending in ".so"; throws ConfigError naming the
    // study file's [optimizer] line for an unknown name or a bad option.
    optimizers::Optimizer make_optimizer(const std::string& name, const optimizers::OptionMap& options,
                                         std::uint64_t seed) const;
    std::vector<std::string> overrides(const optimizers::Point& x) const;
    std::map<std::string, std::string> params(const optimizers::Point& x) const;
    // Total violation of the a-priori constraints (0 = all hold); `which` gets the first one broken.
    double known_violation(const optimizers::Point& x, std::string* which = nullptr) const;
    // Status, objectives and constraints of a record from its metrics (or its error).
    void score(TrialRecord& t) const;
    // The optimizer's view of a stored trial (objectives in minimization form).
    optimizers::Trial to_trial(const TrialRecord& t) const;
    // Objectives in minimization form (maximized metrics negated).
    std::vector<double> minimized(const TrialRecord& t) const;
    std::size_t parallelism() const;
    // A name of an a-priori constraint at point x: a config key (the point's value, else the base's), `gpus`
    // (both pools when disaggregated), gpu.*, model.*.
    ExprValue resolve(const optimizers::Point& x, const std::string& name) const;

private:

    StudySpec spec_;
    optimizers::Problem problem_;
    sim::scenario::ScenarioOptions base_;
    std::map<std::string, std::string> base_values_;  // every config key -> shown value of the base
    std::vector<Expression> known_;                   // a-priori constraints
    std::vector<std::string> known_text_;
    mutable std::mutex model_mu_;
    mutable std::map<std::string, std::map<std::string, double>> model_cache_;
};

// Builds the optimizer of `[optimizer] name = "plugin"` from its shared library (path resolved against the
// study file's folder); installed at startup by a program that links plugins/. Null until then.
// `isolate` (study.isolation = "process"): the plugin runs in a child process of its own, waiting at most
// `timeout_s` (study.trial_timeout_s, 0 = forever) for each answer.
using OptimizerPluginFactory = optimizers::Optimizer (*)(const std::filesystem::path& path,
                                                         const optimizers::Problem& problem,
                                                         const optimizers::OptionMap& options, bool isolate,
                                                         double timeout_s);
void set_optimizer_plugin_factory(OptimizerPluginFactory f);

// Outcomes shared between runs of the same study (compare): the simulator is deterministic, so a point
// simulated once need not be simulated again.
using TrialCache = std::map<optimizers::Point, TrialRecord>;

struct RunOptions {
    std::string optimizer;                // empty: the study's
    optimizers::OptionMap optimizer_options;
    std::optional<std::uint64_t> seed;    // empty: the study's
    std::optional<std::size_t> budget;    // empty: the study's
    TrialCache* cache = nullptr;
    std::function<void(const TrialRecord&)> on_trial;  // after each finished trial is stored
    std::function<void(const EvalRequest&)> before_trial;  // evaluator hook (tests)
    // Points proposed first, before the optimizer's own (warm_start.hpp): a previous front, the running
    // deployment. Empty: none.
    std::vector<optimizers::Point> warm_start;
    // Trials at once in place of the study's parallelism (MPI: the worker ranks). Empty: the study's.
    std::optional<std::size_t> parallelism;
    // Evaluates trials elsewhere (EvaluatorOptions::remote); empty: in this process.
    std::function<EvalResult(const EvalRequest&, std::size_t slot)> remote;
};

// The evaluator settings of a study (scenario, overrides, isolation, replicates, price), threads aside.
EvaluatorOptions study_evaluator_options(const StudySpec& spec);

struct RunSummary {
    std::size_t trials = 0, simulated = 0, reused = 0, rejected = 0;
    bool exhausted = false;  // the optimizer had nothing more to propose before the budget
};

// Runs (or resumes: the storage may already hold trials of this study) until the budget is spent.
RunSummary run_study(const Study& study, StudyStorage& db, const RunOptions& o = {});

// Opens a stored study for resume/show: the study file as stored, with the stored base scenario.
Study study_from_storage(const StudyStorage& db);

}  // namespace dynosim::framework
