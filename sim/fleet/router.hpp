// The router: picks the worker a request goes to from what it can see of each worker's load.
// Built-ins: round_robin, random, least_loaded. The KV-aware router and plugin routers come later and
// implement the same interface; the registry lists what `router.policy` accepts.
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
    std::vector<std::string> validate() const;
};

class Router {
public:
    virtual ~Router() = default;
    // Index into `loads` of the worker that gets `r`. loads is non-empty.
    virtual std::size_t choose(const workload::Request& r, std::span<const engine::WorkerLoad> loads) = 0;
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

}  // namespace dynosim::sim::fleet
