// Plugin objects behind the simulator's and the optimizers' own interfaces: a fleet Router, a KV
// CachePolicy and an ask/tell Optimizer. Each checks every answer a plugin gives (a worker out of range, a
// non-finite score, a block that is not free, a NaN coordinate) and throws PluginError naming the plugin,
// so a misbehaving plugin fails its run with a clear reason instead of corrupting it.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "optimizers/optimizer.hpp"
#include "optimizers/options.hpp"
#include "plugins/loader.hpp"
#include "sim/fleet/router.hpp"
#include "sim/kv/cache_policy.hpp"

namespace dynosim::plugins {

class PluginRouter final : public sim::fleet::Router {
public:
    // `params`: "key=value"; the plugin's seed is drawn from rng.
    PluginRouter(std::shared_ptr<const Library> lib, const std::vector<std::string>& params, sim::core::Rng rng);
    std::size_t choose(const sim::workload::Request& r, std::span<const sim::engine::WorkerLoad> loads) override;
    // Behind a KV router (router.plugin_kv_indexer): the view also carries its overlap and active-load
    // figures and its random stream.
    std::size_t choose_kv(const sim::workload::Request& r, std::span<const sim::engine::WorkerLoad> loads,
                          const sim::fleet::KvFigures& kv) override;
    const Instance& instance() const { return inst_; }

private:
    std::size_t decide(const sim::workload::Request& r, std::size_t n, std::span<const sim::engine::WorkerLoad> loads,
                       const sim::fleet::KvFigures* kv);
    Instance inst_;
    const ds_router_api* api_;
    std::vector<ds_worker_view> views_;
    std::vector<double> scores_;
};

class PluginCachePolicy final : public sim::kv::CachePolicy {
public:
    PluginCachePolicy(std::shared_ptr<const Library> lib, const std::vector<std::string>& params);
    void reset(sim::kv::BlockId first, sim::kv::BlockId last) override;
    void on_freed(sim::kv::BlockId b, bool cached) override;
    void on_reused(sim::kv::BlockId b) override;
    void on_cached(sim::kv::BlockId b, std::int32_t depth) override;
    sim::kv::BlockId pop_victim() override;
    std::int32_t size() const override { return size_; }
    std::string_view name() const override { return name_; }

private:
    Instance inst_;
    const ds_cache_policy_api* api_;
    std::string name_;
    std::vector<std::int64_t> last_use_;
    std::vector<std::uint32_t> use_count_;
    std::vector<std::int32_t> depth_;
    std::vector<std::uint8_t> free_;
    sim::kv::BlockId first_ = 0, last_ = -1;
    std::int64_t tick_ = 0;
    std::int32_t size_ = 0;
};

// An optimizer plugin as an ask/tell strategy (copies clone the plugin's object).
class PluginOptimizer {
public:
    PluginOptimizer(std::shared_ptr<const Library> lib, const optimizers::Problem& p,
                    const optimizers::OptionMap& options);
    PluginOptimizer(const PluginOptimizer& o);
    PluginOptimizer& operator=(const PluginOptimizer&) = delete;
    std::optional<optimizers::Point> ask();
    void tell(const optimizers::Trial& t);
    std::string_view name() const { return name_; }
    bool supports_pending() const;

private:
    std::shared_ptr<Instance> inst_;
    optimizers::Space space_;
    std::string name_;
};

// The factories installed into sim/ and framework/ (router.policy = plugin, engine.cache_policy = plugin,
// [optimizer] name = plugin).
std::unique_ptr<sim::fleet::Router> make_plugin_router(const sim::fleet::RouterOptions& o, sim::core::Rng rng);
std::unique_ptr<sim::kv::CachePolicy> make_plugin_cache_policy(const sim::kv::CachePolicySpec& spec);
// isolate: in a child process of its own (optimizer_host.hpp), each answer awaited at most timeout_s (0 =
// forever).
optimizers::Optimizer make_plugin_optimizer(const std::filesystem::path& path, const optimizers::Problem& p,
                                            const optimizers::OptionMap& options, bool isolate = false,
                                            double timeout_s = 0);

// Installs the three factories; call once at startup (the CLI's main, the test runner). Idempotent.
void install_plugin_factories();

}  // namespace dynosim::plugins
