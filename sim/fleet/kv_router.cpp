#include "sim/fleet/kv_router.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/errors.hpp"
#include "sim/workload/block_hashes.hpp"

namespace dynosim::sim::fleet {

// ---- PairMap ----

std::size_t PairMap::home(std::uint64_t key, std::int32_t worker) const {
    std::uint64_t h = key ^ (static_cast<std::uint64_t>(worker) + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return static_cast<std::size_t>(h) & mask_;
}

void PairMap::rehash(std::size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    size_ = 0;
    for (const Slot& s : old)
        if (s.worker >= 0) upsert(s.key, s.worker) = s.value;
}

std::int64_t* PairMap::find(std::uint64_t key, std::int32_t worker) {
    for (std::size_t i = home(key, worker);; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.worker < 0) return nullptr;
        if (s.key == key && s.worker == worker) return &s.value;
    }
}

std::int64_t& PairMap::upsert(std::uint64_t key, std::int32_t worker) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    for (std::size_t i = home(key, worker);; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.worker < 0) {
            s = Slot{key, worker, 0};
            ++size_;
            return s.value;
        }
        if (s.key == key && s.worker == worker) return s.value;
    }
}

bool PairMap::erase(std::uint64_t key, std::int32_t worker) {
    std::size_t i = home(key, worker);
    for (;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.worker < 0) return false;
        if (s.key == key && s.worker == worker) break;
    }
    // Backward-shift deletion: move later members of the probe run into the hole when their home allows.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
        const Slot& s = slots_[j];
        if (s.worker < 0) break;
        const std::size_t h = home(s.key, s.worker);
        // s may move to `hole` if hole lies cyclically in [h, j).
        const bool movable = (j > hole) ? (h <= hole || h > j) : (h <= hole && h > j);
        if (movable) {
            slots_[hole] = s;
            hole = j;
        }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
}

// ---- KvIndexer ----

KvIndexer::KvIndexer(std::int32_t workers, core::TimeNs event_delay_ns, bool approx, core::TimeNs ttl_ns)
    : workers_(workers), delay_(event_delay_ns), approx_(approx), ttl_(ttl_ns),
      queues_(static_cast<std::size_t>(workers)) {}

void KvIndexer::publish(std::int32_t worker, std::uint64_t key, bool stored, core::TimeNs t) {
    if (approx_) return;  // no events in approximate mode
    queues_[static_cast<std::size_t>(worker)].push_back({t, key, stored});
}

void KvIndexer::advance(core::TimeNs now) {
    if (approx_) {
        while (!expiries_.empty() && expiries_.front().at <= now) {
            const Expiry e = expiries_.front();
            expiries_.pop_front();
            if (const std::int64_t* v = map_.find(e.key, e.worker); v && *v == e.at) map_.erase(e.key, e.worker);
        }
        return;
    }
    // KVBM tier events in time order (ties in publication order).
    while (!tier_events_.empty() && tier_events_.front().t + delay_ <= now) {
        std::pop_heap(tier_events_.begin(), tier_events_.end(), TierEv::later);
        const TierEv e = tier_events_.back();
        tier_events_.pop_back();
        const std::int64_t bit = std::int64_t{1} << e.tier;
        if (e.stored) {
            tiers_.upsert(e.key, e.worker) |= bit;
        } else if (std::int64_t* m = tiers_.find(e.key, e.worker)) {
            *m &= ~bit;
            if (*m == 0) tiers_.erase(e.key, e.worker);
        }
    }
    // Per worker in publication order; workers' entries are independent, so the order across them is moot.
    for (std::int32_t w = 0; w < workers_; ++w) {
        auto& q = queues_[static_cast<std::size_t>(w)];
        while (!q.empty() && q.front().t + delay_ <= now) {
            const Ev e = q.front();
            q.pop_front();
            if (e.stored) map_.upsert(e.key, w) = 1;
            else map_.erase(e.key, w);
        }
    }
}

