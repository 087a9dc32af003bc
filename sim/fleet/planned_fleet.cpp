#include "sim/fleet/planned_fleet.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/errors.hpp"
#include "sim/fleet/kv_router.hpp"

namespace dynosim::sim::fleet {

namespace {
constexpr std::uint64_t kTick = 0;    // Timer payload: an adjustment interval ends
constexpr std::uint64_t kSample = 1;  // Timer payload: the load planner samples the workers
constexpr std::uint64_t kReady = 2;   // Timer payload kReady + slot: that slot's cold start ends
const double kNaN = std::nan("");
}  // namespace

PlannedFleet::PlannedFleet(const workload::Workload& wl, metrics::Recorder& rec,
                           std::vector<std::unique_ptr<Router>> routers, WorkerFactory make, const PlannerOptions& o,
                           std::unique_ptr<Planner> planner, std::int32_t initial, std::int32_t gpus_per_worker,
                           core::Rng rng, bool coalesce, core::TimeNs until)
    : wl_(wl),
      rec_(rec),
      routers_(std::move(routers)),
      make_(std::move(make)),
      o_(o),
      planner_(std::move(planner)),
      initial_(initial),
      gpus_(gpus_per_worker),
      rng_(rng),
      coalesce_(coalesce),
      until_(until),
      interval_ns_(core::seconds_to_ns(o.interval_s)),
      sample_ns_(core::seconds_to_ns(o.sample_interval_s)) {
    const std::size_t n = static_cast<std::size_t>(2 * planner_->upper());
    slots_.resize(n);
    eligible_.assign(n, 0);
    loads_.resize(n);
    ready_.reserve(n);
    ready_loads_.reserve(n);
    changed_.reserve(n);
    kv_ = dynamic_cast<KvRouter*>(routers_.front().get());
    if (kv_) kv_->set_eligible(eligible_);
    sla_.bind(wl, o.ttft_ms, o.itl_ms);
    report_.kind = o.kind;
    report_.interval_s = o.interval_s;
    report_.gpus_per_worker = gpus_per_worker;
}

void PlannedFleet::attach(core::Simulation& sim) {
    id_ = sim.add_actor(this);
    const std::int32_t n0 = planner_->clamp(initial_);
    for (std::int32_t s = 0; s < n0; ++s) {
        start_worker(s, sim, /*cold=*/false);
        became_ready(s, 0);
    }
    last_target_ = n0;
    if (!wl_.requests.empty()) sim.schedule_at(wl_.requests[0].arrival_ns, id_, core::EventKind::Arrival, 0);
    next_tick_ = interval_ns_;
    sim.schedule_at(next_tick_, id_, core::EventKind::Timer, kTick);
    if (o_.kind == "load") {
        next_sample_ = sample_ns_;
        sim.schedule_at(next_sample_, id_, core::EventKind::Timer, kSample);
    }
}

core::TimeNs PlannedFleet::next_input_ns() const {
    const core::TimeNs arrival =
        next_arrival_ < wl_.requests.size() ? wl_.requests[next_arrival_].arrival_ns : core::kTimeMax;
    const core::TimeNs t = std::min({arrival, next_tick_, next_sample_});
    return std::min(t, until_ == core::kTimeMax ? core::kTimeMax : until_ + 1);
}

std::int32_t PlannedFleet::count(State s) const {
    std::int32_t n = 0;
    for (const auto& sl : slots_) n += sl.state == s;
    return n;
}

bool PlannedFleet::more_to_do() const { return next_arrival_ < wl_.requests.size() || in_flight_total_ > 0; }

void PlannedFleet::on_event(const core::Event& ev, core::Simulation& sim) {
    if (ev.kind == core::EventKind::Arrival) {
        route_arrivals(ev.payload, sim);
        return;
    }
    if (ev.payload == kTick) {
        tick(sim);
    } else if (ev.payload == kSample) {
        sample();
        next_sample_ = more_to_do() ? sim.now() + sample_ns_ : core::kTimeMax;
        if (next_sample_ != core::kTimeMax) sim.schedule_at(next_sample_, id_, core::EventKind::Timer, kSample);
    } else {
        became_ready(static_cast<std::int32_t>(ev.payload - kReady), sim.now());
    }
}

void PlannedFleet::route_arrivals(std::uint64_t idx, core::Simulation& sim) {
    const core::TimeNs now = wl_.requests[idx].arrival_ns;
    do {
        const workload::Request& r = wl_.requests[idx];
        rec_.at(idx).arrived = true;
        ++arrivals_;
        isl_sum_ += r.input_tokens;
        for (const std::int32_t i : changed_) {
            const auto& w = slots_[static_cast<std::size_t>(i)].worker;
            if (w) loads_[static_cast<std::size_t>(i)] = w->read_load();
        }
        changed_.clear();
        DYNOSIM_ASSERT(!ready_.empty());
        Router& router = *routers_[idx % routers_.size()];
        std::int32_t slot;
        if (kv_) {
            slot = static_cast<std::int32_t>(router.choose(r, loads_));  // the mask limits it to ready slots
        } else {
            ready_loads_.clear();
            for (const std::int32_t s : ready_) ready_loads_.push_back(loads_[static_cast<std::size_t>(s)]);
            slot = ready_[router.choose(r, ready_loads_)];
        }
        Slot& sl = slots_[static_cast<std::size_t>(slot)];
        DYNOSIM_ASSERT(sl.state == State::Ready);
        next_arrival_ = idx + 1;
        if (sl.worker->submit(idx, sim)) {
            ++sl.in_flight;
            ++in_flight_total_;
        } else if (kv_) {
            kv_->on_rejected(idx);
        }
        ++idx;
    } while (idx < wl_.requests.size() && wl_.requests[idx].arrival_ns == now);
    if (next_arrival_ < wl_.requests.size())
        sim.schedule_at(wl_.requests[next_arrival_].arrival_ns, id_, core::EventKind::Arrival, next_arrival_);
}

void PlannedFleet::sample() {
    double kv = 0;
    std::int64_t waiting = 0;
    for (const std::int32_t s : ready_) {
        const engine::WorkerLoad l = slots_[static_cast<std::size_t>(s)].worker->load();
        kv += l.total_blocks > 0 ? static_cast<double>(l.used_blocks) / l.total_blocks : 0.0;
        waiting += l.waiting;
    }
    const double n = static_cast<double>(std::max<std::size_t>(1, ready_.size()));
    kv_sum_ += kv / n;
    queue_sum_ += static_cast<double>(waiting) / n;
    ++samples_;
}

void PlannedFleet::tick(core::Simulation& sim) {
    IntervalObservation obs;
    obs.interval_s = o_.interval_s;
    obs.arrivals = arrivals_;
    obs.mean_isl = arrivals_ ? isl_sum_ / static_cast<double>(arrivals_) : kNaN;
    sla_.observe(obs);
    obs.ready = count(State::Ready);
    obs.starting = count(State::Starting);
    obs.draining = count(State::Draining);
    obs.kv_usage = samples_ ? kv_sum_ / static_cast<double>(samples_) : 0.0;
    obs.queue_per_worker = samples_ ? queue_sum_ / static_cast<double>(samples_) : 0.0;
    const PlannerDecision d = planner_->decide(obs);
    ++report_.decisions;

    metrics::PlannerInterval iv;
    iv.t_s = core::ns_to_seconds(sim.now());
    iv.arrivals = obs.arrivals;
    iv.mean_isl = obs.mean_isl;
    iv.mean_osl = obs.mean_osl;
    iv.mean_ttft_ms = obs.mean_ttft_ms;
    iv.mean_itl_ms = obs.mean_itl_ms;
    iv.kv_usage = o_.kind == "load" ? obs.kv_usage : kNaN;
    iv.queue_per_worker = o_.kind == "load" ? obs.queue_per_worker : kNaN;
    iv.predicted_rps = d.predicted_rps;
    iv.capacity_rps = d.capacity_rps;
    iv.ttft_correction = d.ttft_correction;
    iv.itl_correction = d.itl_correction;
    iv.ready = obs.ready;
    iv.starting = obs.starting;
    iv.draining = obs.draining;
    iv.target = d.target;
    iv.finished = sla_.finished_count();
    iv.sla_attainment = sla_.attainment();
    report_.intervals.push_back(iv);

    const std::int32_t current = obs.ready + obs.starting;
    if (d.target > current) ++report_.scale_up_events;
    if (d.target < current) ++report_.scale_down_events;
    apply(d.target, sim);
    last_target_ = d.target;

    sla_.reset();
    arrivals_ = samples_ = 0;
    isl_sum_ = kv_sum_ = queue_sum_ = 0;
    next_tick_ = more_to_do() ? sim.now() + interval_ns_ : core::kTimeMax;
    if (next_tick_ != core::kTimeMax) sim.schedule_at(next_tick_, id_, core::EventKind::Timer, kTick);
}

void PlannedFleet::apply(std::int32_t target, core::Simulation& sim) {
    std::int32_t current = count(State::Ready) + count(State::Starting);
    while (current < target) {
        std::int32_t free_slot = -1;
        for (std::size_t s = 0; s < slots_.size() && free_slot < 0; ++s)
            if (slots_[s].state == State::Off) free_slot = static_cast<std::int32_t>(s);
        if (free_slot < 0) {  // every slot holds a worker (many still draining): try again next interval
            report_.scale_ups_blocked += target - current;
            break;
        }
        start_worker(free_slot, sim, /*cold=*/true);
        ++current;
    }
    // Scale down: cancel the starts requested last first (they cost nothing more and serve nobody yet),
    // then drain the ready workers with the fewest requests in flight; one worker always stays ready.
    while (current > target) {
        std::int32_t pick = -1;
        for (std::size_t s = 0; s < slots_.size(); ++s) {
            const Slot& sl = slots_[s];
            if (sl.state == State::Starting &&
                (pick < 0 || instances_[static_cast<std::size_t>(sl.instance)].requested >=
                                 instances_[static_cast<std::size_t>(slots_[static_cast<std::size_t>(pick)].instance)].requested))
                pick = static_cast<std::int32_t>(s);
        }
        if (pick >= 0) {
            Slot& sl = slots_[static_cast<std::size_t>(pick)];
            sim.cancel(sl.ready_ev);
            Instance& in = instances_[static_cast<std::size_t>(sl.instance)];
            in.cancelled = true;
            in.end = sim.now();
            sl.state = State::Off;
            ++report_.starts_cancelled;
            --current;
            continue;
        }
        if (ready_.size() <= 1) break;
        for (const std::int32_t s : ready_)
            if (pick < 0 || slots_[static_cast<std::size_t>(s)].in_flight <= slots_[static_cast<std::size_t>(pick)].in_flight)
                pick = s;
        drain(pick, sim.now());
        --current;
    }
}

core::TimeNs PlannedFleet::draw_cold_start() {
    const double m = o_.cold_start_s;
    double s = m;
    if (o_.cold_start_dist == "uniform") s = m * rng_.uniform(1 - o_.cold_start_spread, 1 + o_.cold_start_spread);
    else if (o_.cold_start_dist == "lognormal") s = m > 0 ? rng_.lognormal(std::log(m), o_.cold_start_spread) : 0.0;
    else if (o_.cold_start_dist == "exponential") s = m > 0 ? rng_.exponential(m) : 0.0;
    return core::seconds_to_ns(std::max(0.0, s));
}

void PlannedFleet::start_worker(std::int32_t slot, core::Simulation& sim, bool cold) {
    Slot& sl = slots_[static_cast<std::size_t>(slot)];
    DYNOSIM_ASSERT(sl.state == State::Off && sl.in_flight == 0);
    if (sl.worker) retired_.push_back(std::move(sl.worker));
    if (kv_) kv_->reset_worker(slot);  // a fresh engine: nothing of the slot's old cache survives
    sl.worker = make_(slot);
    sl.worker->attach(sim);
    sl.worker->engine().set_event_sink(this);
    if (coalesce_) sl.worker->set_input_horizon(this);
    sl.worker->track_load(&changed_, slot);
    sl.state = State::Starting;
    Instance in;
    in.slot = slot;
    in.requested = sim.now();
    in.initial = !cold;
    sl.instance = static_cast<std::int32_t>(instances_.size());
    instances_.push_back(in);
    ++report_.workers_requested;
    if (cold)
        sl.ready_ev = sim.schedule_at(sim.now() + draw_cold_start(), id_, core::EventKind::Timer,
                                  kReady + static_cast<std::uint64_t>(slot));
}

void PlannedFleet::became_ready(std::int32_t slot, core::TimeNs now) {
    Slot& sl = slots_[static_cast<std::size_t>(slot)];
    DYNOSIM_ASSERT(sl.state == State::Starting);
    sl.state = State::Ready;
    sl.ready_ev = {};
    instances_[static_cast<std::size_t>(sl.instance)].ready = now;
    ready_.insert(std::lower_bound(ready_.begin(), ready_.end(), slot), slot);
    eligible_[static_cast<std::size_t>(slot)] = 1;
    ++report_.workers_ready;
}

void PlannedFleet::drain(std::int32_t slot, core::TimeNs now) {
    Slot& sl = slots_[static_cast<std::size_t>(slot)];
    sl.state = State::Draining;
    instances_[static_cast<std::size_t>(sl.instance)].drain = now;
    ready_.erase(std::find(ready_.begin(), ready_.end(), slot));
    eligible_[static_cast<std::size_t>(slot)] = 0;
    ++report_.workers_drained;
    if (sl.in_flight == 0) gone(slot, now);
}

void PlannedFleet::gone(std::int32_t slot, core::TimeNs t) {
    Slot& sl = slots_[static_cast<std::size_t>(slot)];
    sl.state = State::Off;
    instances_[static_cast<std::size_t>(sl.instance)].end = t;
}

void PlannedFleet::kv_stored(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    if (kv_) kv_->kv_stored(worker, key, now);
}

void PlannedFleet::kv_removed(std::int32_t worker, std::uint64_t key, core::TimeNs now) {
    if (kv_) kv_->kv_removed(worker, key, now);
}

void PlannedFleet::first_token(std::int32_t worker, std::uint64_t request, core::TimeNs now) {
    sla_.first_token(request, now);
    if (kv_) kv_->first_token(worker, request, now);
}

void PlannedFleet::finished(std::int32_t worker, std::uint64_t request, core::TimeNs now) {
    sla_.finished(request, now);
    if (kv_) kv_->finished(worker, request, now);
    Slot& sl = slots_[static_cast<std::size_t>(worker)];
    --sl.in_flight;
    --in_flight_total_;
    if (sl.state == State::Draining && sl.in_flight == 0) gone(worker, now);
}

metrics::PlannerReport PlannedFleet::finish(core::TimeNs end) { return close_planner_report(report_, instances_, gpus_, end); }

metrics::PlannerReport close_planner_report(metrics::PlannerReport r, const std::vector<PlannedFleet::Instance>& instances,
                                            std::int32_t gpus, core::TimeNs end) {
    // Replay every worker's life as +/- steps in time order: the timeline, GPU-hours and the averages.
    struct Step {
        core::TimeNs t;
        std::int32_t d_start, d_ready, d_drain;
    };
    std::vector<Step> steps;
    double cold_sum = 0;
    std::int64_t cold_n = 0;
    for (const PlannedFleet::Instance& in : instances) {
        const core::TimeNs stop = in.end >= 0 ? in.end : std::max(end, in.requested);
        const bool ready = in.ready >= 0 && in.ready <= stop;
        const bool drained = ready && in.drain >= 0 && in.drain <= stop;
        r.gpu_hours += core::ns_to_seconds(stop - in.requested) * gpus / 3600.0;
        r.workers.push_back({in.slot, core::ns_to_seconds(in.requested), in.ready >= 0 ? core::ns_to_seconds(in.ready) : -1.0,
                             in.drain >= 0 ? core::ns_to_seconds(in.drain) : -1.0, core::ns_to_seconds(stop),
                             in.cancelled});
        if (in.ready >= 0 && !in.initial) {
            cold_sum += core::ns_to_seconds(in.ready - in.requested);
            ++cold_n;
        }
        steps.push_back({in.requested, +1, 0, 0});
        if (ready) steps.push_back({in.ready, -1, +1, 0});
        if (drained) steps.push_back({in.drain, 0, -1, +1});
        steps.push_back({stop, (ready ? 0 : -1), (ready && !drained ? -1 : 0), (drained ? -1 : 0)});
    }
    r.mean_cold_start_s = cold_n ? cold_sum / static_cast<double>(cold_n) : 0.0;
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.t < b.t; });
    std::int32_t starting = 0, ready = 0, draining = 0;
    r.min_ready = 1 << 30;
    double area = 0;
    core::TimeNs last = 0;
    for (std::size_t k = 0; k < steps.size();) {
        const core::TimeNs t = steps[k].t;
        area += static_cast<double>(starting + ready + draining) * core::ns_to_seconds(t - last);
        last = t;
        for (; k < steps.size() && steps[k].t == t; ++k) {
            starting += steps[k].d_start;
            ready += steps[k].d_ready;
            draining += steps[k].d_drain;
        }
        if (t >= end) break;  // the run's end closes every bill: no point of its own
        r.timeline.push_back({core::ns_to_seconds(t), ready, starting, draining});
        r.min_ready = std::min(r.min_ready, ready);
        r.max_ready = std::max(r.max_ready, ready);
        r.max_provisioned = std::max(r.max_provisioned, starting + ready + draining);
    }
    if (r.timeline.empty()) r.min_ready = 0;
    // The last step (the run's end) leaves zero provisioned; its own point says so.
    r.mean_provisioned = end > 0 ? area / core::ns_to_seconds(end) : 0.0;
    double sum = 0, lo = kNaN;
    std::int64_t n = 0;
    for (const auto& iv : r.intervals)
        if (std::isfinite(iv.sla_attainment)) {
            sum += iv.sla_attainment;
            lo = n ? std::min(lo, iv.sla_attainment) : iv.sla_attainment;
            ++n;
        }
    r.sla_attainment_mean = n ? sum / static_cast<double>(n) : kNaN;
    r.sla_attainment_min = lo;
    return r;
}

}  // namespace dynosim::sim::fleet
