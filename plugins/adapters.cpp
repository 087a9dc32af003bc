#include "plugins/adapters.hpp"
#include "plugins/optimizer_host.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "framework/study.hpp"

namespace dynosim::plugins {

// ---- router ----

PluginRouter::PluginRouter(std::shared_ptr<const Library> lib, const std::vector<std::string>& params,
                           sim::core::Rng rng)
    : inst_(std::move(lib), params, [&] {
          ds_create_args a{};
          a.seed = rng.next_u64();
          return a;
      }()),
      api_(inst_.library().descriptor().router) {}

std::size_t PluginRouter::choose(const sim::workload::Request& r, std::span<const sim::engine::WorkerLoad> loads) {
    return decide(r, loads.size(), loads, nullptr);
}

std::size_t PluginRouter::choose_kv(const sim::workload::Request& r, std::span<const sim::engine::WorkerLoad> loads,
                                    const sim::fleet::KvFigures& kv) {
    return decide(r, kv.overlap_blocks.size(), loads, &kv);
}

namespace {
std::uint64_t host_random_draw(void* rng) { return static_cast<sim::core::Rng*>(rng)->next_u64(); }
}  // namespace

std::size_t PluginRouter::decide(const sim::workload::Request& r, std::size_t n,
                                 std::span<const sim::engine::WorkerLoad> loads, const sim::fleet::KvFigures* kv) {
    views_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        ds_worker_view& v = views_[i];
        v = ds_worker_view{};
        if (i < loads.size()) {
            const auto& l = loads[i];
            v.running = l.running;
            v.waiting = l.waiting;
            v.used_blocks = l.used_blocks;
            v.total_blocks = l.total_blocks;
            v.queued_prefill_tokens = l.queued_prefill_tokens;
        }
        if (kv) {
            v.overlap_blocks = kv->overlap_blocks[i];
            v.active_prefill_tokens = kv->active_prefill_tokens[i];
            v.active_blocks = kv->active_blocks[i];
            v.new_active_blocks = kv->new_active_blocks[i];
        }
    }
    ds_request_view req{};
    req.id = r.id;
    req.arrival_ns = r.arrival_ns;
    req.input_tokens = r.input_tokens;
    req.output_tokens = r.output_tokens;
    req.session_id = r.session_id;
    req.client_id = r.client_id;
    req.hash_block_tokens = r.hash_block_tokens;
    req.num_block_hashes = static_cast<std::uint32_t>(r.block_hashes.size());
    req.block_hashes = r.block_hashes.data();
    ds_router_view v{};
    v.struct_size = sizeof(ds_router_view);
    v.num_workers = static_cast<std::uint32_t>(n);
    v.workers = views_.data();
    v.request = &req;
    v.worker_view_size = sizeof(ds_worker_view);
    if (kv) {
        v.has_kv_figures = 1;
        v.kv_block_size = kv->block_size;
        if (kv->rng) {
            v.host_random = &host_random_draw;
            v.host_random_ctx = kv->rng;
        }
    }

    if (api_->choose) {
        std::uint32_t w = std::numeric_limits<std::uint32_t>::max();
        inst_.check(api_->choose(inst_.self(), &v, &w), "choose");
        if (w >= n)
            throw PluginError(fmt::format("{}: choose returned worker {} for request {}, but there are {} workers "
                                          "(valid: 0..{})",
                                          inst_.library().label(), w, r.id, n, n - 1));
        return w;
    }
    scores_.assign(n, std::numeric_limits<double>::quiet_NaN());
    inst_.check(api_->score(inst_.self(), &v, scores_.data()), "score");
    std::size_t best = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(scores_[i]))
            throw PluginError(fmt::format("{}: score gave worker {} a non-finite score ({}) for request {}",
                                          inst_.library().label(), i, scores_[i], r.id));
        if (scores_[i] < scores_[best]) best = i;
    }
    return best;
}

