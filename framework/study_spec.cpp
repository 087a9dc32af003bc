#include "framework/study_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "framework/expression.hpp"
#include "framework/metrics.hpp"
#include "optimizers/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::framework {

namespace sc = sim::scenario;
using optimizers::DimKind;

std::size_t StudySpec::outcome_constraints() const {
    return static_cast<std::size_t>(
        std::count_if(constraints.begin(), constraints.end(), [](const ConstraintSpec& c) { return c.expr.empty(); }));
}

namespace {

class Reader {
public:
    Reader(std::string source) : source_(std::move(source)) {}
    std::string where(const toml::node& n) const { return fmt::format("{}:{}", source_, n.source().begin.line); }
    void problem(const toml::node& n, const std::string& msg) { problems.push_back(where(n) + ": " + msg); }
    void problem_at(const std::string& where, const std::string& msg) { problems.push_back(where + ": " + msg); }
    // Checks that a table holds only known keys.
    void only(const toml::table& t, const std::string& prefix, const std::vector<std::string>& known) {
        for (const auto& [k, v] : t) {
            const std::string key(k.str());
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string msg = fmt::format("unknown key '{}{}'", prefix, key);
                if (auto s = sc::did_you_mean(key, known); !s.empty()) msg += fmt::format("; did you mean '{}{}'?", prefix, s);
                problem(v, msg);
            }
        }
    }
    std::vector<std::string> problems;
    std::string source_;
};

std::string literal_of(const toml::node& n, std::string& label) {
    if (auto s = n.value_exact<std::string>()) {
        label = *s;
        return fmt::format("\"{}\"", *s);
    }
    if (auto i = n.value_exact<std::int64_t>()) return label = std::to_string(*i);
    if (auto d = n.value_exact<double>()) {
        label = fmt::format("{}", *d);
        std::string lit = label;
        if (lit.find_first_of(".eEn") == std::string::npos) lit += ".0";
        return lit;
    }
    if (auto b = n.value_exact<bool>()) return label = *b ? "true" : "false";
    return {};
}

std::optional<double> number(const toml::node* n) {
    if (!n) return std::nullopt;
    if (auto d = n->value_exact<double>()) return *d;
    if (auto i = n->value_exact<std::int64_t>()) return static_cast<double>(*i);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> inline_scenario_text(const std::string& study_text) {
    std::istringstream in(study_text);
    std::string line, out;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] == '[') {
            const bool array = line.compare(first, 2, "[[") == 0;
            const std::size_t open = first + (array ? 2 : 1);
            const auto close = line.find(']', open);
            if (close == std::string::npos) return std::nullopt;
            std::string name = line.substr(open, close - open);
            name.erase(0, name.find_first_not_of(" \t"));
            name.erase(name.find_last_not_of(" \t") + 1);
            if (name == "scenario") {
                inside = true;
                if (array) return std::nullopt;
                line.clear();
            } else if (name.rfind("scenario.", 0) == 0) {
                inside = true;
                line = line.substr(0, open) + name.substr(9) + line.substr(close);
            } else {
                inside = false;
            }
        }
        out += (inside ? line : std::string()) + "\n";
    }
    try {
        const toml::table study = toml::parse(study_text);
        const toml::table* inline_table = study["scenario"].as_table();
        const toml::table mirrored = toml::parse(out);
        if (!inline_table || !(mirrored == *inline_table)) return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return out;
}

