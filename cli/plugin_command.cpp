// `dynosim plugin check FILE.so`: loads a plugin (ABI version and kind checks), prints what it is and the
// parameters it documents, then runs a smoke test in a forked child (a crash or a hang fails the check, not
// this process): routers and cache policies simulate a small generated workload next to the built-ins,
// optimizers propose points on a two-dimensional quadratic.
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "cli/commands.hpp"
#include "framework/evaluator.hpp"
#include "plugins/adapters.hpp"

namespace dynosim::cli {

namespace {

struct CheckArgs {
    std::string file;
    std::vector<std::string> params;
    double timeout_s = 120;
    bool smoke = true;
};

std::string toml_list(const std::vector<std::string>& v) {
    std::string s = "[";
    for (const auto& e : v) s += (s.size() > 1 ? ", " : "") + fmt::format("\"{}\"", e);
    return s + "]";
}

// Small generated workload: 4 workers, prompts sharing 16 prefixes, enough load to queue and evict.
const char* kSmokeScenario = R"(
fleet.workers = 4
engine.num_gpu_blocks_override = 1200
[workload]
kind = "generator"
[workload.generator]
num_requests = 400
arrival.rate = 40
input = { kind = "lognormal", mean = 1200, cv = 1.0, min = 64, max = 8000 }
output = { kind = "lognormal", mean = 150, cv = 1.0, min = 1, max = 1000 }
prefix.num_groups = 16
prefix.prefix_tokens = 1024
)";

int run_smoke(const plugins::Library& lib, const CheckArgs& a) {
    framework::EvaluatorOptions o;
    o.scenario_text = kSmokeScenario;
    o.scenario_source = "<plugin check>";
    o.process_isolation = true;
    o.trial_timeout_s = a.timeout_s;
    const std::string path = std::filesystem::absolute(a.file).string();
    std::vector<std::pair<std::string, std::vector<std::string>>> runs;
    if (lib.kind() == DS_KIND_ROUTER) {
        runs.push_back({"plugin", {"router.policy=plugin", fmt::format("router.plugin=\"{}\"", path),
                                   "router.plugin_params=" + toml_list(a.params),
                                   "router.plugin_kv_indexer=true"}});  // KV figures filled (docs/plugins.md)
        runs.push_back({"round_robin", {"router.policy=round_robin"}});
        runs.push_back({"least_loaded", {"router.policy=least_loaded"}});
    } else {
        runs.push_back({"plugin", {fmt::format("kv.cache_policy.plugin=\"{}\"", path),
                                   "kv.cache_policy.plugin_params=" + toml_list(a.params)}});
        runs.push_back({"lru", {"engine.cache_policy=lru"}});
    }
    fmt::print("\nsmoke run: 400 generated requests, 4 workers, 1200 KV blocks each (forked, timeout {} s)\n",
               a.timeout_s);
    fmt::print("{:<14} {:>9} {:>11} {:>11} {:>10} {:>9}\n", "", "finished", "ttft p50", "ttft p99", "hit rate",
               "wall s");
    int rc = 0;
    std::uint64_t id = 0;
    for (const auto& [label, ov] : runs) {
        const framework::EvalResult r = framework::evaluate_trial_forked(o, {id++, ov});
        if (!r.ok) {
            fmt::print("{:<14} FAILED: {}\n", label, r.error);
            if (label == "plugin") rc = 1;
            continue;
        }
        fmt::print("{:<14} {:>9.0f} {:>9.1f}ms {:>9.1f}ms {:>10.3f} {:>9.2f}\n", label, r.metrics.at("finished"),
                   r.metrics.at("ttft.p50"), r.metrics.at("ttft.p99"), r.metrics.at("prefix_hit_rate"), r.wall_s);
    }
    return rc;
}

int run_optimizer_smoke(const std::shared_ptr<const plugins::Library>& lib, const CheckArgs& a) {
    optimizers::Problem p;
    p.space = optimizers::Space({{"x", optimizers::DimKind::Float, -5, 5, false, {}},
                                 {"n", optimizers::DimKind::Int, 1, 64, true, {}}});
    p.budget = 40;
    p.seed = 1;
    optimizers::OptionMap opts;
    for (const auto& [k, v] : plugins::parse_params(a.params)) opts[k] = v;
    // In a server process of its own, as under study.isolation = "process": a crash or hang fails the check.
    optimizers::Optimizer opt = plugins::make_plugin_optimizer(lib->path(), p, opts, true, a.timeout_s);
    double best = INFINITY;
    std::size_t asked = 0;
    for (; asked < p.budget; ++asked) {
        std::optional<optimizers::Point> x;
        try {
            x = opt.ask();
        } catch (const optimizers::ProposalError& e) {
            fmt::print("\nsmoke run: ask {} FAILED: {}\n", asked, e.what());
            return 1;
        }
        if (!x) break;
        optimizers::Trial t;
        t.id = asked;
        t.x = *x;
        t.status = optimizers::TrialStatus::Feasible;
        const double f = ((*x)[0] - 1.5) * ((*x)[0] - 1.5) + std::pow(std::log2((*x)[1]) - 3, 2);
        t.objectives = {f};
        best = std::min(best, f);
        opt.tell(t);
    }
    fmt::print("\nsmoke run: minimize (x - 1.5)^2 + (log2 n - 3)^2, x in [-5, 5], n in 1..64 (log): {} points, "
               "best {:.4g} (optimum 0)\n", asked, best);
    return asked == 0 ? 1 : 0;
}

}  // namespace

void add_plugin_command(CLI::App& app) {
    auto* plugin = app.add_subcommand("plugin", "router, cache-policy and optimizer plugins (docs/plugins.md)");
    plugin->require_subcommand(1);
    auto args = std::make_shared<CheckArgs>();
    auto* check = plugin->add_subcommand("check", "load a plugin, print its kind, name, version and parameters, "
                                                  "run a smoke test");
    check->add_option("FILE", args->file, "the plugin's shared library (.so)")->required();
    check->add_option("--param", args->params, "a parameter for the smoke test, key=value (repeatable)");
    check->add_option("--timeout-s", args->timeout_s, "kill a smoke run after this many seconds");
    check->add_flag("!--no-smoke", args->smoke, "only load and describe the plugin");
    check->callback([args] {
        plugins::install_plugin_factories();
        const auto lib = plugins::load_library(args->file);
        const ds_plugin_descriptor& d = lib->descriptor();
        fmt::print("file:        {}\nkind:        {}\nname:        {}\nversion:     {}\ndescription: {}\nabi:         "
                   "version {} (this dynosim: {})\n",
                   args->file, ds_kind_to_string(d.kind), lib->name(), lib->version(), lib->description(),
                   d.abi_version, DYNOSIM_PLUGIN_ABI_VERSION);
        if (d.num_param_docs == 0) fmt::print("parameters:  none documented\n");
        else fmt::print("parameters:\n");
        for (std::uint32_t i = 0; i < d.num_param_docs; ++i) {
            const ds_param_doc& p = d.param_docs[i];
            fmt::print("  {} ({}, default {}): {}\n", p.key ? p.key : "?", p.type ? p.type : "?",
                       p.default_value ? p.default_value : "-", p.doc ? p.doc : "");
        }
        if (!args->smoke) return;
        exit_code() = lib->kind() == DS_KIND_OPTIMIZER ? run_optimizer_smoke(lib, *args) : run_smoke(*lib, *args);
        fmt::print("\ncheck {}\n", exit_code() == 0 ? "passed" : "FAILED");
    });
}

}  // namespace dynosim::cli
