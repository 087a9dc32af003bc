// Plugin keys under the names of the plugin ABI (docs/plugins.md): `kv.cache_policy.plugin` and its
// `[kv.cache_policy.plugin_params]`, next to `router.plugin` / `[router.plugin_params]` in scenario_keys.cpp.
// Naming a plugin library is enough: it selects the plugin policy unless the policy key is set too.
#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_plugin_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>("kv.cache_policy.plugin", [](Opts& o) -> auto& { return o.engine.cache_policy_plugin; },
        "path of a cache policy plugin (.so), relative to the config file; selects engine.cache_policy = plugin "
        "unless that key is set (vllm and trtllm backends; docs/plugins.md)"));
    b.push_back(bind_params_key<Opts>("kv.cache_policy.plugin_params", [](Opts& o) -> auto& { return o.engine.cache_policy_plugin_params; },
        "kv.cache_policy.plugin: parameters handed to the plugin: a table ([kv.cache_policy.plugin_params] "
        "promote_uses = 2) or \"key=value\" strings"));
    // The names before the plugin ABI's, kept so that existing configs and scripts keep working.
    b.push_back(bind_key<Opts, std::string>("engine.cache_policy_plugin", [](Opts& o) -> auto& { return o.engine.cache_policy_plugin; },
        "old name of kv.cache_policy.plugin (the same setting)"));
    b.push_back(bind_params_key<Opts>("engine.cache_policy_plugin_params", [](Opts& o) -> auto& { return o.engine.cache_policy_plugin_params; },
        "old name of kv.cache_policy.plugin_params (the same setting)"));
    // clang-format on
}

void apply_plugin_selection(Opts& o, SourceMap& where) {
    if (where.count("router.plugin") && !where.count("router.policy")) o.router.policy = "plugin";
    if ((where.count("kv.cache_policy.plugin") || where.count("engine.cache_policy_plugin")) &&
        !where.count("engine.cache_policy"))
        o.engine.cache_policy = "plugin";
}

}  // namespace dynosim::sim::scenario
