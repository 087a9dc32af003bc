// The KV block manager's tiers below one worker's GPU pool (Dynamo KVBM, docs/kvbm.md): each tier is a
// set of block keys with a capacity and its own eviction policy, joined to the tier above by a link whose
// two directions each move one transfer at a time (a FIFO server: a transfer starts when the link is free,
// takes bytes / bandwidth, and its data arrives a fixed latency later). Offloads copy G1 blocks down;
// onboarding copies a prefix found below G1 back up, and delays only the request that asked for it.
// Keys are the engine's chained prefix keys (kv/block_key.hpp). Sized once; nothing is allocated per block.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/kv/cache_policy.hpp"
#include "sim/kv/prefix_index.hpp"

namespace dynosim::sim::kv {

using core::TimeNs;

// One direction-pair link: `up` moves blocks toward G1 (onboard), down away from it (offload).
class KvLink {
public:
    KvLink(double block_bytes, double bandwidth_gbps, double latency_us);
    // Queues `blocks` blocks at `t` in one direction; returns when the last of them has arrived. Adds the
    // time the link is busy moving them to *busy_ns.
    TimeNs transfer(bool up, TimeNs t, std::int64_t blocks, TimeNs* busy_ns);
    // Time one link needs to move `blocks` blocks, latency included, on an idle link.
    TimeNs idle_time(std::int64_t blocks) const;

private:
    double ns_per_block_;
    TimeNs latency_ns_;
    TimeNs free_at_[2] = {0, 0};  // [down, up]
};

struct KvbmTierStats {
    std::uint64_t lookups = 0;            // blocks an admission looked for here (missed in the tiers above)
    std::uint64_t hits = 0;               // of which were found here, ready (and onboarded)
    std::uint64_t offloaded_blocks = 0;   // copies written into this tier
    std::uint64_t onboarded_blocks = 0;   // copies read from this tier into G1
    std::uint64_t evictions = 0;          // blocks dropped to make room
    TimeNs transfer_ns = 0;               // time this tier's link spent moving blocks, both directions
};

// One tier: which keys it holds (each in a slot), when each copy is complete, and the eviction order.
class KvTier {
public:
    KvTier(std::int32_t capacity_blocks, std::unique_ptr<CachePolicy> policy);
    std::int32_t capacity() const { return capacity_; }
    std::int32_t occupancy() const { return used_; }
    // The slot holding `key` (complete or in flight), or -1.
    std::int32_t find(std::uint64_t key) const { return index_.find(key); }
    bool ready(std::int32_t slot, TimeNs now) const { return ready_[static_cast<std::size_t>(slot)] <= now; }
    // A hit: the policy sees one more use of the slot.
    void touch(std::int32_t slot);
    // Stores `key` (absent), complete at `ready`, dropping the policy's victim when full. Returns true and
    // sets *evicted (and *evicted_ready, when its copy was complete) when a key was dropped.
    bool insert(std::uint64_t key, TimeNs ready, std::uint64_t* evicted, TimeNs* evicted_ready = nullptr);
    const CachePolicy& policy() const { return *policy_; }

private:
    std::int32_t capacity_;
    std::int32_t used_ = 0;
    PrefixIndex index_;
    std::vector<std::uint64_t> key_;
    std::vector<TimeNs> ready_;
    std::vector<std::uint8_t> filled_;
    std::unique_ptr<CachePolicy> policy_;
};

// A tier's KV event, for the KV router's per-tier view (Dynamo's router counts host / disk overlaps):
// `key` became usable in (stored) or was dropped from (removed) the tier of kind `tier` (0 host, 1 disk,
// 2 remote: kKvbmTierNames) at `t`. A store is stamped when its copy lands, so `t` may lie after the step
// that queued it; a removal never precedes the store it undoes.
struct KvbmEvent {
    TimeNs t;
    std::uint64_t key;
    std::int8_t tier;
    bool stored;
};

struct KvbmTierConfig {
    std::string name;          // host, disk or remote
    std::int32_t capacity_blocks = 0;
    double bandwidth_gbps = 0;
    double latency_us = 0;
    std::string policy = "lru";
};

class Kvbm {
public:
    // `tiers`: the present tiers from G2 down (capacity > 0 each). `block_bytes`: one KV block of the
    // worker (all its GPUs). `evict_trigger`: offload on G1 eviction, else on registration.
    Kvbm(const std::vector<KvbmTierConfig>& tiers, double block_bytes, bool evict_trigger, TimeNs sample_interval_ns);

    bool evict_trigger() const { return evict_trigger_; }
    // How many of hashes[from, max) are held, complete at `now`, in some tier, counting from `from` (the
    // blocks G1 already has) up to the first block no tier has.
    std::int32_t match(std::span<const std::uint64_t> hashes, std::int32_t from, std::int32_t max, TimeNs now);
    // An admission looked up hashes[from, max) after G1 and takes the first `n` (n <= the last match()):
    // counts lookups and hits per tier, refreshes the tiers' policies, and queues the onboard transfers.
    // Returns when the last onboarded block is in G1 (`now` when n = 0).
    TimeNs onboard(std::span<const std::uint64_t> hashes, std::int32_t from, std::int32_t n, std::int32_t max,
                   TimeNs now);
    // A G1 block holding `key` is copied to the first tier, starting at `now` (deduplicated by key).
    void offload(std::uint64_t key, TimeNs now);

    // Tier events are kept (for take_events) only while recording is on: when a router listens.
    void set_record_events(bool on) { record_events_ = on; }
    // The tier events since the last clear_events(), in the order they arose (not time order).
    const std::vector<KvbmEvent>& events() const { return events_; }
    void clear_events() { events_.clear(); }

    std::size_t num_tiers() const { return tiers_.size(); }
    const std::string& tier_name(std::size_t k) const { return names_[k]; }
    const KvTier& tier(std::size_t k) const { return tiers_[k]; }
    const KvbmTierStats& stats(std::size_t k) const { return stats_[k]; }
    // Prompt blocks (those a prefix hit may cover) of every admission: the denominator of tier hit rates,
    // as prompt tokens are of G1's prefix hit rate.
    std::uint64_t query_blocks() const { return query_blocks_; }
    double block_bytes() const { return block_bytes_; }
    // Occupancy (blocks) of tier k at t = i x sample interval, i = 0, 1, ... up to the last operation.
    const std::vector<std::int32_t>& samples(std::size_t k) const { return samples_[k]; }
    TimeNs sample_interval_ns() const { return sample_interval_ns_; }

private:
    void advance(TimeNs now);
    void offload_to(std::size_t k, std::uint64_t key, TimeNs t);

    std::vector<KvTier> tiers_;
    std::vector<KvLink> links_;
    std::vector<KvbmTierStats> stats_;
    std::vector<std::string> names_;
    std::vector<std::int8_t> kinds_;  // per tier: index in kKvbmTierNames (0 host, 1 disk, 2 remote)
    std::vector<KvbmEvent> events_;   // grows to its peak per step, then reused
    bool record_events_ = false;
    std::vector<std::vector<std::int32_t>> samples_;
    std::vector<std::int8_t> match_tier_;  // source tier of each block of the last match()
    double block_bytes_;
    bool evict_trigger_;
    TimeNs sample_interval_ns_;
    TimeNs next_sample_ns_ = 0;
    std::uint64_t query_blocks_ = 0;
};

}  // namespace dynosim::sim::kv
