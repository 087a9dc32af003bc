// Dynamo's KV-aware router (lib/kv-router; docs/architecture/kv_cache_routing.md; notes in
// ../shared/docs/dynamo.md section (a)):
//   - a KV indexer: which worker holds which prefix block, fed by the KV events workers publish (blocks
//     stored / removed), seen `kv_event_delay` after publication, so the router's view can be stale; or, in
//     approximate mode (no events), the blocks of each request the router routed, assumed cached for a TTL;
//   - active load the router tracks itself per worker (ActiveSequences): active prefill tokens (added at
//     routing, removed when the first token streams back) and active blocks (the de-duplicated prompt blocks
//     of in-flight requests, released when the response ends);
//   - the cost logit(w) = overlap_score_weight x prefill_blocks(w) + decode_blocks(w), lowest wins, ties
//     broken uniformly at random; temperature > 0 samples a softmax over the normalised negated logits;
//     with KVBM tiers, prefill_blocks(w) is reduced (not below 0) by host_cache_hit_weight x host overlap +
//     disk_cache_hit_weight x disk overlap, the prefix beyond w's GPU blocks in its lower tiers.
// Block keys are the engine's (workload/block_hashes.hpp): chained prefix keys, so a flat (key, worker) map
// answers "does w hold this block and, by chaining, the whole prefix before it" as Dynamo's radix tree does.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/ring_deque.hpp"
#include "sim/core/rng.hpp"
#include "sim/engine/kv_events.hpp"
#include "sim/fleet/router.hpp"
#include "sim/workload/request.hpp"