// ---- cache policy ----

PluginCachePolicy::PluginCachePolicy(std::shared_ptr<const Library> lib, const std::vector<std::string>& params)
    : inst_(std::move(lib), params, ds_create_args{}),
      api_(inst_.library().descriptor().cache_policy),
      name_("plugin:" + inst_.library().name()) {}

void PluginCachePolicy::reset(sim::kv::BlockId first, sim::kv::BlockId last) {
    const auto n = static_cast<std::size_t>(last + 1);
    last_use_.assign(n, 0);
    use_count_.assign(n, 0);
    depth_.assign(n, -1);
    free_.assign(n, 0);
    first_ = first;
    last_ = last;
    tick_ = 0;
    size_ = 0;
    inst_.check(api_->reset(inst_.self(), first, last), "reset");
    for (sim::kv::BlockId b = first; b <= last; ++b) on_freed(b, false);
}

void PluginCachePolicy::on_freed(sim::kv::BlockId b, bool cached) {
    const auto i = static_cast<std::size_t>(b);
    last_use_[i] = ++tick_;
    free_[i] = 1;
    ++size_;
    const ds_block_info info{b, cached ? 1 : 0, tick_, use_count_[i], cached ? depth_[i] : -1, 0, 0};
    inst_.check(api_->on_freed(inst_.self(), &info), "on_freed");
}

void PluginCachePolicy::on_reused(sim::kv::BlockId b) {
    const auto i = static_cast<std::size_t>(b);
    ++tick_;
    ++use_count_[i];
    free_[i] = 0;
    --size_;
    inst_.check(api_->on_reused(inst_.self(), b), "on_reused");
}

void PluginCachePolicy::on_cached(sim::kv::BlockId b, std::int32_t depth) { depth_[static_cast<std::size_t>(b)] = depth; }

sim::kv::BlockId PluginCachePolicy::pop_victim() {
    ++tick_;
    std::int32_t b = -1;
    inst_.check(api_->pop_victim(inst_.self(), &b), "pop_victim");
    if (b < first_ || b > last_ || !free_[static_cast<std::size_t>(b)])
        throw PluginError(fmt::format("{}: pop_victim returned block {}, which is not a free block ({} of blocks "
                                      "{}..{} are free)",
                                      inst_.library().label(), b, size_, first_, last_));
    const auto i = static_cast<std::size_t>(b);
    free_[i] = 0;
    --size_;
    use_count_[i] = 1;
    depth_[i] = -1;
    return b;
}

// ---- optimizer ----

namespace {
std::vector<std::string> option_params(const optimizers::OptionMap& options) {
    std::vector<std::string> out;
    for (const auto& [k, v] : options) {
        std::string s;
        if (const auto* str = std::get_if<std::string>(&v)) s = *str;  // unquoted
        else s = optimizers::show_option(v);
        out.push_back(k + "=" + s);
    }
    return out;
}
}  // namespace

PluginOptimizer::PluginOptimizer(std::shared_ptr<const Library> lib, const optimizers::Problem& p,
                                 const optimizers::OptionMap& options)
    : space_(p.space), name_("plugin:" + lib->name()) {
    std::vector<ds_dimension> dims;
    for (const auto& d : p.space.dims())
        dims.push_back({d.name.c_str(), static_cast<std::int32_t>(d.kind), d.log ? 1 : 0, d.low, d.high});
    ds_create_args a{};
    a.seed = p.seed;
    a.num_dims = static_cast<std::uint32_t>(dims.size());
    a.dims = dims.data();
    a.start = p.start.size() == dims.size() ? p.start.data() : nullptr;
    a.num_objectives = static_cast<std::uint32_t>(p.num_objectives);
    a.num_constraints = static_cast<std::uint32_t>(p.num_constraints);
    a.budget = p.budget;
    inst_ = std::make_shared<Instance>(std::move(lib), option_params(options), a);
}

