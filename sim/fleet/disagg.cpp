#include "sim/fleet/disagg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"
#include "sim/fleet/kv_router.hpp"

namespace dynosim::sim::fleet {

std::vector<std::string> DisaggOptions::validate() const {
    std::vector<std::string> out;
    if (!enabled) return out;
    auto require = [&](bool ok, const char* key, const auto& value, const char* rule) {
        if (!ok) out.push_back(fmt::format("{} = {}: {}", key, value, rule));
    };
    require(flow == "prefill_first" || flow == "decode_first", "disagg.flow", flow,
            "must be \"prefill_first\" or \"decode_first\"");
    require(prefill.workers >= 1, "disagg.prefill.workers", prefill.workers,
            "a disaggregated fleet needs a prefill pool (>= 1 worker)");
    require(decode.workers >= 1, "disagg.decode.workers", decode.workers,
            "a disaggregated fleet needs a decode pool (>= 1 worker)");
    for (const auto& [name, p] : {std::pair{"prefill", &prefill}, std::pair{"decode", &decode}}) {
        auto key = [&](const char* k) { return fmt::format("disagg.{}.{}", name, k); };
        if (p->tp < 0) out.push_back(fmt::format("{} = {}: must be >= 0 (0 = hardware.tp)", key("tp"), p->tp));
        if (p->max_num_batched_tokens < 0)
            out.push_back(fmt::format("{} = {}: must be >= 0 (0 = engine.max_num_batched_tokens)",
                                      key("max_num_batched_tokens"), p->max_num_batched_tokens));
        if (p->max_num_seqs < 0)
            out.push_back(fmt::format("{} = {}: must be >= 0 (0 = engine.max_num_seqs)", key("max_num_seqs"),
                                      p->max_num_seqs));
        if (!p->router.empty() && p->router != "round_robin" && p->router != "random" &&
            p->router != "least_loaded" && p->router != "kv")
            out.push_back(fmt::format("{} = {}: must be round_robin, random, least_loaded, kv or \"\" (router.policy)",
                                      key("router"), p->router));
    }
    require(bypass_below_tokens >= 0, "disagg.bypass_below_tokens", bypass_below_tokens, "must be >= 0");
    require(max_local_prefill_length >= 0, "disagg.max_local_prefill_length", max_local_prefill_length,
            "must be >= 0");
    require(max_prefill_queue_size >= 0, "disagg.max_prefill_queue_size", max_prefill_queue_size, "must be >= 0");
    require(decode_overlap_score_weight >= 0, "disagg.decode_overlap_score_weight", decode_overlap_score_weight,
            "must be >= 0");
    require(link.kind == "rdma" || link.kind == "nvlink", "disagg.link.kind", link.kind,
            "must be \"rdma\" or \"nvlink\"");
    require(link.rdma_bandwidth_gbs > 0, "disagg.link.rdma_bandwidth_gbs", link.rdma_bandwidth_gbs,
            "must be > 0 (GB/s per GPU and direction)");
    require(link.nvlink_bandwidth_gbs > 0, "disagg.link.nvlink_bandwidth_gbs", link.nvlink_bandwidth_gbs,
            "must be > 0 (GB/s per GPU and direction)");
    require(link.rdma_latency_us >= 0, "disagg.link.rdma_latency_us", link.rdma_latency_us, "must be >= 0");
    require(link.nvlink_latency_us >= 0, "disagg.link.nvlink_latency_us", link.nvlink_latency_us, "must be >= 0");
    return out;
}

core::TimeNs transfer_duration_ns(std::int64_t bytes, double gbs_per_gpu, std::int32_t parallel_ranks,
                                  double latency_us) {
    DYNOSIM_ASSERT(gbs_per_gpu > 0 && parallel_ranks >= 1);
    const double wire_ns = static_cast<double>(bytes) / (gbs_per_gpu * parallel_ranks);  // GB/s = bytes/ns
    return static_cast<core::TimeNs>(std::ceil(wire_ns)) + static_cast<core::TimeNs>(std::llround(latency_us * 1e3));
}

std::vector<std::unique_ptr<Router>> make_pool_routers(const RouterOptions& o, core::Rng rng,
                                                       const workload::Workload& wl, std::int32_t block_size,
                                                       std::int32_t workers, std::int32_t first_worker) {
    std::vector<std::unique_ptr<Router>> out;
    const std::int32_t n = (o.policy == "kv" || o.replica_sync) ? 1 : o.replicas;
    for (std::int32_t i = 0; i < n; ++i)
        out.push_back(make_router(o, i == 0 ? rng : rng.fork(0x7265706cULL + static_cast<std::uint64_t>(i))));
    if (auto* kv = dynamic_cast<KvRouter*>(out.front().get())) kv->bind(wl, block_size, workers, first_worker);
    return out;
}

DisaggFleet::DisaggFleet(const workload::Workload& wl, metrics::Recorder& rec, const Config& cfg,
                         std::vector<std::unique_ptr<Router>> prefill_routers,
                         std::vector<std::unique_ptr<engine::Worker>> prefill,
                         std::vector<std::unique_ptr<Router>> decode_routers,
                         std::vector<std::unique_ptr<engine::Worker>> decode)
    : wl_(wl),
      rec_(rec),
      cfg_(cfg),
      prouters_(std::move(prefill_routers)),
      drouters_(std::move(decode_routers)),
      prefill_(std::move(prefill)),
      decode_(std::move(decode)) {
    DYNOSIM_ASSERT(!prefill_.empty() && !decode_.empty() && !prouters_.empty() && !drouters_.empty());
    pkv_ = dynamic_cast<KvRouter*>(prouters_.front().get());
    dkv_ = dynamic_cast<KvRouter*>(drouters_.front().get());
    for (auto& w : prefill_) {
        DYNOSIM_ASSERT(w->engine().supports_role(engine::EngineRole::Prefill));
        w->engine().set_role(engine::EngineRole::Prefill);
        w->engine().set_event_sink(this);
    }
    for (auto& w : decode_) {
        DYNOSIM_ASSERT(w->engine().supports_role(engine::EngineRole::Decode));
        w->engine().set_role(engine::EngineRole::Decode);
        w->engine().set_event_sink(this);
    }
    ploads_.resize(prefill_.size());
    dloads_.resize(decode_.size());
    req_.resize(wl_.requests.size());
    egress_free_.assign(prefill_.size(), 0);
    ingress_free_.assign(decode_.size(), 0);
    reserve_wait_.resize(decode_.size());
    retry_scheduled_.assign(decode_.size(), 0);
    prefill_busy_.assign(prefill_.size(), 0);
    pflight_.assign(prefill_.size(), 0);
    dflight_.assign(decode_.size(), 0);
}

void DisaggFleet::set_planner(DisaggObserver* obs, std::span<const std::uint8_t> prefill_ready,
                              std::span<const std::uint8_t> decode_ready) {
    DYNOSIM_ASSERT(prefill_ready.size() == prefill_.size() && decode_ready.size() == decode_.size());
    obs_ = obs;
    pready_ = prefill_ready;
    dready_ = decode_ready;
    if (pkv_) pkv_->set_eligible(pready_);
    if (dkv_) dkv_->set_eligible(dready_);
    ready_loads_.reserve(std::max(prefill_.size(), decode_.size()));
    ready_slots_.reserve(std::max(prefill_.size(), decode_.size()));
}

void DisaggFleet::replace_worker(bool prefill, std::int32_t slot, std::unique_ptr<engine::Worker> w) {
    const auto s = static_cast<std::size_t>(slot);
    DYNOSIM_ASSERT(sim_ && in_flight(prefill, slot) == 0);
    auto& pool = prefill ? prefill_ : decode_;
    retired_.push_back(std::move(pool[s]));
    pool[s] = std::move(w);
    pool[s]->engine().set_role(prefill ? engine::EngineRole::Prefill : engine::EngineRole::Decode);
    pool[s]->engine().set_event_sink(this);
    pool[s]->attach(*sim_);
    // The routers' indexers hold pool-local worker indices.
    if (KvRouter* kv = prefill ? pkv_ : dkv_) kv->reset_worker(slot);
    if (prefill) prefill_busy_[s] = 0;
}

void DisaggFleet::leave(bool prefill, std::int32_t slot, core::TimeNs now) {
    std::int64_t& f = (prefill ? pflight_ : dflight_)[static_cast<std::size_t>(slot)];
    --f;
    if (obs_ && f == 0) obs_->on_idle(prefill, slot, now);
}

void DisaggFleet::attach(core::Simulation& sim) {
    sim_ = &sim;
    id_ = sim.add_actor(this);
    for (auto& w : prefill_) w->attach(sim);
    for (auto& w : decode_) w->attach(sim);
    if (!wl_.requests.empty()) sim.schedule_at(wl_.requests[0].arrival_ns, id_, core::EventKind::Arrival, 0);
}

std::int32_t DisaggFleet::choose(bool prefill_pool, std::uint64_t idx, core::TimeNs now) {
    const workload::Request& r = wl_.requests[idx];
    KvRouter* kv = prefill_pool ? pkv_ : dkv_;
    auto& workers = prefill_pool ? prefill_ : decode_;
    if (kv) return static_cast<std::int32_t>(kv->choose_at(r, now, workers.size()));
    auto& loads = prefill_pool ? ploads_ : dloads_;
    auto& routers = prefill_pool ? prouters_ : drouters_;
    const auto& mask = prefill_pool ? pready_ : dready_;
    if (!mask.empty()) {  // planner: the ready workers only
        ready_loads_.clear();
        ready_slots_.clear();
        for (std::size_t i = 0; i < workers.size(); ++i)
            if (mask[i]) {
                ready_loads_.push_back(workers[i]->load());
                ready_slots_.push_back(static_cast<std::int32_t>(i));
            }
        DYNOSIM_ASSERT(!ready_slots_.empty());
        return ready_slots_[routers[idx % routers.size()]->choose(r, ready_loads_)];
    }
    for (std::size_t i = 0; i < workers.size(); ++i) loads[i] = workers[i]->load();
    return static_cast<std::int32_t>(routers[idx % routers.size()]->choose(r, loads));
}

void DisaggFleet::dropped(std::uint64_t idx) {
    if (pkv_) pkv_->on_rejected(idx);
    if (dkv_) dkv_->on_rejected(idx);
}

void DisaggFleet::submit_local(std::int32_t d, std::uint64_t idx) {
    ++local_prefills_;
    if (!decode_[static_cast<std::size_t>(d)]->submit(idx, *sim_)) dropped(idx);
    else ++dflight_[static_cast<std::size_t>(d)];
}

void DisaggFleet::send_to_prefill(std::int32_t p, std::uint64_t idx) {
    req_[idx].prefill = p;
    if (prefill_[static_cast<std::size_t>(p)]->submit(idx, *sim_)) {
        ++pflight_[static_cast<std::size_t>(p)];
        return;
    }
    // Rejected by the prefill engine (recorded there). Both pools share engine.max_model_len and a request
    // that fits the decode pool's blocks was checked there first (decode_first), so in practice this is a
    // prefill_first request too long for the prefill workers' KV.
    dropped(idx);
    if (cfg_.decode_first) leave(false, req_[idx].decode, sim_->now());  // it had reserved its decode worker
}

void DisaggFleet::on_event(const core::Event& ev, core::Simulation& sim) {
    const core::TimeNs now = sim.now();
    switch (ev.kind) {
        case core::EventKind::Arrival: {
            // Every request arriving at this instant is routed in this one event (as Fleet does).
            std::uint64_t idx = ev.payload;
            do {
                rec_.at(idx).arrived = true;
                next_arrival_ = idx + 1;
                route(idx, now);
                ++idx;
            } while (idx < wl_.requests.size() && wl_.requests[idx].arrival_ns == now);
            if (next_arrival_ < wl_.requests.size())
                sim.schedule_at(wl_.requests[next_arrival_].arrival_ns, id_, core::EventKind::Arrival,
                                next_arrival_);
            break;
        }
        case core::EventKind::Dispatch: {  // a prefill worker finished the prompt of ev.payload
            const std::uint64_t idx = ev.payload;
            if (pkv_) pkv_->on_left_pool(idx);
            leave(true, req_[idx].prefill, now);
            if (cfg_.decode_first) {
                prefill_busy_[static_cast<std::size_t>(req_[idx].prefill)] = 0;
                start_transfer(idx, now);
                dispatch_prefill_queue();
            } else {
                ReqState& st = req_[idx];
                if (st.decode >= 0 && !ready(false, static_cast<std::size_t>(st.decode))) {
                    // Planner: the decode worker picked at arrival has begun draining: pick again.
                    if (dkv_) dkv_->on_rejected(idx);
                    st.decode = -1;
                }
                if (st.decode < 0) st.decode = choose(false, idx, now);
                reserve(st.decode, idx, now);
            }
            break;
        }
        case core::EventKind::Custom: {  // the KV of ev.payload has reached its decode worker
            const std::uint64_t idx = ev.payload;
            auto& w = decode_[static_cast<std::size_t>(req_[idx].decode)];
            w->engine().transfer_done(idx, now);
            w->wake(sim);
            break;
        }
        case core::EventKind::Timer: {  // decode worker ev.payload freed memory: retry waiting reservations
            const auto d = static_cast<std::int32_t>(ev.payload);
            retry_scheduled_[static_cast<std::size_t>(d)] = 0;
            retry_reservations(d, now);
            break;
        }
        default:
            break;
    }
}

void DisaggFleet::route(std::uint64_t idx, core::TimeNs now) {
    const workload::Request& r = wl_.requests[idx];
    ReqState& st = req_[idx];
    if (!cfg_.decode_first) {
        if (cfg_.conditional_prefill) {
            // token_cap: net new tokens on the chosen decode worker at or below the cap are prefilled there.
            st.decode = choose(false, idx, now);
            const std::int32_t cached =
                decode_[static_cast<std::size_t>(st.decode)]->engine().cached_prefix_tokens(idx);
            if (r.input_tokens - cached <= cfg_.bypass_below_tokens) {
                submit_local(st.decode, idx);
                return;
            }
        }
        send_to_prefill(choose(true, idx, now), idx);
        return;
    }
    // decode_first: the decode worker decides local vs remote prefill (PyDisaggregatedRouter.prefill_remote).
    st.decode = choose(false, idx, now);
    const std::int32_t cached = decode_[static_cast<std::size_t>(st.decode)]->engine().cached_prefix_tokens(idx);
    const bool remote = r.input_tokens - cached > cfg_.max_local_prefill_length &&
                        static_cast<std::int64_t>(prefill_queue_.size()) < cfg_.max_prefill_queue_size;
    if (!remote) {
        submit_local(st.decode, idx);
        return;
    }
    reserve(st.decode, idx, now);
}

bool DisaggFleet::reserve(std::int32_t d, std::uint64_t idx, core::TimeNs now) {
    auto& waitq = reserve_wait_[static_cast<std::size_t>(d)];
    ++dflight_[static_cast<std::size_t>(d)];
    if (!waitq.empty()) {  // FIFO: earlier hand-offs to this worker go first
        waitq.push_back(idx);
        ++reserve_waits_;
        return false;
    }
    const std::int32_t hits = decode_[static_cast<std::size_t>(d)]->engine().reserve_transfer(idx, now);
    if (hits == engine::Engine::kNeverFits) {
        dropped(idx);  // recorded rejected by the decode engine, before any prefill
        leave(false, d, now);
        return true;
    }
    if (hits == engine::Engine::kNoRoom) {
        waitq.push_back(idx);
        ++reserve_waits_;
        return false;
    }
    req_[idx].hit_blocks = hits;
    reserved(idx, now);
    return true;
}

void DisaggFleet::reserved(std::uint64_t idx, core::TimeNs now) {
    if (!cfg_.decode_first) {
        start_transfer(idx, now);
        return;
    }
    prefill_queue_.push_back(idx);
    dispatch_prefill_queue();
}

void DisaggFleet::retry_reservations(std::int32_t d, core::TimeNs now) {
    auto& waitq = reserve_wait_[static_cast<std::size_t>(d)];
    while (!waitq.empty()) {
        const std::uint64_t idx = waitq.front();
        const std::int32_t hits = decode_[static_cast<std::size_t>(d)]->engine().reserve_transfer(idx, now);
        if (hits == engine::Engine::kNoRoom) return;
        waitq.pop_front();
        if (hits == engine::Engine::kNeverFits) {
            dropped(idx);
            leave(false, d, now);
            continue;
        }
        req_[idx].hit_blocks = hits;
        reserved(idx, now);
    }
}

void DisaggFleet::dispatch_prefill_queue() {
    // Gen-1 prefill workers pull one remote prefill at a time from the shared queue, lowest index first.
    for (std::size_t p = 0; p < prefill_.size() && !prefill_queue_.empty(); ++p) {
        if (prefill_busy_[p] || !ready(true, p)) continue;
        const std::uint64_t idx = prefill_queue_.front();
        prefill_queue_.pop_front();
        prefill_busy_[p] = 1;
        send_to_prefill(static_cast<std::int32_t>(p), idx);
        if (rec_.at(idx).status == metrics::RequestStatus::Rejected) {
            prefill_busy_[p] = 0;
            --p;  // p is free again: offer it the next one
        }
    }
}

void DisaggFleet::start_transfer(std::uint64_t idx, core::TimeNs now) {
    ReqState& st = req_[idx];
    const workload::Request& r = wl_.requests[idx];
    const std::int32_t prompt_blocks = (r.input_tokens + cfg_.block_size - 1) / cfg_.block_size;
    const std::int64_t blocks = std::max(0, prompt_blocks - st.hit_blocks);
    const std::int64_t bytes = blocks * cfg_.decode_block_bytes;
    // FIFO per port: the transfer waits until both the sender's egress and the receiver's ingress are free,
    // holds them for bytes / bandwidth, and lands one latency later.
    core::TimeNs& eg = egress_free_[static_cast<std::size_t>(st.prefill)];
    core::TimeNs& in = ingress_free_[static_cast<std::size_t>(st.decode)];
    const core::TimeNs start = std::max({now, eg, in});
    const core::TimeNs wire = transfer_duration_ns(bytes, cfg_.gbs_per_gpu, cfg_.parallel_ranks, 0.0);
    eg = in = start + wire;
    const core::TimeNs end = start + transfer_duration_ns(bytes, cfg_.gbs_per_gpu, cfg_.parallel_ranks, cfg_.latency_us);
    metrics::RequestRecord& rec = rec_.at(idx);
    rec.transfer_ns = end - now;
    rec.transfer_bytes = bytes;
    ++transfers_;
    sim_->schedule_at(end, id_, core::EventKind::Custom, idx);
}

void DisaggFleet::kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    const bool pre = worker < static_cast<std::int32_t>(prefill_.size());
    if (KvRouter* kv = pre ? pkv_ : dkv_) kv->kv_stored(worker, key, now);
}

