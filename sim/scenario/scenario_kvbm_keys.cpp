// The [kvbm] keys: Dynamo KVBM tiers below the engine's GPU pool (docs/kvbm.md), the machine sizes they
// are bounded by, their rules, and the per-worker tiers a run builds from them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"
#include "sim/scenario/scenario_kvbm.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

namespace {
kv::KvbmTierOptions& tier_of(Opts& o, int k) { return k == 0 ? o.kvbm.host : k == 1 ? o.kvbm.disk : o.kvbm.remote; }
const kv::KvbmTierOptions& tier_of(const Opts& o, int k) { return tier_of(const_cast<Opts&>(o), k); }
bool present(const kv::KvbmTierOptions& t) { return t.capacity_gb > 0 || t.num_blocks > 0; }
// The machine's limit on tier k per worker, GB (remote storage has none: infinity).
double limit_gb(const Opts& o, int k) {
    if (k == 0) return o.hardware.host_memory_gb_per_gpu * o.hardware.tp;
    if (k == 1) return o.hardware.disk_gb_per_gpu * o.hardware.tp;
    return HUGE_VAL;
}
const char* limit_key(int k) { return k == 0 ? "hardware.host_memory_gb_per_gpu" : "hardware.disk_gb_per_gpu"; }
}  // namespace

void add_kvbm_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, double>("hardware.host_memory_gb_per_gpu", [](Opts& o) -> auto& { return o.hardware.host_memory_gb_per_gpu; },
        "host RAM of the machine per GPU, GB (>= 0); bounds kvbm.host (x hardware.tp per worker)"));
    b.push_back(bind_key<Opts, double>("hardware.disk_gb_per_gpu", [](Opts& o) -> auto& { return o.hardware.disk_gb_per_gpu; },
        "local NVMe of the machine per GPU, GB (>= 0); bounds kvbm.disk (x hardware.tp per worker)"));
    b.push_back(bind_key<Opts, std::string>("kvbm.offload_trigger", [](Opts& o) -> auto& { return o.kvbm.offload_trigger; },
        "when a block is copied to the next tier: register (Dynamo: every block the engine computes, and each tier "
        "cascades what it stores) or evict (only when the tier above drops it)"));
    b.push_back(bind_key<Opts, double>("kvbm.sample_interval_s", [](Opts& o) -> auto& { return o.kvbm.sample_interval_s; },
        "period of the tier occupancy samples written to kvbm_occupancy.csv, simulated seconds (> 0)"));
    // Dynamo's router credits KVBM tier hits (lib/kv-router/src/scheduling/config.rs, selector.rs).
    b.push_back(bind_key<Opts, double>("router.host_cache_hit_weight", [](Opts& o) -> auto& { return o.router.host_cache_hit_weight; },
        "router.policy = kv: credit per prefix block found in a worker's kvbm.host tier beyond its GPU prefix, "
        "in GPU blocks (>= 0; Dynamo default 0.75; 0 = host tier ignored)"));
    b.push_back(bind_key<Opts, double>("router.disk_cache_hit_weight", [](Opts& o) -> auto& { return o.router.disk_cache_hit_weight; },
        "router.policy = kv: the same for the kvbm.disk and kvbm.remote tiers (>= 0; Dynamo default 0.25; 0 = "
        "ignored)"));
    const char* what[3] = {"G2 host pinned memory (Dynamo DYN_KVBM_CPU_CACHE_GB)", "G3 local disk (DYN_KVBM_DISK_CACHE_GB)",
                           "G4 remote storage"};
    const char* link[3] = {"GPU<->host (PCIe)", "disk (NVMe)", "remote store (network)"};
    for (int k = 0; k < 3; ++k) {
        const std::string p = std::string("kvbm.") + kv::kKvbmTierNames[k] + ".";
        b.push_back(bind_key<Opts, double>(p + "capacity_gb", [k](Opts& o) -> auto& { return tier_of(o, k).capacity_gb; },
            std::string(what[k]) + " per worker, GB (0 = no such tier)"));
        b.push_back(bind_key<Opts, std::int64_t>(p + "num_blocks", [k](Opts& o) -> auto& { return tier_of(o, k).num_blocks; },
            std::string("size of the ") + kv::kKvbmTierNames[k] + " tier in KV blocks instead of GB (0 = from capacity_gb)"));
        b.push_back(bind_key<Opts, double>(p + "bandwidth_gbps", [k](Opts& o) -> auto& { return tier_of(o, k).bandwidth_gbps; },
            std::string("bandwidth of the ") + link[k] + " link per worker and direction, GB/s (> 0); transfers queue on it"));
        b.push_back(bind_key<Opts, double>(p + "latency_us", [k](Opts& o) -> auto& { return tier_of(o, k).latency_us; },
            "fixed latency added to each transfer on that link, microseconds (>= 0)"));
        b.push_back(bind_key<Opts, std::string>(p + "policy", [k](Opts& o) -> auto& { return tier_of(o, k).policy; },
            "which block the tier drops when full: lru, lfu, slru"));
    }
    // clang-format on
}

