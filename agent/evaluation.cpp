#include "agent/evaluation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "framework/evaluator.hpp"
#include "plugins/adapters.hpp"

namespace dynosim::agent {

namespace {
std::string toml_list(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& e : v) {
        std::string q;
        for (char ch : e) q += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
        if (s.size() > 1) s += ", ";
        s += fmt::format("\"{}\"", q);
    }
    return s + "]";
}
std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    if (!in) throw sim::core::InputError(fmt::format("{}: cannot read the scenario", p.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

std::vector<std::string> plugin_overrides(const AgentConfig& c, const std::filesystem::path& library) {
    const std::string lib = std::filesystem::absolute(library).string();
    if (c.plugin_kind == "cache_policy")
        return {"engine.cache_policy=\"plugin\"", fmt::format("engine.cache_policy_plugin=\"{}\"", lib),
                "engine.cache_policy_plugin_params=" + toml_list(c.plugin_params)};
    return {"router.policy=\"plugin\"", fmt::format("router.plugin=\"{}\"", lib),
            "router.plugin_params=" + toml_list(c.plugin_params),
            fmt::format("router.plugin_kv_indexer={}", c.kv_indexer ? "true" : "false")};
}

Score evaluate_policy(const AgentConfig& c, const std::filesystem::path& workspace,
                      const std::filesystem::path& library, const std::vector<RunSpec>& runs) {
    plugins::install_plugin_factories();  // the forked children resolve "plugin" through these
    Score s;
    s.constraints.assign(c.constraints.size(), -std::numeric_limits<double>::infinity());
    std::uint64_t id = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const RunSpec& run = runs[i];
        framework::EvaluatorOptions o;
        const std::filesystem::path scen = workspace / run.scenario;
        o.scenario_text = read_file(scen);
        o.scenario_source = scen.string();
        o.base_dir = workspace;
        // The agent's seed first: a run may pin its own sim.seed in its `set`.
        o.base_overrides = {fmt::format("sim.seed={}", c.seed)};
        o.base_overrides.insert(o.base_overrides.end(), run.set.begin(), run.set.end());
        const auto plug = plugin_overrides(c, library);
        o.base_overrides.insert(o.base_overrides.end(), plug.begin(), plug.end());
        o.process_isolation = true;
        o.trial_timeout_s = c.eval_timeout_s;
        const framework::EvalResult r = framework::evaluate_trial_forked(o, {id++, {}});
        s.seconds += r.wall_s;
        if (!r.ok) {
            s.error = fmt::format("{} ({}): {}", run.scenario, run.where, r.error);
            return s;
        }
        const auto it = r.metrics.find(c.objective_metric);
        const double v = it == r.metrics.end() ? std::nan("") : it->second;
        if (!std::isfinite(v)) {
            s.error = fmt::format("{} ({}): objective {} is not a finite number", run.scenario, run.where, c.objective_metric);
            return s;
        }
        s.per_run.push_back(v);
        s.metrics.push_back(r.metrics);
        for (std::size_t k = 0; k < c.constraints.size(); ++k) {
            const ConstraintSpec& cs = c.constraints[k];
            const double m = r.metrics.count(cs.metric) ? r.metrics.at(cs.metric) : std::nan("");
            double viol = -std::numeric_limits<double>::infinity();
            if (cs.max) viol = std::max(viol, (m - *cs.max) / std::max(std::abs(*cs.max), 1.0));
            if (cs.min) viol = std::max(viol, (*cs.min - m) / std::max(std::abs(*cs.min), 1.0));
            if (!std::isfinite(m)) viol = std::numeric_limits<double>::infinity();
            s.constraints[k] = std::max(s.constraints[k], viol);
            if (viol > 0 && s.broken.empty())
                s.broken = cs.max && !(m <= *cs.max)
                               ? fmt::format("{} = {:.4g} > max {} ({})", cs.metric, m, *cs.max, run.where)
                               : fmt::format("{} = {:.4g} < min {} ({})", cs.metric, m, cs.min.value_or(0), run.where);
        }
    }
    double sum = 0;
    for (double v : s.per_run) sum += v;
    s.objective = sum / static_cast<double>(s.per_run.size());
    s.ok = true;
    return s;
}

bool improves(const AgentConfig& c, double cand, double inc) {
    const double need = c.noise_margin * std::abs(inc);
    return c.maximize ? cand > inc + need : cand < inc - need;
}

}  // namespace dynosim::agent
