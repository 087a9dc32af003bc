#include "sim/fleet/router.hpp"

#include <fmt/format.h>

#include "sim/core/errors.hpp"

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
    if (builtin_routers().find(policy)) return {};
    return {fmt::format("router.policy = {}: must be one of {}", policy, builtin_routers().names())};
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
        return r;
    }();
    return registry;
}

}  // namespace dynosim::sim::fleet