std::vector<std::string> validate_kvbm(const Opts& o) {
    std::vector<std::string> out;
    auto require = [&](bool ok, const std::string& key, const auto& value, const std::string& rule) {
        if (!ok) out.push_back(fmt::format("{} = {}: {}", key, value, rule));
    };
    require(o.hardware.host_memory_gb_per_gpu >= 0, "hardware.host_memory_gb_per_gpu", o.hardware.host_memory_gb_per_gpu, "must be >= 0");
    require(o.hardware.disk_gb_per_gpu >= 0, "hardware.disk_gb_per_gpu", o.hardware.disk_gb_per_gpu, "must be >= 0");
    require(o.kvbm.offload_trigger == "register" || o.kvbm.offload_trigger == "evict", "kvbm.offload_trigger",
            o.kvbm.offload_trigger, "must be \"register\" or \"evict\"");
    require(o.kvbm.sample_interval_s > 0, "kvbm.sample_interval_s", o.kvbm.sample_interval_s, "must be > 0");
    const auto names = kv::cache_policy_names();
    std::string first_key, first_val;
    for (int k = 0; k < 3; ++k) {
        const kv::KvbmTierOptions& t = tier_of(o, k);
        const std::string p = std::string("kvbm.") + kv::kKvbmTierNames[k] + ".";
        if (present(t) && first_key.empty()) {
            first_key = p + (t.num_blocks > 0 ? "num_blocks" : "capacity_gb");
            first_val = t.num_blocks > 0 ? fmt::format("{}", t.num_blocks) : fmt::format("{}", t.capacity_gb);
        }
        require(t.capacity_gb >= 0, p + "capacity_gb", t.capacity_gb, "must be >= 0 (0 = no such tier)");
        require(t.num_blocks >= 0, p + "num_blocks", t.num_blocks, "must be >= 0 (0 = from capacity_gb)");
        if (k < 2)
            require(t.capacity_gb <= limit_gb(o, k), p + "capacity_gb", t.capacity_gb,
                    fmt::format("exceeds the machine: {} x hardware.tp = {} GB per worker", limit_key(k), limit_gb(o, k)));
        require(t.bandwidth_gbps > 0, p + "bandwidth_gbps", t.bandwidth_gbps, "must be > 0");
        require(t.latency_us >= 0, p + "latency_us", t.latency_us, "must be >= 0");
        require(std::find(names.begin(), names.end(), t.policy) != names.end(), p + "policy", t.policy,
                "must be one of lru, lfu, slru");
    }
    if (!first_key.empty()) {
        const std::string& v = first_val;
        require(o.engine.backend == "vllm", first_key, v,
                fmt::format("KVBM tiers are modelled for engine.backend = vllm only (engine.backend = {})", o.engine.backend));
        require(!o.disagg.enabled, first_key, v, "KVBM tiers are not modelled with disagg.enabled = true yet");
        require(o.engine.enable_prefix_caching, first_key, v,
                "KVBM tiers hold prefix blocks: they need engine.enable_prefix_caching = true");
    }
    return out;
}