void KvIndexer::record_route(std::int32_t worker, std::span<const std::uint64_t> keys, core::TimeNs now) {
    if (!approx_) return;
    const core::TimeNs at = now + ttl_;
    for (std::uint64_t k : keys) {
        map_.upsert(k, worker) = at;
        expiries_.push_back({at, k, worker});
    }
}

void KvIndexer::overlaps(std::span<const std::uint64_t> keys, std::span<std::int32_t> out) const {
    for (std::int32_t w = 0; w < workers_; ++w) {
        std::size_t n = 0;
        while (n < keys.size() && map_.find(keys[n], w) != nullptr) ++n;
        out[static_cast<std::size_t>(w)] = static_cast<std::int32_t>(n);
    }
}

void KvIndexer::publish_tier(std::int32_t worker, std::int32_t tier, std::uint64_t key, bool stored, core::TimeNs t) {
    if (approx_) return;  // no events in approximate mode
    tier_events_.push_back({t, tier_seq_++, key, worker, static_cast<std::int8_t>(tier), stored});
    std::push_heap(tier_events_.begin(), tier_events_.end(), TierEv::later);
}

void KvIndexer::tier_overlaps(std::span<const std::uint64_t> keys, std::span<const std::int32_t> device,
                              std::span<std::int32_t> host, std::span<std::int32_t> disk) const {
    std::fill(host.begin(), host.end(), 0);
    std::fill(disk.begin(), disk.end(), 0);
    if (tiers_.size() == 0) return;
    for (std::int32_t w = 0; w < workers_; ++w) {
        const auto i = static_cast<std::size_t>(w);
        for (auto n = static_cast<std::size_t>(device[i]); n < keys.size(); ++n) {
            const std::int64_t* m = tiers_.find(keys[n], w);
            if (!m || *m == 0) break;
            if (*m & 1) ++host[i];
            else ++disk[i];
        }
    }
}

// ---- ActiveLoads ----

ActiveLoads::ActiveLoads(std::int32_t workers, std::size_t requests)
    : prefill_(static_cast<std::size_t>(workers), 0), blocks_(static_cast<std::size_t>(workers), 0), reqs_(requests) {}

std::int64_t ActiveLoads::new_blocks(std::int32_t worker, std::span<const std::uint64_t> keys,
                                     std::int32_t extra) const {
    std::int64_t n = extra;
    for (std::uint64_t k : keys) n += refs_.find(k, worker) == nullptr;
    return n;
}

void ActiveLoads::add(std::uint64_t request, std::int32_t worker, std::span<const std::uint64_t> keys,
                      std::int32_t extra, std::int64_t prefill_tokens) {
    Req& q = reqs_[request];
    DYNOSIM_ASSERT(q.worker < 0);
    q.worker = worker;
    q.extra = extra;
    q.prefill_tokens = prefill_tokens;
    const auto w = static_cast<std::size_t>(worker);
    prefill_[w] += prefill_tokens;
    blocks_[w] += extra;
    for (std::uint64_t k : keys)
        if (std::int64_t& r = refs_.upsert(k, worker); r++ == 0) ++blocks_[w];
}

void ActiveLoads::prefill_completed(std::uint64_t request) {
    Req& q = reqs_[request];
    if (q.worker < 0) return;
    prefill_[static_cast<std::size_t>(q.worker)] -= q.prefill_tokens;
    q.prefill_tokens = 0;
}

void ActiveLoads::free(std::uint64_t request, std::span<const std::uint64_t> keys) {
    Req& q = reqs_[request];
    if (q.worker < 0) return;
    const auto w = static_cast<std::size_t>(q.worker);
    prefill_[w] -= q.prefill_tokens;
    blocks_[w] -= q.extra;
    for (std::uint64_t k : keys) {
        std::int64_t* r = refs_.find(k, q.worker);
        DYNOSIM_ASSERT(r != nullptr);
        if (--*r == 0) {
            refs_.erase(k, q.worker);
            --blocks_[w];
        }
    }
    q = Req{};
}

