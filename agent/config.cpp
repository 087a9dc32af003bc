#include "agent/config.hpp"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "framework/metrics.hpp"
#include "sim/scenario/config.hpp"

namespace dynosim::agent {

namespace {

class Reader {
public:
    Reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}
    std::vector<std::string> problems;

    std::string where(const toml::node* n) const {
        return n ? fmt::format("{}:{}", source_, n->source().begin.line) : source_;
    }
    void bad(const toml::node* n, const std::string& key, const std::string& what) {
        problems.push_back(fmt::format("{}: {}: {}", where(n), key, what));
    }
    const toml::table* table(const std::string& name) {
        const toml::node* n = root_.get(name);
        if (!n) return nullptr;
        if (!n->is_table()) {
            bad(n, name, "must be a table");
            return nullptr;
        }
        return n->as_table();
    }
    void str(const toml::table* t, const std::string& tname, const std::string& key, std::string& out) {
        if (!t) return;
        const toml::node* n = t->get(key);
        if (!n) return;
        if (auto v = n->value<std::string>()) out = *v;
        else bad(n, tname + "." + key, "must be a string");
    }
    void num(const toml::table* t, const std::string& tname, const std::string& key, double& out, double lo,
             bool lo_open, double hi, const char* rule) {
        if (!t) return;
        const toml::node* n = t->get(key);
        if (!n) return;
        auto v = n->value<double>();
        if (!v) {
            bad(n, tname + "." + key, "must be a number");
            return;
        }
        if ((lo_open ? !(*v > lo) : !(*v >= lo)) || !(*v < hi)) {
            bad(n, fmt::format("{}.{} = {}", tname, key, *v), fmt::format("must be {}", rule));
            return;
        }
        out = *v;
    }
    void integer(const toml::table* t, const std::string& tname, const std::string& key, std::int64_t& out,
                 std::int64_t lo) {
        if (!t) return;
        const toml::node* n = t->get(key);
        if (!n) return;
        auto v = n->value<std::int64_t>();
        if (!v || !n->is_integer()) {
            bad(n, tname + "." + key, "must be an integer");
            return;
        }
        if (*v < lo) {
            bad(n, fmt::format("{}.{} = {}", tname, key, *v), fmt::format("must be >= {}", lo));
            return;
        }
        out = *v;
    }
    void strings(const toml::table* t, const std::string& tname, const std::string& key, std::vector<std::string>& out) {
        if (!t) return;
        const toml::node* n = t->get(key);
        if (!n) return;
        const toml::array* a = n->as_array();
        if (!a) {
            bad(n, tname + "." + key, "must be an array of strings");
            return;
        }
        out.clear();
        for (const auto& e : *a) {
            if (auto v = e.value<std::string>()) out.push_back(*v);
            else bad(&e, tname + "." + key, "must be an array of strings");
        }
    }
    void unknown(const toml::table* t, const std::string& tname, std::initializer_list<const char*> known) {
        if (!t) return;
        for (const auto& [k, v] : *t) {
            bool ok = false;
            for (const char* kk : known) ok = ok || k.str() == kk;
            if (!ok) {
                std::string list;
                for (const char* kk : known) {
                    if (!list.empty()) list += ", ";
                    list += kk;
                }
                bad(&v, tname + "." + std::string(k.str()), "unknown key; known: " + list);
            }
        }
    }
    RunSpec run(const toml::table& t, const std::string& tname) {
        RunSpec r;
        r.where = where(&t);
        unknown(&t, tname, {"scenario", "set"});
        str(&t, tname, "scenario", r.scenario);
        strings(&t, tname, "set", r.set);
        if (r.scenario.empty()) bad(&t, tname + ".scenario", "is required (a scenario file of the workspace)");
        return r;
    }

    const toml::table& root_;
    std::string source_;
};

}  // namespace