std::unique_ptr<kv::Kvbm> make_kvbm(const Opts& o, double block_bytes) {
    if (!o.kvbm.enabled()) return nullptr;
    std::vector<kv::KvbmTierConfig> tiers;
    for (int k = 0; k < 3; ++k) {
        const kv::KvbmTierOptions& t = tier_of(o, k);
        if (!present(t)) continue;
        const std::string p = std::string("kvbm.") + kv::kKvbmTierNames[k] + ".";
        const std::int64_t blocks =
            t.num_blocks > 0 ? t.num_blocks : static_cast<std::int64_t>(std::floor(t.capacity_gb * 1e9 / block_bytes));
        if (blocks < 1)
            throw core::InputError(fmt::format("{}capacity_gb = {}: holds no KV block of {} bytes", p, t.capacity_gb,
                                               block_bytes));
        if (blocks > INT32_MAX)
            throw core::InputError(fmt::format("{}: {} blocks is more than the simulator indexes (2^31 - 1)", p, blocks));
        const double gb = static_cast<double>(blocks) * block_bytes / 1e9;
        if (k < 2 && gb > limit_gb(o, k))
            throw core::InputError(fmt::format("{}num_blocks = {}: {} blocks of {} bytes = {} GB exceed the machine: {} x "
                                               "hardware.tp = {} GB per worker",
                                               p, t.num_blocks, blocks, block_bytes, gb, limit_key(k), limit_gb(o, k)));
        tiers.push_back({kv::kKvbmTierNames[k], static_cast<std::int32_t>(blocks), t.bandwidth_gbps, t.latency_us, t.policy});
    }
    return std::make_unique<kv::Kvbm>(tiers, block_bytes, o.kvbm.offload_trigger == "evict",
                                      core::seconds_to_ns(o.kvbm.sample_interval_s));
}

void summarize_kvbm(const std::vector<const kv::Kvbm*>& workers, const kv::KvbmOptions& opts, metrics::Summary& s) {
    if (workers.empty()) return;
    const kv::Kvbm& first = *workers.front();
    for (std::size_t k = 0; k < first.num_tiers(); ++k) {
        metrics::KvbmTierSummary t;
        t.name = first.tier_name(k);
        t.policy = std::string(first.tier(k).policy().name());
        t.capacity_blocks = first.tier(k).capacity();
        t.capacity_gb = static_cast<double>(t.capacity_blocks) * first.block_bytes() / 1e9;
        t.sample_interval_s = opts.sample_interval_s;
        double occ_sum = 0;
        std::uint64_t occ_n = 0, query = 0;
        for (const kv::Kvbm* w : workers) {
            const kv::KvbmTierStats& st = w->stats(k);
            t.lookups += st.lookups;
            query += w->query_blocks();
            t.hits += st.hits;
            t.offloaded_blocks += st.offloaded_blocks;
            t.onboarded_blocks += st.onboarded_blocks;
            t.evictions += st.evictions;
            t.transfer_s += core::ns_to_seconds(st.transfer_ns);
            const auto& smp = w->samples(k);
            if (t.occupancy_gb.size() < smp.size()) t.occupancy_gb.resize(smp.size(), 0.0);
            for (std::size_t i = 0; i < smp.size(); ++i) {
                const double frac = static_cast<double>(smp[i]) / static_cast<double>(t.capacity_blocks);
                t.occupancy_gb[i] += static_cast<double>(smp[i]) * w->block_bytes() / 1e9;
                occ_sum += frac;
                ++occ_n;
                t.occupancy_peak = std::max(t.occupancy_peak, frac);
            }
        }
        t.hit_rate = query ? static_cast<double>(t.hits) / static_cast<double>(query) : 0.0;
        t.offloaded_gb = static_cast<double>(t.offloaded_blocks) * first.block_bytes() / 1e9;
        t.onboarded_gb = static_cast<double>(t.onboarded_blocks) * first.block_bytes() / 1e9;
        t.occupancy_mean = occ_n ? occ_sum / static_cast<double>(occ_n) : 0.0;
        s.kvbm_tiers.push_back(std::move(t));
    }
}

}  // namespace dynosim::sim::scenario