// ---- selection ----

std::size_t select_worker(std::span<const double> logits, double temperature, core::Rng& rng) {
    DYNOSIM_ASSERT(!logits.empty());
    double lo = logits[0], hi = logits[0];
    for (double l : logits) {
        lo = std::min(lo, l);
        hi = std::max(hi, l);
    }
    if (temperature <= 0 || hi == lo) {
        // argmin; ties uniformly at random (reservoir sampling over the tied workers, as Dynamo's selector).
        std::size_t pick = 0, tied = 0;
        for (std::size_t i = 0; i < logits.size(); ++i) {
            if (logits[i] != lo) continue;
            ++tied;
            if (tied == 1 || rng.below(tied) == 0) pick = i;
        }
        return pick;
    }
    // softmax over normalised negated logits: p_i ~ exp(-(l_i - min) / ((max - min) T)); one uniform draw.
    const double scale = (hi - lo) * temperature;
    double total = 0;
    for (double l : logits) total += std::exp(-(l - lo) / scale);
    const double u = rng.uniform() * total;
    double acc = 0;
    for (std::size_t i = 0; i < logits.size(); ++i) {
        acc += std::exp(-(logits[i] - lo) / scale);
        if (u < acc) return i;
    }
    return logits.size() - 1;
}

// ---- KvRouter ----

KvRouter::KvRouter(const RouterOptions& o, core::Rng rng) : opts_(o), rng_(rng) {}

void KvRouter::bind(const workload::Workload& wl, std::int32_t block_size, std::int32_t workers,
                    std::int32_t first_worker) {
    wl_ = &wl;
    block_size_ = block_size;
    group_blocks_ = workload::group_blocks(wl, block_size);
    workers_ = workers;
    first_worker_ = first_worker;
    const core::TimeNs delay = static_cast<core::TimeNs>(std::llround(opts_.kv_event_delay_ms * 1e6));
    const core::TimeNs ttl = static_cast<core::TimeNs>(std::llround(opts_.ttl_s * 1e9));
    if (opts_.use_kv_events) events_ = std::make_unique<KvIndexer>(workers, delay, false, 0);
    states_.clear();
    const std::size_t n = opts_.replica_sync ? 1 : static_cast<std::size_t>(opts_.replicas);
    for (std::size_t i = 0; i < n; ++i) {
        State s;
        s.loads = std::make_unique<ActiveLoads>(workers, wl.requests.size());
        if (!opts_.use_kv_events) s.approx = std::make_unique<KvIndexer>(workers, 0, true, ttl);
        states_.push_back(std::move(s));
    }
    replica_of_.assign(wl.requests.size(), -1);
    overlap_.assign(static_cast<std::size_t>(workers), 0);
    host_overlap_.assign(static_cast<std::size_t>(workers), 0);
    disk_overlap_.assign(static_cast<std::size_t>(workers), 0);
    logits_.assign(static_cast<std::size_t>(workers), 0.0);
}

KvIndexer& KvRouter::indexer_mut(std::size_t state) {
    return events_ ? *events_ : *states_[state].approx;
}

const KvIndexer& KvRouter::indexer(std::size_t replica) const {
    return events_ ? *events_ : *states_[state_of(replica)].approx;
}

void KvRouter::keys_of(const workload::Request& r) {
    keys_.clear();
    workload::engine_block_hashes(r, block_size_, r.input_tokens, 0, keys_, group_blocks_);
}

std::int32_t KvRouter::extra_blocks(const workload::Request& r) const {
    return r.input_tokens % block_size_ != 0 ? 1 : 0;  // the partial last block, never shared
}

