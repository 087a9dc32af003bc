// What an engine tells the outside world as it runs, for routers that track workers themselves (Dynamo's
// KV router): KV events (a full block was stored in the prefix cache under its key, or a cached block was
// evicted), and request lifecycle (first token streamed, response finished, prefill-only request done).
// Engines buffer KV events while planning a step and publish them when the step ends, as vLLM's engine core
// collects them with take_events() after each step and publishes them over ZMQ.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/kv/cache_policy.hpp"
#include "sim/kv/kv_cache_manager.hpp"

namespace dynosim::sim::engine {

class EngineEventSink {
public:
    virtual ~EngineEventSink() = default;
    // KV events of `worker`, in publication order: `stored` names blocks (chained prefix keys, see
    // kv/block_key.hpp) now cached, `removed` blocks evicted from the cache.
    virtual void kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) = 0;
    virtual void kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) = 0;
    // KVBM tier events of `worker` (kv/kvbm.hpp KvbmEvent): `key` became usable in, or was dropped from, its
    // lower tier `tier` (0 host, 1 disk, 2 remote) at `t`, which may lie after the publishing step (a copy
    // lands later) but never precedes the store a removal undoes. Sinks without a per-tier view ignore them.
    virtual void kv_tier_stored(std::int32_t /*worker*/, std::int32_t /*tier*/, std::uint64_t /*key*/,
                                core::TimeNs /*t*/) {}
    virtual void kv_tier_removed(std::int32_t /*worker*/, std::int32_t /*tier*/, std::uint64_t /*key*/,
                                 core::TimeNs /*t*/) {}
    // The request's first output token was produced on `worker` (Dynamo's MarkPrefillCompleted).
    virtual void first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) = 0;
    // The request finished on `worker` (Dynamo's Free).
    virtual void finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) = 0;
    // A prefill-role engine computed the prompt of `request` (and its one token); its KV is ready to move.
    virtual void prefill_done(std::int32_t /*worker*/, std::uint64_t /*request*/, core::TimeNs /*now*/) {}
};

// Buffers one engine's KV events during a step and hands them to the sink at the step's end. The engine's
// block pool tells it of evictions (kv::EvictionObserver).
class KvEventPublisher final : public kv::EvictionObserver {
public:
    void init(std::int32_t worker, std::int32_t num_blocks) {
        worker_ = worker;
        cached_.assign(static_cast<std::size_t>(num_blocks), 0);
    }
    void set_sink(EngineEventSink* s) { sink_ = s; }
    EngineEventSink* sink() const { return sink_; }
    bool active() const { return sink_ != nullptr; }
    // Block `b` now holds key `key` in the pool's prefix map.
    void stored(kv::BlockId b, std::uint64_t key) {
        cached_[static_cast<std::size_t>(b)] = 1;
        if (sink_) pending_.push_back({key, true});
    }
    bool cached(kv::BlockId b) const { return cached_[static_cast<std::size_t>(b)] != 0; }
    // The pool reuses block `b` for new content, dropping `key`: announced if its store was. Without a sink
    // nothing is ever marked stored (publish_registered does nothing).
    void evicted(kv::BlockId b, std::uint64_t key) override {
        if (!sink_) return;
        auto& c = cached_[static_cast<std::size_t>(b)];
        if (!c) return;
        pending_.push_back({key, false});
        c = 0;
    }
    // Publishes what the step buffered, stamped `now`.
    void flush(core::TimeNs now) {
        if (!sink_) {
            pending_.clear();
            return;
        }
        for (const Pending& p : pending_) {
            if (p.stored) sink_->kv_stored(worker_, p.key, now);
            else sink_->kv_removed(worker_, p.key, now);
        }
        pending_.clear();
    }

private:
    struct Pending {
        std::uint64_t key;
        bool stored;
    };
    std::int32_t worker_ = 0;
    EngineEventSink* sink_ = nullptr;
    std::vector<std::uint8_t> cached_;
    std::vector<Pending> pending_;
};

// After kv.allocate(): publishes the blocks of `seq` from `from` on that became the pool's holder of their
// key (the first holder wins in the pool, and a key already cached elsewhere is no new event).
inline void publish_registered(KvEventPublisher& pub, const kv::KvCacheManager& kv, const kv::SeqKv& seq,
                               std::span<const std::uint64_t> keys, std::int32_t from) {
    if (!pub.active() || !kv.pool().prefix_caching()) return;
    kv::BlockPool::Cursor c;
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(seq.num_registered), keys.size());
    for (std::size_t i = static_cast<std::size_t>(from < 0 ? 0 : from); i < n; ++i) {
        const kv::BlockId b = seq.blocks[i];
        if (!pub.cached(b) && kv.pool().find(keys[i], c) == b) pub.stored(b, keys[i]);
    }
}

}  // namespace dynosim::sim::engine