AgentConfig parse_agent_config(const std::string& text, const std::string& source) {
    AgentConfig c;
    c.source = source;
    c.text = text;
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw sim::scenario::ConfigError({fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                                      e.source().begin.column, e.description())});
    }
    Reader r(root, source);
    for (const auto& [k, v] : root) {
        static const std::set<std::string> known = {"agent", "plugin", "objective", "constraint", "train", "heldout",
                                                    "budget", "noise", "proposer", "build", "eval"};
        if (!known.count(std::string(k.str())))
            r.bad(&v, std::string(k.str()),
                  "unknown table; known: agent, plugin, objective, constraint, train, heldout, budget, noise, "
                  "proposer, build, eval");
    }
    if (const auto* t = r.table("agent")) {
        r.unknown(t, "agent", {"program", "seed"});
        r.str(t, "agent", "program", c.program);
        std::int64_t seed = static_cast<std::int64_t>(c.seed);
        r.integer(t, "agent", "seed", seed, 0);
        c.seed = static_cast<std::uint64_t>(seed);
    }
    if (const auto* t = r.table("plugin")) {
        r.unknown(t, "plugin", {"kind", "params", "kv_indexer"});
        r.str(t, "plugin", "kind", c.plugin_kind);
        if (c.plugin_kind != "router" && c.plugin_kind != "cache_policy")
            r.bad(t->get("kind"), "plugin.kind = \"" + c.plugin_kind + "\"", "must be router or cache_policy");
        r.strings(t, "plugin", "params", c.plugin_params);
        if (const toml::node* n = t->get("kv_indexer")) {
            if (auto v = n->value<bool>(); v && n->is_boolean()) c.kv_indexer = *v;
            else r.bad(n, "plugin.kv_indexer", "must be true or false");
        }
    }
    if (const auto* t = r.table("objective")) {
        r.unknown(t, "objective", {"metric", "direction"});
        r.str(t, "objective", "metric", c.objective_metric);
        if (!framework::is_metric(c.objective_metric))
            r.bad(t->get("metric"), "objective.metric = \"" + c.objective_metric + "\"",
                  "not a metric (docs/studies.md lists them)");
        std::string dir = "minimize";
        r.str(t, "objective", "direction", dir);
        if (dir != "minimize" && dir != "maximize")
            r.bad(t->get("direction"), "objective.direction = \"" + dir + "\"", "must be minimize or maximize");
        c.maximize = dir == "maximize";
    } else {
        r.bad(nullptr, "objective", "the [objective] table is required (metric, direction)");
    }
    if (const toml::node* n = root.get("constraint")) {
        const toml::array* a = n->as_array();
        if (!a) r.bad(n, "constraint", "must be an array of tables ([[constraint]])");
        for (std::size_t i = 0; a && i < a->size(); ++i) {
            const toml::table* t = (*a)[i].as_table();
            const std::string tn = fmt::format("constraint[{}]", i);
            if (!t) {
                r.bad(&(*a)[i], tn, "must be a table");
                continue;
            }
            r.unknown(t, tn, {"metric", "max", "min"});
            ConstraintSpec cs;
            r.str(t, tn, "metric", cs.metric);
            if (!framework::is_metric(cs.metric)) r.bad(t, tn + ".metric = \"" + cs.metric + "\"", "not a metric");
            double v = 0;
            if (t->get("max")) {
                r.num(t, tn, "max", v, -1e300, false, 1e300, "finite");
                cs.max = v;
            }
            if (t->get("min")) {
                r.num(t, tn, "min", v, -1e300, false, 1e300, "finite");
                cs.min = v;
            }
            if (!cs.max && !cs.min) r.bad(t, tn, "needs max or min");
            c.constraints.push_back(cs);
        }
    }
    if (const toml::node* n = root.get("train")) {
        const toml::array* a = n->as_array();
        if (!a) r.bad(n, "train", "must be an array of tables ([[train]])");
        for (std::size_t i = 0; a && i < a->size(); ++i) {
            if (const toml::table* t = (*a)[i].as_table()) c.train.push_back(r.run(*t, fmt::format("train[{}]", i)));
            else r.bad(&(*a)[i], fmt::format("train[{}]", i), "must be a table");
        }
    }
    if (c.train.empty()) r.bad(nullptr, "train", "at least one [[train]] run (scenario, set) is required");
    if (const auto* t = r.table("heldout")) c.heldout = r.run(*t, "heldout");
    else r.bad(nullptr, "heldout", "the [heldout] run (scenario, set) is required");
    if (const auto* t = r.table("budget")) {
        r.unknown(t, "budget", {"iterations", "wall_s"});
        r.integer(t, "budget", "iterations", c.iterations, 1);
        r.num(t, "budget", "wall_s", c.wall_s, 0, false, 1e300, ">= 0");
    }
    if (c.iterations < 1) r.bad(nullptr, "budget.iterations", "is required (>= 1)");
    if (const auto* t = r.table("noise")) {
        r.unknown(t, "noise", {"margin"});
        r.num(t, "noise", "margin", c.noise_margin, 0, false, 1, "in [0, 1)");
    }
    if (const auto* t = r.table("proposer")) {
        r.unknown(t, "proposer", {"kind", "command", "timeout_s", "history", "files"});
        r.str(t, "proposer", "kind", c.proposer);
        r.str(t, "proposer", "command", c.proposer_command);
        r.num(t, "proposer", "timeout_s", c.proposer_timeout_s, 0, true, 1e300, "> 0");
        r.integer(t, "proposer", "history", c.history_rows, 0);
        r.strings(t, "proposer", "files", c.mutate_files);
        if (c.proposer != "mutator" && c.proposer != "command")
            r.bad(t->get("kind"), "proposer.kind = \"" + c.proposer + "\"", "must be mutator or command");
        if (c.proposer == "command" && c.proposer_command.empty())
            r.bad(t, "proposer.command", "is required when proposer.kind = \"command\"");
    }
    if (const auto* t = r.table("build")) {
        r.unknown(t, "build", {"timeout_s"});
        r.num(t, "build", "timeout_s", c.build_timeout_s, 0, true, 1e300, "> 0");
    }
    if (const auto* t = r.table("eval")) {
        r.unknown(t, "eval", {"timeout_s"});
        r.num(t, "eval", "timeout_s", c.eval_timeout_s, 0, true, 1e300, "> 0");
    }
    if (!r.problems.empty()) throw sim::scenario::ConfigError(r.problems);
    return c;
}

AgentConfig load_agent_config(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw sim::scenario::ConfigError({fmt::format("{}: cannot read the agent config", path.string())});
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_agent_config(ss.str(), path.string());
}

}  // namespace dynosim::agent