std::size_t KvRouter::choose_at(const workload::Request& r, core::TimeNs now, std::size_t workers) {
    DYNOSIM_ASSERT(wl_ != nullptr && static_cast<std::int32_t>(workers) == workers_);
    const std::size_t replica = next_replica_++ % static_cast<std::size_t>(opts_.replicas);
    const std::size_t st = state_of(replica);
    KvIndexer& idx = indexer_mut(st);
    ActiveLoads& loads = *states_[st].loads;
    idx.advance(now);
    keys_of(r);
    const std::int32_t extra = extra_blocks(r);
    if (chooser_) {
        idx.overlaps(keys_, overlap_);  // the chooser's weight is its own: always give the overlap
        const auto n = static_cast<std::size_t>(workers_);
        fig_prefill_.resize(n);
        fig_blocks_.resize(n);
        fig_new_.resize(n);
        for (std::int32_t w = 0; w < workers_; ++w) {
            const auto i = static_cast<std::size_t>(w);
            fig_prefill_[i] = loads.prefill_tokens(w);
            fig_blocks_[i] = loads.blocks(w);
            fig_new_[i] = loads.new_blocks(w, keys_, extra);
        }
        const KvFigures fig{overlap_, fig_prefill_, fig_blocks_, fig_new_, block_size_, &rng_};
        const std::size_t pick = chooser_->choose_kv(r, cur_loads_, fig);
        DYNOSIM_ASSERT(pick < n);
        return book(r, now, st, pick);
    }
    if (opts_.overlap_score_weight > 0) idx.overlaps(keys_, overlap_);
    else std::fill(overlap_.begin(), overlap_.end(), 0);  // weight 0: pure load balancing, no indexer query
    // KVBM tiers: the prefix beyond each worker's GPU blocks found in its host / disk tiers is credited at
    // the tier's weight (Dynamo's overlap_credit_blocks); nothing while no tier has published a block.
    if (opts_.overlap_score_weight > 0) idx.tier_overlaps(keys_, overlap_, host_overlap_, disk_overlap_);
    const double bs = block_size_;
    for (std::int32_t w = 0; w < workers_; ++w) {
        const auto i = static_cast<std::size_t>(w);
        const std::int64_t new_tokens =
            std::max<std::int64_t>(0, r.input_tokens - static_cast<std::int64_t>(overlap_[i]) * block_size_);
        double prefill_blocks = static_cast<double>(loads.prefill_tokens(w) + new_tokens) / bs;
        if (host_overlap_[i] > 0 || disk_overlap_[i] > 0)
            prefill_blocks = std::max(0.0, prefill_blocks - tier_credit_blocks(i));
        const double decode_blocks = static_cast<double>(loads.blocks(w) + loads.new_blocks(w, keys_, extra));
        logits_[i] = opts_.overlap_score_weight * prefill_blocks + decode_blocks;
    }
    if (!eligible_.empty()) {  // planner: choose among the ready workers only
        cand_.clear();
        cand_logits_.clear();
        for (std::size_t i = 0; i < logits_.size(); ++i)
            if (eligible_[i]) {
                cand_.push_back(i);
                cand_logits_.push_back(logits_[i]);
            }
        DYNOSIM_ASSERT(!cand_.empty());
        return book(r, now, st, cand_[select_worker(cand_logits_, opts_.temperature, rng_)]);
    }
    return book(r, now, st, select_worker(logits_, opts_.temperature, rng_));
}

void KvRouter::reset_worker(std::int32_t w) {
    if (events_) events_->clear_worker(w);
    for (auto& s : states_)
        if (s.approx) s.approx->clear_worker(w);
}

void KvIndexer::clear_worker(std::int32_t worker) {
    if (!approx_) {
        auto& q = queues_[static_cast<std::size_t>(worker)];
        while (!q.empty()) q.pop_front();
    }
    map_.erase_worker(worker);
}

void PairMap::erase_worker(std::int32_t worker) {
    std::vector<std::uint64_t> keys;
    for (const Slot& s : slots_)
        if (s.worker == worker) keys.push_back(s.key);
    for (std::uint64_t k : keys) erase(k, worker);
}

