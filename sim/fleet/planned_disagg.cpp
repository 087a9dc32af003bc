#include "sim/fleet/planned_disagg.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"

namespace dynosim::sim::fleet {

namespace {
constexpr std::uint64_t kTick = 0;             // Timer payload: an adjustment interval ends
constexpr std::uint64_t kReady = 1;            // kReady + slot: a prefill slot's cold start ends
constexpr std::uint64_t kDecode = 1ULL << 24;  // kReady + kDecode + slot: a decode slot's
const double kNaN = std::nan("");
}  // namespace

PlannedDisaggFleet::PlannedDisaggFleet(const workload::Workload& wl, DisaggFleet& fleet, WorkerFactory make,
                                       const PlannerOptions& o, std::unique_ptr<DisaggSlaPlanner> planner,
                                       std::int32_t initial_prefill, std::int32_t initial_decode, core::Rng rng)
    : wl_(wl),
      fleet_(fleet),
      make_(std::move(make)),
      o_(o),
      planner_(std::move(planner)),
      initial_p_(initial_prefill),
      initial_d_(initial_decode),
      rng_(rng),
      interval_ns_(core::seconds_to_ns(o.interval_s)) {
    for (const bool pf : {true, false}) {
        Pool& p = pool(pf);
        p.prefill = pf;
        p.bounds = pf ? planner_->prefill_bounds() : planner_->decode_bounds();
        const auto n = static_cast<std::size_t>(pool_slots(p.bounds));
        DYNOSIM_ASSERT(n == (pf ? fleet.prefill_workers().size() : fleet.decode_workers().size()));
        p.slots.resize(n);
        p.ready.assign(n, 0);
        p.report.kind = o.kind;
        p.report.interval_s = o.interval_s;
        p.report.gpus_per_worker = p.bounds.gpus_per_worker;
        p.report.pool = pf ? "prefill" : "decode";
    }
    sla_.bind(wl, o.ttft_ms, o.itl_ms);
    fleet_.set_planner(this, pre_.ready, dec_.ready);
}

void PlannedDisaggFleet::attach(core::Simulation& sim) {
    id_ = sim.add_actor(this);
    for (const bool pf : {true, false}) {
        Pool& p = pool(pf);
        const std::int32_t n0 = std::clamp(pf ? initial_p_ : initial_d_, p.bounds.min_replicas, p.bounds.max_replicas);
        for (std::int32_t s = 0; s < n0; ++s) {
            start_worker(p, s, sim, /*cold=*/false);
            became_ready(p, s, 0);
        }
    }
    sim.schedule_at(interval_ns_, id_, core::EventKind::Timer, kTick);
}

std::int32_t PlannedDisaggFleet::count(bool prefill, State s) const {
    std::int32_t n = 0;
    for (const auto& sl : pool(prefill).slots) n += sl.state == s;
    return n;
}

bool PlannedDisaggFleet::more_to_do() const {
    if (fleet_.arrivals_so_far() < wl_.requests.size()) return true;
    for (const bool pf : {true, false})
        for (std::int32_t s = 0; s < slots(pf); ++s)
            if (fleet_.in_flight(pf, s) > 0) return true;
    return false;
}

void PlannedDisaggFleet::on_event(const core::Event& ev, core::Simulation& sim) {
    if (ev.payload == kTick) {
        tick(sim);
        return;
    }
    const std::uint64_t k = ev.payload - kReady;
    const bool pf = k < kDecode;
    became_ready(pool(pf), static_cast<std::int32_t>(pf ? k : k - kDecode), sim.now());
}

void PlannedDisaggFleet::tick(core::Simulation& sim) {
    IntervalObservation r;
    r.interval_s = o_.interval_s;
    const std::size_t upto = fleet_.arrivals_so_far();
    double isl = 0;
    for (std::size_t i = seen_arrivals_; i < upto; ++i) isl += wl_.requests[i].input_tokens;
    r.arrivals = static_cast<std::int64_t>(upto - seen_arrivals_);
    seen_arrivals_ = upto;
    r.mean_isl = r.arrivals ? isl / static_cast<double>(r.arrivals) : kNaN;
    sla_.observe(r);
    DisaggObservation obs;
    obs.requests = r;
    obs.prefill_ready = count(true, State::Ready);
    obs.prefill_starting = count(true, State::Starting);
    obs.decode_ready = count(false, State::Ready);
    obs.decode_starting = count(false, State::Starting);
    const DisaggDecision d = planner_->decide(obs);
    record(pre_, r, d, d.prefill_target, sim.now());
    record(dec_, r, d, d.decode_target, sim.now());
    apply(pre_, d.prefill_target, sim);
    apply(dec_, d.decode_target, sim);

    sla_.reset();
    if (more_to_do()) sim.schedule_at(sim.now() + interval_ns_, id_, core::EventKind::Timer, kTick);
}

void PlannedDisaggFleet::record(Pool& p, const IntervalObservation& r, const DisaggDecision& d, std::int32_t target,
                                core::TimeNs now) {
    ++p.report.decisions;
    metrics::PlannerInterval iv;
    iv.t_s = core::ns_to_seconds(now);
    iv.arrivals = r.arrivals;
    iv.mean_isl = r.mean_isl;
    iv.mean_osl = r.mean_osl;
    iv.mean_ttft_ms = r.mean_ttft_ms;
    iv.mean_itl_ms = r.mean_itl_ms;
    iv.kv_usage = iv.queue_per_worker = kNaN;
    iv.predicted_rps = d.predicted_rps;
    // Per worker, in requests/s at the predicted ISL (prefill) or OSL (decode).
    iv.capacity_rps = p.prefill ? d.prefill_capacity_tokens_per_s / d.predicted_isl
                                : d.decode_capacity_tokens_per_s / d.predicted_osl;
    iv.ttft_correction = p.prefill ? d.ttft_correction : kNaN;
    iv.itl_correction = p.prefill ? kNaN : d.itl_correction;
    iv.ready = count(p.prefill, State::Ready);
    iv.starting = count(p.prefill, State::Starting);
    iv.draining = count(p.prefill, State::Draining);
    iv.target = target;
    iv.finished = sla_.finished_count();
    iv.sla_attainment = sla_.attainment();
    p.report.intervals.push_back(iv);
    const std::int32_t current = iv.ready + iv.starting;
    if (target > current) ++p.report.scale_up_events;
    if (target < current) ++p.report.scale_down_events;
}

void PlannedDisaggFleet::apply(Pool& p, std::int32_t target, core::Simulation& sim) {
    std::int32_t current = count(p.prefill, State::Ready) + count(p.prefill, State::Starting);
    while (current < target) {
        std::int32_t free_slot = -1;
        for (std::size_t s = 0; s < p.slots.size() && free_slot < 0; ++s)
            if (p.slots[s].state == State::Off) free_slot = static_cast<std::int32_t>(s);
        if (free_slot < 0) {  // every slot holds a worker (many still draining): try again next interval
            p.report.scale_ups_blocked += target - current;
            break;
        }
        start_worker(p, free_slot, sim, /*cold=*/true);
        ++current;
    }
    // Scale down as the aggregated fleet does: cancel the latest starts first, then drain the ready workers
    // with the fewest requests in flight; one worker of the pool always stays ready.
    while (current > target) {
        std::int32_t pick = -1;
        for (std::size_t s = 0; s < p.slots.size(); ++s) {
            const Slot& sl = p.slots[s];
            if (sl.state == State::Starting &&
                (pick < 0 || p.instances[static_cast<std::size_t>(sl.instance)].requested >=
                                 p.instances[static_cast<std::size_t>(p.slots[static_cast<std::size_t>(pick)].instance)].requested))
                pick = static_cast<std::int32_t>(s);
        }
        if (pick >= 0) {
            Slot& sl = p.slots[static_cast<std::size_t>(pick)];
            sim.cancel(sl.ready_ev);
            PlannedFleet::Instance& in = p.instances[static_cast<std::size_t>(sl.instance)];
            in.cancelled = true;
            in.end = sim.now();
            sl.state = State::Off;
            ++p.report.starts_cancelled;
            --current;
            continue;
        }
        if (count(p.prefill, State::Ready) <= 1) break;
        for (std::int32_t s = 0; s < static_cast<std::int32_t>(p.slots.size()); ++s)
            if (p.slots[static_cast<std::size_t>(s)].state == State::Ready &&
                (pick < 0 || fleet_.in_flight(p.prefill, s) <= fleet_.in_flight(p.prefill, pick)))
                pick = s;
        drain(p, pick, sim.now());
        --current;
    }
}

core::TimeNs PlannedDisaggFleet::draw_cold_start() {
    const double m = o_.cold_start_s;
    double s = m;
    if (o_.cold_start_dist == "uniform") s = m * rng_.uniform(1 - o_.cold_start_spread, 1 + o_.cold_start_spread);
    else if (o_.cold_start_dist == "lognormal") s = m > 0 ? rng_.lognormal(std::log(m), o_.cold_start_spread) : 0.0;
    else if (o_.cold_start_dist == "exponential") s = m > 0 ? rng_.exponential(m) : 0.0;
    return core::seconds_to_ns(std::max(0.0, s));
}

void PlannedDisaggFleet::start_worker(Pool& p, std::int32_t slot, core::Simulation& sim, bool cold) {
    Slot& sl = p.slots[static_cast<std::size_t>(slot)];
    DYNOSIM_ASSERT(sl.state == State::Off && fleet_.in_flight(p.prefill, slot) == 0);
    // The initial workers are the fleet's own fresh engines; a later start is a new engine in the slot.
    if (cold) fleet_.replace_worker(p.prefill, slot, make_(p.prefill, slot));
    sl.state = State::Starting;
    PlannedFleet::Instance in;
    in.slot = slot + (p.prefill ? 0 : slots(true));  // the engine's global worker index
    in.requested = sim.now();
    in.initial = !cold;
    sl.instance = static_cast<std::int32_t>(p.instances.size());
    p.instances.push_back(in);
    ++p.report.workers_requested;
    if (cold)
        sl.ready_ev = sim.schedule_at(sim.now() + draw_cold_start(), id_, core::EventKind::Timer,
                                      kReady + (p.prefill ? 0 : kDecode) + static_cast<std::uint64_t>(slot));
}

void PlannedDisaggFleet::became_ready(Pool& p, std::int32_t slot, core::TimeNs now) {
    Slot& sl = p.slots[static_cast<std::size_t>(slot)];
    DYNOSIM_ASSERT(sl.state == State::Starting);
    sl.state = State::Ready;
    sl.ready_ev = {};
    p.instances[static_cast<std::size_t>(sl.instance)].ready = now;
    p.ready[static_cast<std::size_t>(slot)] = 1;
    ++p.report.workers_ready;
}

void PlannedDisaggFleet::drain(Pool& p, std::int32_t slot, core::TimeNs now) {
    Slot& sl = p.slots[static_cast<std::size_t>(slot)];
    sl.state = State::Draining;
    p.instances[static_cast<std::size_t>(sl.instance)].drain = now;
    p.ready[static_cast<std::size_t>(slot)] = 0;
    ++p.report.workers_drained;
    if (fleet_.in_flight(p.prefill, slot) == 0) gone(p, slot, now);
}

void PlannedDisaggFleet::gone(Pool& p, std::int32_t slot, core::TimeNs t) {
    Slot& sl = p.slots[static_cast<std::size_t>(slot)];
    sl.state = State::Off;
    p.instances[static_cast<std::size_t>(sl.instance)].end = t;
}

void PlannedDisaggFleet::on_idle(bool prefill, std::int32_t slot, core::TimeNs now) {
    Pool& p = pool(prefill);
    if (p.slots[static_cast<std::size_t>(slot)].state == State::Draining) gone(p, slot, now);
}

void PlannedDisaggFleet::on_first_token(std::uint64_t request, core::TimeNs now) { sla_.first_token(request, now); }

void PlannedDisaggFleet::on_finished(std::uint64_t request, core::TimeNs now) { sla_.finished(request, now); }

metrics::PlannerReport PlannedDisaggFleet::finish(core::TimeNs end) {
    std::vector<metrics::PlannerReport> pools;
    for (const bool pf : {true, false}) {
        const Pool& p = pool(pf);
        pools.push_back(close_planner_report(p.report, p.instances, p.bounds.gpus_per_worker, end));
    }
    return metrics::combine_pool_reports(std::move(pools));
}

}  // namespace dynosim::sim::fleet