namespace dynosim::sim::fleet {

// (block key, worker) -> int64 value. Open addressing, linear probing, backward-shift deletion; grows by
// doubling (amortised; no allocation once it has reached its peak size).
class PairMap {
public:
    PairMap() { rehash(1024); }
    std::int64_t* find(std::uint64_t key, std::int32_t worker);
    const std::int64_t* find(std::uint64_t key, std::int32_t worker) const {
        return const_cast<PairMap*>(this)->find(key, worker);
    }
    std::int64_t& upsert(std::uint64_t key, std::int32_t worker);  // inserts 0 when absent
    bool erase(std::uint64_t key, std::int32_t worker);
    // Drops every entry of `worker` (a worker left the fleet; planner). O(capacity); not on the hot path.
    void erase_worker(std::int32_t worker);
    std::size_t size() const { return size_; }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::int32_t worker = -1;  // -1 = empty
        std::int64_t value = 0;
    };
    std::size_t home(std::uint64_t key, std::int32_t worker) const;
    void rehash(std::size_t cap);
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

// The router's view of which worker caches which block.
class KvIndexer {
public:
    // approx: no events; record_route() inserts blocks that expire `ttl_ns` later.
    KvIndexer(std::int32_t workers, core::TimeNs event_delay_ns, bool approx, core::TimeNs ttl_ns);
    // A KV event published by `worker` at `t`; applied once t + delay <= the query time.
    void publish(std::int32_t worker, std::uint64_t key, bool stored, core::TimeNs t);
    // Applies every event seen by `now` and drops approximate entries expired by then.
    void advance(core::TimeNs now);
    // Approximate mode: `worker` is assumed to cache `keys` until now + ttl (refreshing earlier entries).
    void record_route(std::int32_t worker, std::span<const std::uint64_t> keys, core::TimeNs now);
    // Per worker, the number of leading `keys` it holds (consecutive from the first), into `out`.
    void overlaps(std::span<const std::uint64_t> keys, std::span<std::int32_t> out) const;
    // A KVBM tier event (engine/kv_events.hpp): `key` stored in / removed from `worker`'s tier `tier` (0 host,
    // 1 disk, 2 remote) at `t`; applied once t + delay <= the query time, in time order.
    void publish_tier(std::int32_t worker, std::int32_t tier, std::uint64_t key, bool stored, core::TimeNs t);
    // Per worker, the keys after its GPU prefix (`device[w]` blocks) that its lower tiers hold, consecutive
    // up to the first no tier holds, each counted in the highest tier holding it: host into `host`, disk or
    // remote into `disk` (Dynamo's router folds external storage into its disk overlap). All zero while no
    // tier event has been applied.
    void tier_overlaps(std::span<const std::uint64_t> keys, std::span<const std::int32_t> device,
                       std::span<std::int32_t> host, std::span<std::int32_t> disk) const;
    bool holds_in_tier(std::int32_t worker, std::int32_t tier, std::uint64_t key) const {
        const std::int64_t* m = tiers_.find(key, worker);
        return m && (*m >> tier & 1);
    }
    bool holds(std::int32_t worker, std::uint64_t key) const { return map_.find(key, worker) != nullptr; }
    std::size_t entries() const { return map_.size(); }
    bool approximate() const { return approx_; }
    // `worker` left the fleet (its cache is gone): its entries and unapplied events are dropped.
    void clear_worker(std::int32_t worker);

private:
    struct Ev {
        core::TimeNs t;
        std::uint64_t key;
        bool stored;
    };
    struct Expiry {
        core::TimeNs at;
        std::uint64_t key;
        std::int32_t worker;
    };
    struct TierEv {  // a min-heap on (t, seq): tier stores are stamped when their copy lands, out of order
        core::TimeNs t;
        std::uint64_t seq;
        std::uint64_t key;
        std::int32_t worker;
        std::int8_t tier;
        bool stored;
        static bool later(const TierEv& a, const TierEv& b) { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
    };
    std::int32_t workers_;
    core::TimeNs delay_;
    bool approx_;
    core::TimeNs ttl_;
    PairMap map_;  // event mode: presence; approximate mode: expiry time
    std::vector<core::RingDeque<Ev>> queues_;  // per worker, in publication order
    core::RingDeque<Expiry> expiries_;         // approximate mode, in expiry order (TTL is constant)
    PairMap tiers_;                            // KVBM tiers: (key, worker) -> bit per tier holding it
    std::vector<TierEv> tier_events_;          // heap of KVBM tier events not yet applied
    std::uint64_t tier_seq_ = 0;
};

// Per-worker load as the router predicts it (Dynamo's ActiveSequences with router_track_output_blocks off).
class ActiveLoads {
public:
    ActiveLoads(std::int32_t workers, std::size_t requests);
    // Blocks `keys` (+ `extra` unkeyed blocks) of a request would add on `worker`: those not already held
    // by another in-flight request there.
    std::int64_t new_blocks(std::int32_t worker, std::span<const std::uint64_t> keys, std::int32_t extra) const;
    void add(std::uint64_t request, std::int32_t worker, std::span<const std::uint64_t> keys, std::int32_t extra,
             std::int64_t prefill_tokens);
    void prefill_completed(std::uint64_t request);  // first token streamed: its prefill tokens leave
    void free(std::uint64_t request, std::span<const std::uint64_t> keys);  // response ended: blocks leave
    bool tracked(std::uint64_t request) const { return reqs_[request].worker >= 0; }
    std::int64_t prefill_tokens(std::int32_t w) const { return prefill_[static_cast<std::size_t>(w)]; }
    std::int64_t blocks(std::int32_t w) const { return blocks_[static_cast<std::size_t>(w)]; }

private:
    struct Req {
        std::int32_t worker = -1;
        std::int32_t extra = 0;
        std::int64_t prefill_tokens = 0;  // still counted as active prefill (0 once completed)
    };
    std::vector<std::int64_t> prefill_, blocks_;
    std::vector<Req> reqs_;
    PairMap refs_;  // (key, worker) -> in-flight requests holding it
};

// Dynamo's cost over candidate workers and the pick (argmin with random ties, or softmax sampling).
// logits in, index out. Exposed for tests.
std::size_t select_worker(std::span<const double> logits, double temperature, core::Rng& rng);

class KvRouter final : public Router, public engine::EngineEventSink {
public:
    KvRouter(const RouterOptions& o, core::Rng rng);