StudySpec parse_study(const std::string& text, const std::string& source, const std::filesystem::path& base_dir) {
    StudySpec spec;
    spec.source = source;
    spec.text = text;
    spec.base_dir = base_dir;
    spec.name = std::filesystem::path(source).stem().string();
    Reader r(source);
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw sc::ConfigError({fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column,
                                           e.description())});
    }
    r.only(root, "", {"study", "scenario", "optimizer", "dimension", "constraint", "objective"});

    // [study]
    const toml::table* st = root["study"].as_table();
    if (!st) {
        r.problems.push_back(source + ": missing [study] table (budget, seed, scenario, ...)");
        throw sc::ConfigError(r.problems);
    }
    r.only(*st, "study.", {"name", "scenario", "set", "budget", "seed", "parallelism", "isolation", "replicates",
                           "trial_timeout_s", "cost_per_gpu_hour", "optimizer", "traces"});
    if (auto v = (*st)["name"].value<std::string>()) spec.name = *v;
    auto int_field = [&](const char* key, std::int64_t& out, std::int64_t min, const std::string& rule) {
        const toml::node* n = st->get(key);
        if (!n) return false;
        auto v = n->value_exact<std::int64_t>();
        if (!v) r.problem(*n, fmt::format("study.{}: expected an integer", key));
        else if (*v < min) r.problem(*n, fmt::format("study.{} = {}: {}", key, *v, rule));
        else out = *v;
        return true;
    };
    if (!int_field("budget", spec.budget, 1, "must be >= 1 (trials to run)"))
        r.problem(*st, "study.budget is missing: how many trials to run (>= 1)");
    std::int64_t seed = 0;
    int_field("seed", seed, 0, "must be >= 0");
    spec.seed = static_cast<std::uint64_t>(seed);
    int_field("parallelism", spec.parallelism, 0, "must be >= 0 (0 = all cores)");
    int_field("replicates", spec.replicates, 1, "must be >= 1");
    if (const toml::node* n = st->get("isolation")) {
        auto v = n->value<std::string>();
        if (!v || (*v != "none" && *v != "process"))
            r.problem(*n, fmt::format("study.isolation = {}: must be \"none\" or \"process\"", v ? *v : "?"));
        else spec.isolation = *v;
    }
    if (const toml::node* n = st->get("trial_timeout_s")) {
        auto v = number(n);
        if (!v || *v < 0) r.problem(*n, "study.trial_timeout_s: must be a number >= 0");
        else spec.trial_timeout_s = *v;
    }
    if (const toml::node* n = st->get("cost_per_gpu_hour")) {
        auto v = number(n);
        if (!v || *v < 0) r.problem(*n, "study.cost_per_gpu_hour: must be a number >= 0");
        else spec.cost_per_gpu_hour = *v;
    }
    if (const toml::node* n = st->get("set")) {
        const toml::array* a = n->as_array();
        if (!a) r.problem(*n, "study.set: expected an array of \"key=value\" strings");
        else
            for (const auto& e : *a) {
                auto s = e.value<std::string>();
                if (!s || s->find('=') == std::string::npos)
                    r.problem(e, "study.set: each entry must be a \"key=value\" string");
                else spec.scenario_overrides.push_back(*s);
            }
    }

    if (const toml::node* n = st->get("traces")) {
        const toml::array* a = n->as_array();
        if (!a || a->empty()) r.problem(*n, "study.traces: expected a non-empty array of trace paths");
        for (std::size_t i = 0; a && i < a->size(); ++i) {
            auto p = (*a)[i].value<std::string>();
            if (!p) {
                r.problem((*a)[i], fmt::format("study.traces[{}]: expected a path string", i));
                continue;
            }
            try {
                const std::filesystem::path path = sc::resolve_path(*p, base_dir);
                if (!std::filesystem::is_regular_file(path))
                    r.problem((*a)[i], fmt::format("study.traces[{}] = \"{}\": no such file ({})", i, *p, path.string()));
                else spec.traces.push_back(path.string());
            } catch (const std::exception& e) {
                r.problem((*a)[i], fmt::format("study.traces[{}] = \"{}\": {}", i, *p, e.what()));
            }
        }
    }

    // Base scenario: a file or an inline table, not both.
    const toml::node* scen_file = st->get("scenario");
    const toml::table* scen_inline = root["scenario"].as_table();
    if (scen_file && scen_inline) r.problem(*scen_file, "study.scenario and an inline [scenario] table: give one");
    if (scen_file) {
        auto p = scen_file->value<std::string>();
        if (!p) {
            r.problem(*scen_file, "study.scenario: expected a path string");
        } else {
            std::filesystem::path path = sc::resolve_path(*p, base_dir);
            try {
                spec.scenario_text = sc::read_text_file(path);
                spec.scenario_source = path.string();
                spec.base_dir = path.parent_path();
            } catch (const std::exception& e) {
                r.problem(*scen_file, fmt::format("study.scenario = \"{}\": {}", *p, e.what()));
            }
        }
    } else if (scen_inline) {
        // Keep the study file's line numbers in the scenario's error messages: the study text with every line
        // outside [scenario] blanked and `[scenario.x]` headers written `[x]`. Layouts this cannot mirror
        // (the result differs from the parsed table) fall back to the serialized table.
        if (auto mirrored = inline_scenario_text(text)) {
            spec.scenario_text = *mirrored;
            spec.scenario_source = source;
        } else {
            std::ostringstream os;
            os << *scen_inline;
            spec.scenario_text = os.str();
            spec.scenario_source = source + " [scenario]";
        }
    } else {
        spec.scenario_source = "<built-in defaults>";
    }
    std::vector<std::string> bind_keys;
    for (const auto& b : sc::scenario_bindings()) bind_keys.push_back(b.key);
    bool base_ok = true;
    try {
        (void)sc::load_scenario_text(spec.scenario_text, spec.scenario_source, spec.scenario_overrides);
    } catch (const sc::ConfigError& e) {
        base_ok = false;
        for (const auto& p : e.problems()) r.problems.push_back("base scenario: " + p);
    } catch (const std::exception& e) {
        base_ok = false;
        r.problems.push_back(fmt::format("base scenario {}: {}", spec.scenario_source, e.what()));
    }

    // [[dimension]]
    std::set<std::string> seen;
    if (const toml::node* dn = root.get("dimension")) {
        const toml::array* arr = dn->as_array();
        if (!arr || !arr->is_array_of_tables()) r.problem(*dn, "dimension: write each as a [[dimension]] table");
        for (std::size_t i = 0; arr && i < arr->size(); ++i) {
            const toml::table* t = (*arr)[i].as_table();
            if (!t) continue;
            DimensionSpec d;
            d.where = r.where(*t);
            r.only(*t, "dimension.", {"key", "type", "min", "max", "log", "values", "when"});
            auto key = (*t)["key"].value<std::string>();
            if (!key) {
                r.problem_at(d.where, "dimension: missing key (a scenario config key, e.g. \"fleet.workers\")");
                continue;
            }
            d.key = *key;
            if (std::find(bind_keys.begin(), bind_keys.end(), d.key) == bind_keys.end()) {
                std::string msg = fmt::format("dimension.key = \"{}\": not a scenario config key", d.key);
                if (auto s = sc::did_you_mean(d.key, bind_keys); !s.empty()) msg += fmt::format("; did you mean '{}'?", s);
                r.problem_at(d.where, msg + " (`dynosim config defaults` lists them)");
                continue;
            }
            if (!seen.insert(d.key).second) {
                r.problem_at(d.where, fmt::format("dimension.key = \"{}\": declared twice", d.key));
                continue;
            }
            const std::string type = (*t)["type"].value_or(std::string("int"));
            const auto lo = number(t->get("min")), hi = number(t->get("max"));
            d.log = (*t)["log"].value_or(false);
            if (type == "int" || type == "float") {
                d.kind = type == "int" ? DimKind::Int : DimKind::Float;
                if (!lo || !hi) {
                    r.problem_at(d.where, fmt::format("dimension {}: type {} needs min and max", d.key, type));
                    continue;
                }
                d.low = *lo;
                d.high = *hi;
                if (d.kind == DimKind::Int && (d.low != std::floor(d.low) || d.high != std::floor(d.high)))
                    r.problem_at(d.where, fmt::format("dimension {}: int bounds must be integers, got [{}, {}]", d.key, d.low, d.high));
                if (d.low > d.high || (d.kind == DimKind::Float && d.low == d.high))
                    r.problem_at(d.where, fmt::format("dimension {}: empty bounds: min = {} must be {} max = {}", d.key,
                                                      d.low, d.kind == DimKind::Int ? "<=" : "<", d.high));
                if (d.log && d.low <= 0)
                    r.problem_at(d.where, fmt::format("dimension {}: log = true needs min > 0, got {}", d.key, d.low));
                if (t->get("values")) r.problem_at(d.where, fmt::format("dimension {}: values belong to categorical dimensions", d.key));
            } else if (type == "categorical" || type == "bool") {
                d.kind = type == "bool" ? DimKind::Bool : DimKind::Categorical;
                if (lo || hi || d.log) r.problem_at(d.where, fmt::format("dimension {}: type {} takes no min/max/log", d.key, type));
                if (d.kind == DimKind::Bool) {
                    d.literals = {"false", "true"};
                    d.labels = {"false", "true"};
                    d.high = 1;
                } else {
                    const toml::array* vals = (*t)["values"].as_array();
                    if (!vals || vals->empty()) {
                        r.problem_at(d.where, fmt::format("dimension {}: categorical needs a non-empty values array", d.key));
                        continue;
                    }
                    for (const auto& v : *vals) {
                        std::string label;
                        const std::string lit = literal_of(v, label);
                        if (lit.empty()) r.problem(v, fmt::format("dimension {}: values must be strings, numbers or bools", d.key));
                        if (std::find(d.labels.begin(), d.labels.end(), label) != d.labels.end())
                            r.problem(v, fmt::format("dimension {}: value {} listed twice", d.key, label));
                        d.literals.push_back(lit);
                        d.labels.push_back(label);
                    }
                    d.high = static_cast<double>(d.literals.size()) - 1;
                }
            } else {
                r.problem_at(d.where, fmt::format("dimension {}: type = \"{}\": must be int, float, categorical or bool", d.key, type));
                continue;
            }
            if (const toml::node* w = t->get("when")) {
                const toml::table* wt = w->as_table();
                auto wk = wt ? (*wt)["key"].value<std::string>() : std::nullopt;
                const toml::array* wv = wt ? (*wt)["values"].as_array() : nullptr;
                if (!wk || !wv) {
                    r.problem(*w, fmt::format("dimension {}: when = {{ key = \"<earlier dimension>\", values = [...] }}", d.key));
                } else {
                    d.when_key = *wk;
                    for (const auto& v : *wv) {
                        std::string label;
                        literal_of(v, label);
                        d.when_labels.push_back(label);
                    }
                    auto parent = std::find_if(spec.dimensions.begin(), spec.dimensions.end(),
                                               [&](const DimensionSpec& p) { return p.key == d.when_key; });
                    if (parent == spec.dimensions.end()) {
                        r.problem(*w, fmt::format("dimension {}: when.key = \"{}\": must name a dimension declared above", d.key, d.when_key));
                    } else {
                        for (const auto& l : d.when_labels) {
                            const bool ok = parent->kind == DimKind::Int
                                                ? true
                                                : std::find(parent->labels.begin(), parent->labels.end(), l) != parent->labels.end();
                            if (!ok) r.problem(*w, fmt::format("dimension {}: when.values: {} is not a value of {}", d.key, l, d.when_key));
                        }
                        if (parent->kind == DimKind::Float)
                            r.problem(*w, fmt::format("dimension {}: when.key must be an int, categorical or bool dimension", d.key));
                    }
                }
            }
            // Every bound and value must be one the scenario accepts (types and ranges of the key).
            if (base_ok) {
                std::vector<std::string> lits;
                if (d.kind == DimKind::Int) lits = {fmt::format("{}", static_cast<std::int64_t>(d.low)), fmt::format("{}", static_cast<std::int64_t>(d.high))};
                else if (d.kind == DimKind::Float) lits = {fmt::format("{:.17g}", d.low), fmt::format("{:.17g}", d.high)};
                else lits = d.literals;
                for (std::string lit : lits) {
                    if (d.kind == DimKind::Float && lit.find_first_of(".eEn") == std::string::npos) lit += ".0";
                    auto ov = spec.scenario_overrides;
                    ov.push_back(d.key + "=" + lit);
                    try {
                        (void)sc::load_scenario_text(spec.scenario_text, spec.scenario_source, ov);
                    } catch (const std::exception& e) {
                        std::string msg = e.what();
                        if (auto* ce = dynamic_cast<const sc::ConfigError*>(&e); ce && !ce->problems().empty()) msg = ce->problems().front();
                        r.problem_at(d.where, fmt::format("dimension {}: value {} is not accepted by the scenario: {}", d.key, lit, msg));
                    }
                }
            }
            spec.dimensions.push_back(std::move(d));
        }
    }
    if (spec.dimensions.empty()) r.problems.push_back(source + ": no [[dimension]]: the search space is empty");

    // [[constraint]]
    if (const toml::node* cn = root.get("constraint")) {
        const toml::array* arr = cn->as_array();
        for (std::size_t i = 0; arr && i < arr->size(); ++i) {
            const toml::table* t = (*arr)[i].as_table();
            if (!t) continue;
            ConstraintSpec c;
            c.where = r.where(*t);
            r.only(*t, "constraint.", {"expr", "metric", "max", "min"});
            c.expr = (*t)["expr"].value_or(std::string());
            c.metric = (*t)["metric"].value_or(std::string());
            c.max = number(t->get("max"));
            c.min = number(t->get("min"));
            if (c.expr.empty() == c.metric.empty()) {
                r.problem_at(c.where, "constraint: give either expr (checked before simulating) or metric with max/min (an SLA)");
                continue;
            }
            if (!c.expr.empty()) {
                try {
                    Expression e(c.expr);
                    for (const auto& n : e.names())
                        if (std::find(bind_keys.begin(), bind_keys.end(), n) == bind_keys.end() &&
                            !(n == "gpus" || n.rfind("model.", 0) == 0 || n.rfind("gpu.", 0) == 0))
                            r.problem_at(c.where, fmt::format("constraint.expr: unknown name '{}' (a config key, gpus, model.*, gpu.*)", n));
                } catch (const std::exception& e) {
                    r.problem_at(c.where, fmt::format("constraint.expr: {}", e.what()));
                }
                if (c.max || c.min) r.problem_at(c.where, "constraint: max/min go with metric, not expr");
            } else {
                if (!is_metric(c.metric)) r.problem_at(c.where, fmt::format("constraint.metric = \"{}\": unknown metric", c.metric));
                if (!c.max && !c.min) r.problem_at(c.where, fmt::format("constraint on {}: needs max or min", c.metric));
            }
            spec.constraints.push_back(std::move(c));
        }
    }

    // [[objective]]
    if (const toml::node* on = root.get("objective")) {
        const toml::array* arr = on->as_array();
        for (std::size_t i = 0; arr && i < arr->size(); ++i) {
            const toml::table* t = (*arr)[i].as_table();
            if (!t) continue;
            ObjectiveSpec o;
            o.where = r.where(*t);
            r.only(*t, "objective.", {"metric", "direction", "reference"});
            o.metric = (*t)["metric"].value_or(std::string());
            const std::string dir = (*t)["direction"].value_or(std::string("minimize"));
            if (dir != "minimize" && dir != "maximize")
                r.problem_at(o.where, fmt::format("objective.direction = \"{}\": must be minimize or maximize", dir));
            o.maximize = dir == "maximize";
            o.reference = number(t->get("reference"));
            if (!is_metric(o.metric)) {
                std::vector<std::string> names;
                for (const auto& [n, doc] : metric_docs()) names.push_back(n);
                std::string msg = fmt::format("objective.metric = \"{}\": unknown metric", o.metric);
                if (auto s = sc::did_you_mean(o.metric, names); !s.empty()) msg += fmt::format("; did you mean '{}'?", s);
                r.problem_at(o.where, msg);
            }
            spec.objectives.push_back(std::move(o));
        }
    }
    if (spec.objectives.empty()) r.problems.push_back(source + ": no [[objective]]: what should the study optimize?");

    auto read_options = [&](const toml::table& opts, const char* what) {
        for (const auto& [k, v] : opts) {
            const std::string key(k.str());
            if (auto b = v.value_exact<bool>()) spec.optimizer_options[key] = *b;
            else if (auto i = v.value_exact<std::int64_t>()) spec.optimizer_options[key] = *i;
            else if (auto d = v.value_exact<double>()) spec.optimizer_options[key] = *d;
            else if (auto s = v.value_exact<std::string>()) spec.optimizer_options[key] = *s;
            else if (const toml::array* a = v.as_array()) {
                std::vector<std::string> list;
                for (const auto& e : *a) list.push_back(e.value_or(std::string()));
                spec.optimizer_options[key] = list;
            } else r.problem(v, fmt::format("{}.{}: unsupported value type", what, key));
        }
    };
    // [optimizer]
    if (const toml::table* ot = root["optimizer"].as_table()) {
        spec.optimizer_where = r.where(*ot);
        r.only(*ot, "optimizer.", {"name", "options", "plugin"});
        spec.optimizer = (*ot)["name"].value_or(std::string("random"));
        spec.optimizer_plugin = (*ot)["plugin"].value_or(std::string());
        if (!spec.optimizer_plugin.empty() && !(*ot)["name"]) spec.optimizer = "plugin";
        if (!spec.optimizer_plugin.empty()) spec.optimizer_plugin = sc::resolve_path(spec.optimizer_plugin, base_dir).string();
        if (spec.optimizer != "plugin" && !optimizers::builtin_optimizers().find(spec.optimizer)) {
            // Reported now, with the other problems of the file, at the line of `name`.
            const auto known = optimizers::builtin_optimizers().names();
            std::string msg = fmt::format("optimizer.name = \"{}\": unknown optimizer", spec.optimizer);
            if (auto sug = sc::did_you_mean(spec.optimizer, known); !sug.empty()) msg += fmt::format("; did you mean '{}'?", sug);
            msg += fmt::format(" (known: {}, plugin)", fmt::join(known, ", "));
            const toml::node* nn = (*ot).get("name");
            r.problem(nn ? *nn : static_cast<const toml::node&>(*ot), msg);
        }
        if (spec.optimizer == "plugin" && spec.optimizer_plugin.empty() && !(*st)["optimizer"]["plugin"])
            r.problem(*ot, "optimizer.name = plugin: set optimizer.plugin to the optimizer's shared library (.so)");
        else if (spec.optimizer != "plugin" && !spec.optimizer_plugin.empty())
            r.problem(*ot, fmt::format("optimizer.plugin = {}: only read when optimizer.name = \"plugin\"",
                                       spec.optimizer_plugin));
        if (const toml::table* opts = (*ot)["options"].as_table()) {
            spec.optimizer_where = r.where(*opts);
            read_options(*opts, "optimizer.options");
        }
    } else {
        spec.optimizer_where = source;
    }
    // [study.optimizer] plugin = "path.so" with [study.optimizer.plugin_params]: the plugin ABI's names for
    // an optimizer plugin (docs/plugins.md); the same as [optimizer] plugin with [optimizer.options].
    if (const toml::node* son = st->get("optimizer")) {
        const toml::table* so = son->as_table();
        if (!so) {
            r.problem(*son, "study.optimizer: expected a table (plugin = \"path.so\", [study.optimizer.plugin_params])");
        } else {
            r.only(*so, "study.optimizer.", {"plugin", "plugin_params"});
            const toml::table* ot = root["optimizer"].as_table();
            auto plugin = (*so)["plugin"].value<std::string>();
            if (!plugin || plugin->empty()) {
                r.problem(*so, "study.optimizer.plugin: expected the optimizer plugin's path (.so)");
            } else if (ot && (*ot)["plugin"]) {
                r.problem(*so, "study.optimizer.plugin and optimizer.plugin: give one");
            } else if (ot && (*ot)["name"] && spec.optimizer != "plugin") {
                r.problem(*so, fmt::format("study.optimizer.plugin = {}: optimizer.name = \"{}\" names another optimizer",
                                           *plugin, spec.optimizer));
            } else {
                spec.optimizer = "plugin";
                spec.optimizer_plugin = sc::resolve_path(*plugin, base_dir).string();
                spec.optimizer_where = r.where(*so);
            }
            if (const toml::node* pn = so->get("plugin_params")) {
                const toml::table* pt = pn->as_table();
                if (!pt) r.problem(*pn, "study.optimizer.plugin_params: expected a table (name = value)");
                else if (ot && (*ot)["options"]) r.problem(*pn, "study.optimizer.plugin_params and optimizer.options: give one");
                else read_options(*pt, "study.optimizer.plugin_params");
            }
        }
    }
    if (!r.problems.empty()) throw sc::ConfigError(r.problems);
    return spec;
}

StudySpec load_study(const std::filesystem::path& path) {
    const std::string text = sc::read_text_file(path);
    return parse_study(text, path.string(), path.parent_path().empty() ? "." : path.parent_path());
}

}  // namespace dynosim::framework
