#include "sim/fleet/router.hpp"

#include <fmt/format.h>

#include <atomic>

#include "sim/core/errors.hpp"
#include "sim/fleet/kv_router.hpp"

namespace dynosim::sim::fleet {

namespace {

class RoundRobinRouter final : public Router {
public:
    std::size_t choose(const workload::Request&, std::span<const engine::WorkerLoad> loads) override {
        return next_++ % loads.size();
    }

private:
    std::size_t next_ = 0;
};

class RandomRouter final : public Router {
public:
    explicit RandomRouter(core::Rng rng) : rng_(rng) {}
    std::size_t choose(const workload::Request&, std::span<const engine::WorkerLoad> loads) override {
        return static_cast<std::size_t>(rng_.below(loads.size()));
    }

private:
    core::Rng rng_;
};

// Fewest requests in the engine (running + waiting); ties go to the one with fewer queued prompt tokens,
// then fewer KV blocks in use, then the lowest index.
class LeastLoadedRouter final : public Router {
public:
    std::size_t choose(const workload::Request&, std::span<const engine::WorkerLoad> loads) override {
        std::size_t best = 0;
        auto key = [](const engine::WorkerLoad& l) {
            return std::tuple(l.running + l.waiting, l.queued_prefill_tokens, l.used_blocks);
        };
        for (std::size_t i = 1; i < loads.size(); ++i)
            if (key(loads[i]) < key(loads[best])) best = i;
        return best;
    }
};

}  // namespace

std::vector<std::string> RouterOptions::validate() const {
    std::vector<std::string> kv_problems;
    auto need = [&](bool ok, const char* key, const auto& v, const char* rule) {
        if (!ok) kv_problems.push_back(fmt::format("{} = {}: {}", key, v, rule));
    };
    need(overlap_score_weight >= 0, "router.overlap_score_weight", overlap_score_weight, "must be >= 0");
    need(temperature >= 0, "router.temperature", temperature, "must be >= 0");
    need(kv_event_delay_ms >= 0, "router.kv_event_delay_ms", kv_event_delay_ms, "must be >= 0");
    need(ttl_s > 0, "router.ttl_s", ttl_s, "must be > 0");
    need(replicas >= 1, "router.replicas", replicas, "must be >= 1");
    need(host_cache_hit_weight >= 0, "router.host_cache_hit_weight", host_cache_hit_weight, "must be >= 0");
    need(disk_cache_hit_weight >= 0, "router.disk_cache_hit_weight", disk_cache_hit_weight, "must be >= 0");
    if (!kv_problems.empty()) return kv_problems;
    if (plugin_kv_indexer && policy != "plugin")
        return {fmt::format("router.plugin_kv_indexer = true: only read when router.policy = \"plugin\" (policy is {})",
                            policy)};
    if (policy == "plugin") {
        if (plugin.empty()) return {"router.policy = plugin: set router.plugin to the router's shared library (.so)"};
    } else if (!builtin_routers().find(policy)) {
        return {fmt::format("router.policy = {}: must be one of {}, plugin", policy, builtin_routers().names())};
    } else if (!plugin.empty()) {
        return {fmt::format("router.plugin = {}: only read when router.policy = \"plugin\" (policy is {})", plugin,
                            policy)};
    }
    for (const auto& kv : plugin_params)
        if (kv.find('=') == std::string::npos || kv.front() == '=')
            return {fmt::format("router.plugin_params = {}: each entry must be \"key=value\"", kv)};
    return {};
}

namespace {
std::atomic<ExternalRouterFactory> g_external_router_factory{nullptr};
}  // namespace

void set_external_router_factory(ExternalRouterFactory f) { g_external_router_factory.store(f); }
ExternalRouterFactory external_router_factory() { return g_external_router_factory.load(); }

std::unique_ptr<Router> make_router(const RouterOptions& o, core::Rng rng) {
    if (o.policy != "plugin") return builtin_routers().make(o, rng);
    const ExternalRouterFactory f = external_router_factory();
    if (!f)
        throw core::InputError(fmt::format(
            "router.policy = plugin ({}): this program cannot load plugins (no plugin factory installed)", o.plugin));
    return f(o, rng);
}

void RouterRegistry::add(const RouterEntry& e) {
    if (find(e.name)) throw std::logic_error(fmt::format("router '{}' is registered twice", e.name));
    entries_.push_back(e);
}

const RouterEntry* RouterRegistry::find(std::string_view name) const {
    for (const auto& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

std::string RouterRegistry::names() const {
    std::string out;
    for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + std::string(e.name);
    return out;
}

std::unique_ptr<Router> RouterRegistry::make(const RouterOptions& o, core::Rng rng) const {
    if (const RouterEntry* e = find(o.policy)) return e->make(o, rng);
    throw core::InputError(fmt::format("unknown router '{}'; known: {}", o.policy, names()));
}

const RouterRegistry& builtin_routers() {
    static const RouterRegistry registry = [] {
        RouterRegistry r;
        r.add({"round_robin", "cycle through the workers in order",
               [](const RouterOptions&, core::Rng) -> std::unique_ptr<Router> {
                   return std::make_unique<RoundRobinRouter>();
               }});
        r.add({"random", "a uniformly random worker (seeded)",
               [](const RouterOptions&, core::Rng rng) -> std::unique_ptr<Router> {
                   return std::make_unique<RandomRouter>(rng);
               }});
        r.add({"least_loaded", "the worker with the fewest running + waiting requests",
               [](const RouterOptions&, core::Rng) -> std::unique_ptr<Router> {
                   return std::make_unique<LeastLoadedRouter>();
               }});
        r.add({"kv", "Dynamo's KV-aware router: overlap_score_weight x prefill blocks + active decode blocks",
               [](const RouterOptions& o, core::Rng rng) -> std::unique_ptr<Router> { return make_kv_router(o, rng); }});
        return r;
    }();
    return registry;
}

}  // namespace dynosim::sim::fleet