    // Wires the router to its pool: the workload (keys are computed from its requests), the engines' KV
    // block size, the pool's size, and the global index of its first worker (events carry global indices).
    void bind(const workload::Workload& wl, std::int32_t block_size, std::int32_t workers,
              std::int32_t first_worker = 0);
    // Router: picks at the request's arrival time.
    std::size_t choose(const workload::Request& r, std::span<const engine::WorkerLoad> loads) override {
        cur_loads_ = loads;
        const std::size_t w = choose_at(r, r.arrival_ns, loads.size());
        cur_loads_ = {};
        return w;
    }
    // An external chooser (router.plugin_kv_indexer): it picks from this router's figures (choose_kv) in
    // place of the built-in cost; the indexer, the loads and the booking stay this router's.
    void set_chooser(std::unique_ptr<Router> chooser) { chooser_ = std::move(chooser); }
    // Picks a worker (pool-local index) for `r` at `now`, and books it there.
    std::size_t choose_at(const workload::Request& r, core::TimeNs now, std::size_t workers);
    // The last choice's predicted overlap on the chosen worker, in blocks.
    std::int32_t last_overlap_blocks() const { return last_overlap_; }
    // The request never ran (rejected by the engine): its booking is dropped.
    void on_rejected(std::uint64_t request);
    // Prefill-pool router in a disaggregated fleet: the prefill is done; the request leaves this pool.
    void on_left_pool(std::uint64_t request);
    // Planner (planned_fleet.hpp): only workers with mask[w] != 0 may be chosen (empty = all; the mask is
    // read at every choice, so the caller updates it in place). Not with an external chooser.
    void set_eligible(std::span<const std::uint8_t> mask) { eligible_ = mask; }
    // Planner: the worker in slot `w` left (or is replaced by a fresh one): the router forgets its cache.
    void reset_worker(std::int32_t w);

    // engine::EngineEventSink (worker indices global).
    void kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) override;
    void kv_tier_stored(std::int32_t worker, std::int32_t tier, std::uint64_t key, core::TimeNs t) override;
    void kv_tier_removed(std::int32_t worker, std::int32_t tier, std::uint64_t key, core::TimeNs t) override;
    void first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;
    void finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) override;

    const KvIndexer& indexer(std::size_t replica = 0) const;
    const ActiveLoads& loads(std::size_t replica = 0) const { return *states_[state_of(replica)].loads; }
    std::size_t replicas() const { return static_cast<std::size_t>(opts_.replicas); }
    const RouterOptions& options() const { return opts_; }
    std::int32_t block_size() const { return block_size_; }

private:
    struct State {
        std::unique_ptr<ActiveLoads> loads;
        std::unique_ptr<KvIndexer> approx;  // approximate mode only
    };
    std::size_t state_of(std::size_t replica) const { return opts_.replica_sync ? 0 : replica; }
    KvIndexer& indexer_mut(std::size_t state);
    std::size_t book(const workload::Request& r, core::TimeNs now, std::size_t st, std::size_t pick);
    void keys_of(const workload::Request& r);
    std::int32_t extra_blocks(const workload::Request& r) const;
    // host_cache_hit_weight x host overlap + disk_cache_hit_weight x disk overlap of worker w, blocks.
    double tier_credit_blocks(std::size_t w) const;

    RouterOptions opts_;
    core::Rng rng_;
    const workload::Workload* wl_ = nullptr;
    std::int32_t block_size_ = 16;
    std::int32_t group_blocks_ = 32;
    std::int32_t workers_ = 0;
    std::int32_t first_worker_ = 0;
    std::unique_ptr<KvIndexer> events_;  // event mode: every replica receives every event (one shared view)
    std::vector<State> states_;
    std::vector<std::int32_t> replica_of_;  // per request: the replica that routed it (-1 = none)
    std::size_t next_replica_ = 0;
    // Scratch, reused.
    std::vector<std::uint64_t> keys_;
    std::vector<std::int32_t> overlap_;
    std::vector<std::int32_t> host_overlap_, disk_overlap_;  // KVBM tiers beyond overlap_, blocks
    std::vector<double> logits_;
    std::int32_t last_overlap_ = 0;
    std::unique_ptr<Router> chooser_;
    std::span<const engine::WorkerLoad> cur_loads_;
    std::vector<std::int64_t> fig_prefill_, fig_blocks_, fig_new_;
    std::span<const std::uint8_t> eligible_;  // planner: choosable workers (empty = all)
    std::vector<double> cand_logits_;         // scratch: logits of the eligible workers
    std::vector<std::size_t> cand_;           // scratch: their indices
};

std::unique_ptr<Router> make_kv_router(const RouterOptions& o, core::Rng rng);

// The routers of an aggregated fleet: one per replica for stateful built-ins without shared state (each
// frontend replica keeps its own counter or RNG), a single one otherwise; a KV router handles its replicas
// itself. KV routers are bound to the workload and pool.
std::vector<std::unique_ptr<Router>> make_routers(const RouterOptions& o, core::Rng rng, const workload::Workload& wl,
                                                  std::int32_t block_size, std::int32_t workers);

}  // namespace dynosim::sim::fleet
