#include "framework/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "framework/warm_start.hpp"
#include "optimizers/registry.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"

namespace dynosim::framework {

namespace sc = sim::scenario;
namespace opt = dynosim::optimizers;

Study::Study(StudySpec spec) : spec_(std::move(spec)) {
    base_ = sc::load_scenario_text(spec_.scenario_text, spec_.scenario_source, spec_.scenario_overrides);
    base_.base_dir = spec_.base_dir;
    for (const auto& b : sc::scenario_bindings()) base_values_[b.key] = b.show(base_);
    std::vector<opt::Dimension> dims;
    for (std::size_t i = 0; i < spec_.dimensions.size(); ++i) {
        const DimensionSpec& d = spec_.dimensions[i];
        opt::Dimension od;
        od.name = d.key;
        od.kind = d.kind;
        od.low = d.low;
        od.high = d.high;
        od.log = d.log;
        if (!d.when_key.empty()) {
            opt::Condition c;
            for (std::size_t p = 0; p < i; ++p)
                if (spec_.dimensions[p].key == d.when_key) c.parent = p;
            const DimensionSpec& parent = spec_.dimensions[c.parent];
            for (const auto& l : d.when_labels) {
                if (parent.kind == opt::DimKind::Int) c.values.push_back(std::stod(l));
                else
                    for (std::size_t k = 0; k < parent.labels.size(); ++k)
                        if (parent.labels[k] == l) c.values.push_back(static_cast<double>(k));
            }
            od.condition = c;
        }
        dims.push_back(od);
    }
    problem_.space = opt::Space(std::move(dims));
    problem_.num_objectives = spec_.objectives.size();
    problem_.num_constraints = spec_.outcome_constraints();
    problem_.seed = spec_.seed;
    problem_.budget = static_cast<std::size_t>(spec_.budget);
    for (const auto& c : spec_.constraints)
        if (!c.expr.empty()) {
            known_.emplace_back(c.expr);
            known_text_.push_back(c.expr);
        }
    if (!known_.empty()) problem_.known_violation = [this](const opt::Point& x) { return known_violation(x); };
    // Start point: the base scenario's value of each dimension where it lies in the space.
    opt::Point start(spec_.dimensions.size());
    for (std::size_t i = 0; i < spec_.dimensions.size(); ++i) {
        const DimensionSpec& d = spec_.dimensions[i];
        const std::string& shown = base_values_[d.key];
        start[i] = d.low;
        if (d.kind == opt::DimKind::Int || d.kind == opt::DimKind::Float) {
            try {
                start[i] = std::stod(shown);
            } catch (const std::exception&) {
            }
        } else {
            for (std::size_t k = 0; k < d.literals.size(); ++k)
                if (d.literals[k] == shown || d.labels[k] == shown) start[i] = static_cast<double>(k);
        }
    }
    problem_.start = problem_.space.canonical(start);
    // Build the optimizer once so that a bad name or option fails now, at load time.
    (void)make_optimizer(spec_.optimizer, spec_.optimizer_options, spec_.seed);
}

namespace {
std::atomic<OptimizerPluginFactory> g_optimizer_plugin_factory{nullptr};
}  // namespace

void set_optimizer_plugin_factory(OptimizerPluginFactory f) { g_optimizer_plugin_factory.store(f); }

opt::Optimizer Study::make_optimizer(const std::string& name, const opt::OptionMap& options, std::uint64_t seed) const {
    opt::Problem p = problem_;
    p.seed = seed;
    try {
        // "plugin": the study's own optimizer plugin; a name ending in ".so": that plugin library (compare).
        const bool library = name.size() > 3 && name.ends_with(".so");
        if (name == "plugin" || library) {
            const OptimizerPluginFactory f = g_optimizer_plugin_factory.load();
            if (!f)
                throw sc::ConfigError({fmt::format("{}: optimizer {}: this program cannot load plugins",
                                                   spec_.optimizer_where, name)});
            return f(library ? std::filesystem::path(name) : std::filesystem::path(spec_.optimizer_plugin), p, options,
                     spec_.isolation == "process", spec_.trial_timeout_s);
        }
        return opt::builtin_optimizers().make(name, p, options);
    } catch (const opt::OptionError& e) {
        const std::string field = e.option() == "name" ? "optimizer.name" : "optimizer.options." + e.option();
        throw sc::ConfigError({fmt::format("{}: {}: {}", spec_.optimizer_where, field, e.what())});
    } catch (const std::invalid_argument& e) {
        throw sc::ConfigError({fmt::format("{}: optimizer {}: {}", spec_.optimizer_where, name, e.what())});
    }
}

std::size_t Study::parallelism() const {
    if (spec_.parallelism > 0) return static_cast<std::size_t>(spec_.parallelism);
    return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::string> Study::overrides(const opt::Point& x) const {
    std::vector<std::string> ov;
    for (std::size_t i = 0; i < spec_.dimensions.size(); ++i) {
        if (!problem_.space.active(x, i)) continue;
        const DimensionSpec& d = spec_.dimensions[i];
        std::string lit;
        if (d.kind == opt::DimKind::Int) lit = fmt::format("{}", static_cast<std::int64_t>(std::llround(x[i])));
        else if (d.kind == opt::DimKind::Float) {
            lit = fmt::format("{:.17g}", x[i]);
            if (lit.find_first_of(".eEn") == std::string::npos) lit += ".0";
        } else lit = d.literals[static_cast<std::size_t>(x[i])];
        ov.push_back(d.key + "=" + lit);
    }
    return ov;
}

std::map<std::string, std::string> Study::params(const opt::Point& x) const {
    std::map<std::string, std::string> out;
    for (const std::string& o : overrides(x)) {
        const auto eq = o.find('=');
        out[o.substr(0, eq)] = o.substr(eq + 1);
    }
    return out;
}

ExprValue Study::resolve(const opt::Point& x, const std::string& name) const {
    for (std::size_t i = 0; i < spec_.dimensions.size(); ++i) {
        const DimensionSpec& d = spec_.dimensions[i];
        if (d.key != name || !problem_.space.active(x, i)) continue;
        if (d.kind == opt::DimKind::Int || d.kind == opt::DimKind::Float || d.kind == opt::DimKind::Bool) return x[i];
        const std::string& label = d.labels[static_cast<std::size_t>(x[i])];
        if (d.literals[static_cast<std::size_t>(x[i])].front() == '"') return label;
        return label == "true" ? 1.0 : label == "false" ? 0.0 : std::stod(label);
    }
    if (auto it = base_values_.find(name); it != base_values_.end()) {
        const std::string& v = it->second;
        if (!v.empty() && v.front() == '"') return v.substr(1, v.size() - 2);
        if (v == "true") return 1.0;
        if (v == "false") return 0.0;
        try {
            return std::stod(v);
        } catch (const std::exception&) {
            return v;
        }
    }
    auto str = [&](const std::string& key) {
        const ExprValue v = resolve(x, key);
        return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : fmt::format("{}", std::get<double>(v));
    };
    auto numv = [&](const std::string& key) {
        const ExprValue v = resolve(x, key);
        return std::holds_alternative<double>(v) ? std::get<double>(v) : 0.0;
    };
    if (name == "gpus") {
        // Disaggregated: both pools, each at its own TP (0 = hardware.tp), as the summary's fleet.gpus counts them.
        if (numv("disagg.enabled") != 0) {
            auto pool_tp = [&](const char* key) {
                const double tp = numv(key);
                return tp > 0 ? tp : numv("hardware.tp");
            };
            return numv("disagg.prefill.workers") * pool_tp("disagg.prefill.tp") +
                   numv("disagg.decode.workers") * pool_tp("disagg.decode.tp");
        }
        return numv("fleet.workers") * numv("hardware.tp");
    }
    if (name.rfind("gpu.", 0) == 0) {
        const auto& g = sim::hw::find_gpu(str("hardware.gpu"));
        if (name == "gpu.memory_gib") return g.hbm_bytes / (1024.0 * 1024 * 1024);
    }
    if (name.rfind("model.", 0) == 0) {
        const std::string model = str("model.name");
        std::lock_guard lk(model_mu_);
        auto& m = model_cache_[model];
        if (m.empty()) {
            sim::hw::ModelSpec s;
            try {
                s = sim::hw::resolve_model(model);
            } catch (const std::exception&) {
                s = sim::hw::resolve_model(sc::resolve_path(model, spec_.base_dir).string());
            }
            m["model.num_heads"] = s.num_heads;
            m["model.num_kv_heads"] = s.num_kv_heads;
            m["model.num_layers"] = s.num_layers;
            m["model.hidden_size"] = s.hidden_size;
            m["model.params_b"] = s.total_params() / 1e9;
            m["model.weight_gib"] = s.total_params() * 2 / (1024.0 * 1024 * 1024);
        }
        if (auto it = m.find(name); it != m.end()) return it->second;
    }
    throw std::invalid_argument(fmt::format("unknown name '{}' in a constraint (gpus, gpu.memory_gib, model.num_heads, "
                                            "model.num_kv_heads, model.num_layers, model.hidden_size, model.params_b, "
                                            "model.weight_gib or a config key)", name));
}

double Study::known_violation(const opt::Point& x, std::string* which) const {
    double total = 0;
    for (std::size_t k = 0; k < known_.size(); ++k) {
        const double v = known_[k].violation([&](const std::string& n) { return resolve(x, n); });
        if (v > 0 && which && which->empty()) *which = known_text_[k];
        total += v;
    }
    return total;
}

void Study::score(TrialRecord& t) const {
    t.objectives.clear();
    t.constraints.clear();
    if (t.status == "failed" || t.metrics.empty()) {
        t.status = "failed";
        return;
    }
    if (t.metrics.count("finished") && t.metrics.at("finished") == 0) {
        // Latencies of a run that finished nothing read as 0 ms: never let that pass as a good point.
        t.status = "failed";
        t.error = fmt::format("no request finished ({:.0f} unfinished, {:.0f} rejected): latency metrics undefined",
                              t.metrics.at("unfinished"), t.metrics.at("rejected"));
        return;
    }
    if (t.metrics.count("stalled") && t.metrics.at("stalled") > 0) {
        // Its latencies cover only the requests that got through: never let a deployment that stops
        // serving pass as a good point.
        t.status = "failed";
        t.error = fmt::format("{:.0f} of {:.0f} requests never finished: the deployment stalled", t.metrics.at("stalled"),
                              t.metrics.at("stalled") + t.metrics.at("finished") + t.metrics.at("rejected"));
        return;
    }
    bool ok = true;
    for (const auto& o : spec_.objectives) t.objectives.push_back(t.metrics.at(o.metric));
    std::string broken;
    for (const auto& c : spec_.constraints) {
        if (!c.expr.empty()) continue;
        const double v = t.metrics.at(c.metric);
        double g = -std::numeric_limits<double>::infinity();
        if (c.max) g = std::max(g, (v - *c.max) / std::max(std::abs(*c.max), 1.0));
        if (c.min) g = std::max(g, (*c.min - v) / std::max(std::abs(*c.min), 1.0));
        if (!std::isfinite(g)) g = 1e6;  // a nan metric (nothing finished) breaks the bound
        t.constraints.push_back(g);
        if (g > 0) {
            ok = false;
            if (broken.empty())
                broken = fmt::format("{} = {:.6g} breaks {}{}", c.metric, v, c.max ? fmt::format("max {}", *c.max) : "",
                                     c.min ? fmt::format(" min {}", *c.min) : "");
        }
    }
    t.status = ok ? "feasible" : "infeasible";
    if (!ok) t.error = broken;
}

std::vector<double> Study::minimized(const TrialRecord& t) const {
    std::vector<double> f;
    for (std::size_t i = 0; i < t.objectives.size() && i < spec_.objectives.size(); ++i)
        f.push_back(spec_.objectives[i].maximize ? -t.objectives[i] : t.objectives[i]);
    return f;
}

opt::Trial Study::to_trial(const TrialRecord& t) const {
    opt::Trial o;
    o.id = t.id;
    o.x = t.point;
    o.status = t.status == "feasible" ? opt::TrialStatus::Feasible
               : t.status == "infeasible" ? opt::TrialStatus::Infeasible
                                          : opt::TrialStatus::Failed;
    o.objectives = minimized(t);
    o.constraints = t.constraints;
    return o;
}

EvaluatorOptions study_evaluator_options(const StudySpec& spec) {
    EvaluatorOptions eo;
    eo.scenario_text = spec.scenario_text;
    eo.scenario_source = spec.scenario_source;
    eo.base_dir = spec.base_dir;
    eo.base_overrides = spec.scenario_overrides;
    eo.process_isolation = spec.isolation == "process";
    eo.trial_timeout_s = spec.trial_timeout_s;
    eo.replicates = spec.replicates;
    eo.traces = spec.traces;
    eo.cost_per_gpu_hour = spec.cost_per_gpu_hour;
    return eo;
}

RunSummary run_study(const Study& study, StudyStorage& db, const RunOptions& o) {
    const StudySpec& spec = study.spec();
    const std::uint64_t seed = o.seed.value_or(spec.seed);
    const std::size_t budget = o.budget.value_or(static_cast<std::size_t>(spec.budget));
    opt::Optimizer optimizer = study.make_optimizer(o.optimizer.empty() ? spec.optimizer : o.optimizer,
                                                    o.optimizer.empty() ? spec.optimizer_options : o.optimizer_options, seed);
    if (!o.warm_start.empty()) optimizer = opt::Optimizer(WarmStart(std::move(optimizer), study.problem().space, o.warm_start));
    if (!db.study())
        db.create_study({spec.name, spec.source, spec.text, spec.scenario_text,
                         std::string(optimizer.name()), seed});
    std::map<std::uint64_t, TrialRecord> stored;
    for (auto& t : db.trials())
        if (t.finished()) stored[t.id] = std::move(t);

    const std::size_t P = optimizer.supports_pending() ? std::max<std::size_t>(1, o.parallelism.value_or(study.parallelism())) : 1;
    EvaluatorOptions eo = study_evaluator_options(spec);
    eo.threads = std::min<std::size_t>(P, std::max<std::size_t>(budget, 1));
    eo.before_trial = o.before_trial;
    eo.remote = o.remote;
    Evaluator evaluator(eo);

    RunSummary sum;
    std::map<std::uint64_t, TrialRecord> ready;       // finished, not yet told
    std::map<std::uint64_t, opt::Point> running;      // submitted to the evaluator
    std::uint64_t next = 0, told = 0;
    bool exhausted = false;
    auto finish = [&](TrialRecord rec, bool store) {
        if (store) db.put_trial(rec);
        if (o.on_trial) o.on_trial(rec);
        ready[rec.id] = std::move(rec);
    };
    while (true) {
        while (!exhausted && next < budget && next - told < P) {
            std::optional<opt::Point> p;
            std::string bad_proposal;  // an unusable proposal fails this trial alone
            try {
                p = optimizer.ask();
            } catch (const opt::ProposalError& e) {
                p = e.point();
                bad_proposal = e.what();
            }
            if (!p) {
                if (next == told) exhausted = true;
                break;
            }
            const opt::Point x = study.problem().space.canonical(*p);
            TrialRecord rec;
            rec.id = next++;
            rec.point = x;
            rec.params = study.params(x);
            if (auto it = stored.find(rec.id); it != stored.end()) {
                if (it->second.point != x)
                    throw sim::core::InputError(fmt::format(
                        "{}: trial {} was stored with other parameters than the optimizer now proposes; the study "
                        "file, its scenario or the optimizer changed since it was run", db.path().string(), rec.id));
                ++sum.reused;
                finish(it->second, false);
                continue;
            }
            if (!bad_proposal.empty()) {
                rec.status = "failed";
                rec.error = "optimizer proposal rejected: " + bad_proposal;
                finish(std::move(rec), true);
                continue;
            }
            std::string which;
            if (study.known_violation(x, &which) > 0) {
                rec.status = "infeasible";
                rec.error = "a-priori constraint broken: " + which;
                rec.constraints.assign(study.problem().num_constraints, 0.0);
                rec.constraints.push_back(study.known_violation(x));
                ++sum.rejected;
                finish(std::move(rec), true);
                continue;
            }
            if (o.cache) {
                if (auto it = o.cache->find(x); it != o.cache->end()) {
                    TrialRecord c = it->second;
                    c.id = rec.id;
                    ++sum.reused;
                    finish(std::move(c), true);
                    continue;
                }
            }
            db.put_trial(rec);  // status "running": resume re-runs it if this process dies
            running[rec.id] = x;
            evaluator.submit({rec.id, study.overrides(x)});
        }
        if (told == next) break;  // budget spent or the optimizer is finished
        while (!ready.count(told)) {
            EvalResult r = evaluator.wait();
            TrialRecord rec;
            rec.id = r.id;
            rec.point = running.at(r.id);
            rec.params = study.params(rec.point);
            rec.seed = r.seed;
            rec.wall_s = r.wall_s;
            rec.metrics = r.metrics;
            rec.status = r.ok ? "feasible" : "failed";
            rec.error = r.error;
            study.score(rec);
            running.erase(r.id);
            ++sum.simulated;
            if (o.cache && rec.status != "failed") o.cache->emplace(rec.point, rec);
            finish(std::move(rec), true);
        }
        optimizer.tell(study.to_trial(ready.at(told)));
        ready.erase(told);
        ++told;
    }
    sum.trials = told;
    sum.exhausted = exhausted;
    return sum;
}

Study study_from_storage(const StudyStorage& db) {
    const auto st = db.study();
    if (!st) throw sim::core::InputError(fmt::format("{}: holds no study", db.path().string()));
    const std::filesystem::path src = st->source;
    StudySpec spec;
    try {
        spec = parse_study(st->text, st->source, src.parent_path().empty() ? "." : src.parent_path());
    } catch (const sc::ConfigError&) {
        // The base scenario file may have moved: parse again from the stored scenario text.
        throw;
    }
    spec.scenario_text = st->scenario_text;  // the scenario as it was when the study started
    return Study(std::move(spec));
}

}  // namespace dynosim::framework
