// The router: picks the worker a request goes to from what it can see of each worker's load.
// Built-ins: round_robin, random, least_loaded; the registry lists them. `router.policy = "plugin"` builds a
// router from a shared library (router.plugin) through an external factory that the program installs at
// startup (plugins/ implements it; sim never loads libraries itself).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/engine/engine.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

struct RouterOptions {
    // Which router picks workers: "round_robin", "random" or "least_loaded". Default round_robin
    // (Dynamo's frontend default without the KV router).
    std::string policy = "round_robin";
    // policy "plugin": the router shared library (see docs/plugins.md) and its parameters, "key=value" each.
    std::string plugin;
    std::vector<std::string> plugin_params;
    // policy "plugin": run the KV router's indexer and active-load tracking (the "kv" options below) and
    // hand their per-worker figures to the plugin, which makes the choice (docs/plugins.md). Default false.
    bool plugin_kv_indexer = false;

    // policy "kv" (Dynamo's KV router, docs/router.md). Weight of the prefill blocks still to compute in
    // the cost (overlap_score_weight; Dynamo default 1.0; 0 = load balancing on active blocks only). >= 0.
    double overlap_score_weight = 1.0;
    // Softmax temperature over normalised negated costs (router_temperature; Dynamo default 0.0 = argmin,
    // ties at random). >= 0.
    double temperature = 0.0;
    // Feed the indexer with the workers' KV events (Dynamo default true); false = approximate mode
    // (--no-kv-events): routed blocks are assumed cached for ttl_s.
    bool use_kv_events = true;
    // Time from an engine publishing a KV event to the router applying it, ms (transport latency; not a
    // Dynamo setting). >= 0.
    double kv_event_delay_ms = 0.0;
    // Approximate mode: how long a routed block is assumed cached, s (router_ttl_secs; Dynamo default 120). > 0.
    double ttl_s = 120.0;
    // Credit per block of a prompt's prefix found in a worker's KVBM host tier (G2) beyond its GPU prefix,
    // as a fraction of a GPU block's (host_cache_hit_weight; Dynamo default 0.75). >= 0; 0 = host ignored.
    double host_cache_hit_weight = 0.75;
    // The same for the disk tier (G3) and remote storage (G4), which Dynamo's router counts with disk
    // (disk_cache_hit_weight; Dynamo default 0.25). >= 0; 0 = ignored.
    double disk_cache_hit_weight = 0.25;
    // Router replicas (frontends), arrivals spread over them in turn. >= 1.
    std::int32_t replicas = 1;
    // Replicas share their state (Dynamo --router-replica-sync: active sequences; every replica receives
    // every KV event either way). Default false.
    bool replica_sync = false;

    std::vector<std::string> validate() const;
};

// What the KV router knows per worker for one request (kv_router.hpp computes it), for an external chooser.
struct KvFigures {
    std::span<const std::int32_t> overlap_blocks;         // indexer's prefix overlap, blocks
    std::span<const std::int64_t> active_prefill_tokens;  // router-side active prefill tokens
    std::span<const std::int64_t> active_blocks;          // router-side active blocks
    std::span<const std::int64_t> new_active_blocks;      // blocks this request would add
    std::int32_t block_size = 16;
    core::Rng* rng = nullptr;  // the KV router's random stream
};

class Router {
public:
    virtual ~Router() = default;
    // Index into `loads` of the worker that gets `r`. loads is non-empty.
    virtual std::size_t choose(const workload::Request& r, std::span<const engine::WorkerLoad> loads) = 0;
    // Chooser behind a KV router (router.plugin_kv_indexer): also sees the KV figures. `loads` may be empty
    // (the disaggregated fleet does not gather them); kv's spans hold one entry per worker.
    virtual std::size_t choose_kv(const workload::Request& r, std::span<const engine::WorkerLoad> loads,
                                  const KvFigures& kv) {
        (void)kv;
        return choose(r, loads);
    }
};

struct RouterEntry {
    std::string_view name;         // what users write in router.policy
    std::string_view description;  // one line for `dynosim config defaults`
    std::unique_ptr<Router> (*make)(const RouterOptions&, core::Rng rng);
};

class RouterRegistry {
public:
    void add(const RouterEntry& e);
    const RouterEntry* find(std::string_view name) const;
    std::unique_ptr<Router> make(const RouterOptions& o, core::Rng rng) const;  // InputError if unknown
    std::span<const RouterEntry> entries() const { return entries_; }
    std::string names() const;

private:
    std::vector<RouterEntry> entries_;
};

// The built-in routers, registered explicitly (static self-registration is dropped from static libs).
const RouterRegistry& builtin_routers();

// Builds routers for `router.policy = "plugin"` (o.plugin is the library's path, already resolved).
// Installed once at startup by a program that links plugins/ (dynosim_plugins); null until then.
using ExternalRouterFactory = std::unique_ptr<Router> (*)(const RouterOptions& o, core::Rng rng);
void set_external_router_factory(ExternalRouterFactory f);
ExternalRouterFactory external_router_factory();
// The router `o` names: a built-in, or "plugin" through the external factory (InputError when none is
// installed or the policy is unknown).
std::unique_ptr<Router> make_router(const RouterOptions& o, core::Rng rng);

}  // namespace dynosim::sim::fleet
