#include "sim/kv/kvbm.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "sim/core/errors.hpp"
#include "sim/kv/kvbm_options.hpp"

namespace dynosim::sim::kv {

KvLink::KvLink(double block_bytes, double bandwidth_gbps, double latency_us)
    : ns_per_block_(block_bytes / bandwidth_gbps),  // bytes / (GB/s) = ns
      latency_ns_(static_cast<TimeNs>(std::llround(latency_us * 1e3))) {
    DYNOSIM_ASSERT(bandwidth_gbps > 0 && latency_us >= 0);
}

TimeNs KvLink::idle_time(std::int64_t blocks) const {
    return static_cast<TimeNs>(std::llround(static_cast<double>(blocks) * ns_per_block_)) + latency_ns_;
}

TimeNs KvLink::transfer(bool up, TimeNs t, std::int64_t blocks, TimeNs* busy_ns) {
    TimeNs& free_at = free_at_[up ? 1 : 0];
    const TimeNs start = std::max(t, free_at);
    const auto busy = static_cast<TimeNs>(std::llround(static_cast<double>(blocks) * ns_per_block_));
    free_at = start + busy;
    if (busy_ns) *busy_ns += busy;
    return free_at + latency_ns_;
}

KvTier::KvTier(std::int32_t capacity_blocks, std::unique_ptr<CachePolicy> policy)
    : capacity_(capacity_blocks),
      index_(capacity_blocks),
      key_(static_cast<std::size_t>(capacity_blocks), 0),
      ready_(static_cast<std::size_t>(capacity_blocks), 0),
      filled_(static_cast<std::size_t>(capacity_blocks), 0),
      policy_(std::move(policy)) {
    DYNOSIM_ASSERT(capacity_blocks >= 1);
    policy_->reset(0, capacity_blocks - 1);
}

void KvTier::touch(std::int32_t slot) {
    policy_->on_reused(slot);
    policy_->on_freed(slot, true);
}

bool KvTier::insert(std::uint64_t key, TimeNs ready, std::uint64_t* evicted, TimeNs* evicted_ready) {
    const BlockId slot = policy_->pop_victim();
    const auto i = static_cast<std::size_t>(slot);
    bool dropped = false;
    if (filled_[i]) {
        index_.erase(key_[i]);
        *evicted = key_[i];
        if (evicted_ready) *evicted_ready = ready_[i];
        dropped = true;
    } else {
        filled_[i] = 1;
        ++used_;
    }
    key_[i] = key;
    ready_[i] = ready;
    index_.insert(key, slot);
    policy_->on_cached(slot, -1);
    policy_->on_freed(slot, true);
    return dropped;
}

Kvbm::Kvbm(const std::vector<KvbmTierConfig>& tiers, double block_bytes, bool evict_trigger,
           TimeNs sample_interval_ns)
    : block_bytes_(block_bytes), evict_trigger_(evict_trigger), sample_interval_ns_(sample_interval_ns) {
    DYNOSIM_ASSERT(!tiers.empty() && tiers.size() <= 3 && block_bytes > 0 && sample_interval_ns > 0);
    tiers_.reserve(tiers.size());
    for (const KvbmTierConfig& t : tiers) {
        tiers_.emplace_back(t.capacity_blocks, make_cache_policy(t.policy));
        links_.emplace_back(block_bytes, t.bandwidth_gbps, t.latency_us);
        names_.push_back(t.name);
        std::int8_t kind = -1;
        for (std::size_t n = 0; n < std::size(kKvbmTierNames); ++n)
            if (t.name == kKvbmTierNames[n]) kind = static_cast<std::int8_t>(n);
        DYNOSIM_ASSERT(kind >= 0);
        kinds_.push_back(kind);
    }
    stats_.resize(tiers.size());
    samples_.resize(tiers.size());
}

void Kvbm::advance(TimeNs now) {
    while (next_sample_ns_ <= now) {
        for (std::size_t k = 0; k < tiers_.size(); ++k) samples_[k].push_back(tiers_[k].occupancy());
        next_sample_ns_ += sample_interval_ns_;
    }
}

std::int32_t Kvbm::match(std::span<const std::uint64_t> hashes, std::int32_t from, std::int32_t max, TimeNs now) {
    advance(now);
    const std::int32_t end = std::min<std::int32_t>(max, static_cast<std::int32_t>(hashes.size()));
    if (match_tier_.size() < hashes.size()) match_tier_.resize(hashes.size());  // grows to the longest prompt once
    std::int32_t n = 0;
    for (std::int32_t i = from; i < end; ++i) {
        const std::uint64_t key = hashes[static_cast<std::size_t>(i)];
        std::int8_t found = -1;
        for (std::size_t k = 0; k < tiers_.size() && found < 0; ++k) {
            const std::int32_t slot = tiers_[k].find(key);
            if (slot >= 0 && tiers_[k].ready(slot, now)) found = static_cast<std::int8_t>(k);
        }
        if (found < 0) break;
        match_tier_[static_cast<std::size_t>(i)] = found;
        ++n;
    }
    return n;
}

TimeNs Kvbm::onboard(std::span<const std::uint64_t> hashes, std::int32_t from, std::int32_t n, std::int32_t max,
                     TimeNs now) {
    advance(now);
    query_blocks_ += static_cast<std::uint64_t>(std::max<std::int32_t>(0, std::min<std::int32_t>(max, static_cast<std::int32_t>(hashes.size()))));
    std::int64_t per_tier[3] = {0, 0, 0};
    for (std::int32_t i = from; i < from + n; ++i) {
        const auto k = static_cast<std::size_t>(match_tier_[static_cast<std::size_t>(i)]);
        for (std::size_t j = 0; j <= k; ++j) ++stats_[j].lookups;
        ++stats_[k].hits;
        ++per_tier[k];
        // With the evict trigger, the G1 blocks this admission just took may have pushed the matched copy out
        // of its tier (their old content was offloaded into it) after match(): the read started with that
        // write, as KVBM pins a block being onboarded, so the block still counts as onboarded; only the
        // dropped slot has no use left to record.
        const std::int32_t slot = tiers_[k].find(hashes[static_cast<std::size_t>(i)]);
        if (slot >= 0) tiers_[k].touch(slot);
    }
    // The block after the matched run (if the prompt has one) was looked for in every tier and missed.
    if (from + n < std::min<std::int32_t>(max, static_cast<std::int32_t>(hashes.size())))
        for (KvbmTierStats& s : stats_) ++s.lookups;
    TimeNs done = now;
    for (std::size_t k = 0; k < tiers_.size(); ++k) {
        if (per_tier[k] == 0) continue;
        stats_[k].onboarded_blocks += static_cast<std::uint64_t>(per_tier[k]);
        done = std::max(done, links_[k].transfer(true, now, per_tier[k], &stats_[k].transfer_ns));
    }
    return done;
}

void Kvbm::offload(std::uint64_t key, TimeNs now) {
    advance(now);
    offload_to(0, key, now);
}

void Kvbm::offload_to(std::size_t k, std::uint64_t key, TimeNs t) {
    if (k >= tiers_.size() || tiers_[k].find(key) >= 0) return;  // dedup by key, as KVBM's pools do
    const TimeNs ready = links_[k].transfer(false, t, 1, &stats_[k].transfer_ns);
    ++stats_[k].offloaded_blocks;
    std::uint64_t evicted = 0;
    TimeNs evicted_ready = 0;
    if (tiers_[k].insert(key, ready, &evicted, &evicted_ready)) {
        ++stats_[k].evictions;
        // Dropped at t, but a copy still in flight was never announced before it lands.
        if (record_events_) events_.push_back({std::max(t, evicted_ready), evicted, kinds_[k], false});
        if (evict_trigger_) offload_to(k + 1, evicted, t);
    }
    if (record_events_) events_.push_back({ready, key, kinds_[k], true});
    if (!evict_trigger_) offload_to(k + 1, key, ready);
}

}  // namespace dynosim::sim::kv