void DisaggFleet::kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    const bool pre = worker < static_cast<std::int32_t>(prefill_.size());
    if (KvRouter* kv = pre ? pkv_ : dkv_) kv->kv_removed(worker, key, now);
}

void DisaggFleet::first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) {
    if (dkv_) dkv_->first_token(worker, request, now);
    if (obs_) obs_->on_first_token(request, now);
}

void DisaggFleet::finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) {
    if (dkv_) dkv_->finished(worker, request, now);
    // The request's blocks are freed once the step's outputs are processed: retry reservations waiting on
    // this worker in an event at this instant.
    const auto d = static_cast<std::size_t>(worker - static_cast<std::int32_t>(prefill_.size()));
    if (!reserve_wait_[d].empty() && !retry_scheduled_[d]) {
        retry_scheduled_[d] = 1;
        sim_->schedule_at(now, id_, core::EventKind::Timer, d);
    }
    if (obs_) obs_->on_finished(request, now);
    leave(false, static_cast<std::int32_t>(d), now);
}

void DisaggFleet::prefill_done(std::int32_t /*worker*/, std::uint64_t request, core::TimeNs now) {
    // Handled in an event of its own: the prefill engine is still processing its step's outputs.
    sim_->schedule_at(now, id_, core::EventKind::Dispatch, request);
}

}  // namespace dynosim::sim::fleet