PluginOptimizer::PluginOptimizer(const PluginOptimizer& o) : space_(o.space_), name_(o.name_) {
    void* copy = o.inst_->library().descriptor().optimizer->clone(o.inst_->self());
    if (!copy) throw PluginError(fmt::format("{}: clone failed", o.inst_->library().label()));
    inst_ = std::make_shared<Instance>(o.inst_->library_ptr(), copy);
}

bool PluginOptimizer::supports_pending() const { return inst_->library().descriptor().optimizer->supports_pending != 0; }

std::optional<optimizers::Point> PluginOptimizer::ask() {
    optimizers::Point x(space_.size(), std::numeric_limits<double>::quiet_NaN());
    std::int32_t has = 0;
    // Garbage fails this ask only (ProposalError): the study records a failed trial and asks again.
    try {
        inst_->check(inst_->library().descriptor().optimizer->ask(inst_->self(), x.data(),
                                                                  static_cast<std::uint32_t>(x.size()), &has),
                     "ask");
    } catch (const PluginError& e) {
        throw optimizers::ProposalError(e.what(), space_.canonical(std::move(x)));
    }
    if (!has) return std::nullopt;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]))
            throw optimizers::ProposalError(fmt::format("{}: ask gave a non-finite value ({}) for dimension {} ({})",
                                                        inst_->library().label(), x[i], i, space_.dims()[i].name),
                                            space_.canonical(x));
    return space_.canonical(std::move(x));
}

void PluginOptimizer::tell(const optimizers::Trial& t) {
    ds_trial tr{};
    tr.struct_size = sizeof(ds_trial);
    tr.status = t.status == optimizers::TrialStatus::Feasible     ? DS_TRIAL_FEASIBLE
                : t.status == optimizers::TrialStatus::Infeasible ? DS_TRIAL_INFEASIBLE
                                                                  : DS_TRIAL_FAILED;
    tr.id = t.id;
    tr.x = t.x.data();
    tr.objectives = t.objectives.empty() ? nullptr : t.objectives.data();
    tr.constraints = t.constraints.empty() ? nullptr : t.constraints.data();
    tr.num_objectives = static_cast<std::uint32_t>(t.objectives.size());
    tr.num_constraints = static_cast<std::uint32_t>(t.constraints.size());
    tr.violation = t.violation();
    inst_->check(inst_->library().descriptor().optimizer->tell(inst_->self(), &tr), "tell");
}

// ---- factories ----

std::unique_ptr<sim::fleet::Router> make_plugin_router(const sim::fleet::RouterOptions& o, sim::core::Rng rng) {
    return std::make_unique<PluginRouter>(load_library(o.plugin, DS_KIND_ROUTER, "router.plugin"), o.plugin_params,
                                          rng);
}

std::unique_ptr<sim::kv::CachePolicy> make_plugin_cache_policy(const sim::kv::CachePolicySpec& spec) {
    return std::make_unique<PluginCachePolicy>(
        load_library(spec.plugin, DS_KIND_CACHE_POLICY, "kv.cache_policy.plugin"), spec.plugin_params);
}

optimizers::Optimizer make_plugin_optimizer(const std::filesystem::path& path, const optimizers::Problem& p,
                                            const optimizers::OptionMap& options, bool isolate, double timeout_s) {
    if (isolate) return optimizers::Optimizer(IsolatedPluginOptimizer(path, p, options, timeout_s));
    return optimizers::Optimizer(PluginOptimizer(load_library(path, DS_KIND_OPTIMIZER, "optimizer.plugin"), p, options));
}

void install_plugin_factories() {
    sim::fleet::set_external_router_factory(&make_plugin_router);
    sim::kv::set_external_cache_policy_factory(&make_plugin_cache_policy);
    framework::set_optimizer_plugin_factory(&make_plugin_optimizer);
}

}  // namespace dynosim::plugins