std::size_t KvRouter::book(const workload::Request& r, core::TimeNs now, std::size_t st, std::size_t pick) {
    KvIndexer& idx = indexer_mut(st);
    ActiveLoads& loads = *states_[st].loads;
    const std::int32_t extra = extra_blocks(r);
    const auto w = static_cast<std::int32_t>(pick);
    last_overlap_ = overlap_[pick];
    // Cached tokens as Dynamo books them: GPU blocks plus lower-tier blocks at their weights.
    std::int64_t cached = static_cast<std::int64_t>(overlap_[pick]) * block_size_;
    if (host_overlap_[pick] > 0 || disk_overlap_[pick] > 0)
        cached += std::llround(tier_credit_blocks(pick) * block_size_);
    const std::int64_t new_tokens = std::max<std::int64_t>(0, r.input_tokens - cached);
    loads.add(r.id, w, keys_, extra, new_tokens);
    idx.record_route(w, keys_, now);
    replica_of_[r.id] = static_cast<std::int32_t>(st);
    return pick;
}

void KvRouter::on_rejected(std::uint64_t request) {
    const std::int32_t st = replica_of_[request];
    if (st < 0) return;
    keys_of(wl_->requests[request]);
    states_[static_cast<std::size_t>(st)].loads->free(request, keys_);
    replica_of_[request] = -1;
}

void KvRouter::on_left_pool(std::uint64_t request) { on_rejected(request); }

void KvRouter::kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    if (events_) events_->publish(worker - first_worker_, key, true, now);
}

void KvRouter::kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    if (events_) events_->publish(worker - first_worker_, key, false, now);
}

void KvRouter::kv_tier_stored(std::int32_t worker, std::int32_t tier, std::uint64_t key, core::TimeNs t) {
    if (events_) events_->publish_tier(worker - first_worker_, tier, key, true, t);
}

void KvRouter::kv_tier_removed(std::int32_t worker, std::int32_t tier, std::uint64_t key, core::TimeNs t) {
    if (events_) events_->publish_tier(worker - first_worker_, tier, key, false, t);
}

double KvRouter::tier_credit_blocks(std::size_t w) const {
    return opts_.host_cache_hit_weight * host_overlap_[w] + opts_.disk_cache_hit_weight * disk_overlap_[w];
}

void KvRouter::first_token(std::int32_t, std::uint64_t request, core::TimeNs) {
    const std::int32_t st = replica_of_[request];
    if (st >= 0) states_[static_cast<std::size_t>(st)].loads->prefill_completed(request);
}

void KvRouter::finished(std::int32_t, std::uint64_t request, core::TimeNs) { on_rejected(request); }

std::unique_ptr<Router> make_kv_router(const RouterOptions& o, core::Rng rng) {
    return std::make_unique<KvRouter>(o, rng);
}

std::vector<std::unique_ptr<Router>> make_routers(const RouterOptions& o, core::Rng rng, const workload::Workload& wl,
                                                  std::int32_t block_size, std::int32_t workers) {
    std::vector<std::unique_ptr<Router>> out;
    const bool kv_plugin = o.policy == "plugin" && o.plugin_kv_indexer;
    if (kv_plugin) {  // the KV router's indexer and loads, the plugin's choice
        auto kv = std::make_unique<KvRouter>(o, rng);
        kv->set_chooser(make_router(o, rng));
        kv->bind(wl, block_size, workers);
        out.push_back(std::move(kv));
        return out;
    }
    const std::int32_t n = (o.policy == "kv" || o.replica_sync) ? 1 : o.replicas;
    for (std::int32_t i = 0; i < n; ++i)
        out.push_back(make_router(o, i == 0 ? rng : rng.fork(0x7265706cULL + static_cast<std::uint64_t>(i))));
    if (auto* kv = dynamic_cast<KvRouter*>(out.front().get())) kv->bind(wl, block_size, workers);
    return out;
}

}  // namespace dynosim::sim::fleet
