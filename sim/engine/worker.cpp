#include "sim/engine/worker.hpp"

namespace dynosim::sim::engine {

namespace {
constexpr std::uint64_t kIdleMarker = 1;  // Timer payload: a coalesced run went idle here
constexpr std::uint64_t kWakeup = 2;      // Timer payload: engine work the worker waited on is done
}  // namespace

Worker::Worker(std::int32_t index, std::unique_ptr<Engine> engine, std::shared_ptr<timing::TimingModel> timing,
               metrics::Recorder& rec)
    : index_(index), engine_(std::move(engine)), timing_(std::move(timing)), rec_(rec) {}

bool Worker::submit(std::uint64_t request, core::Simulation& sim) {
    touched();
    if (!engine_->enqueue(request, sim.now())) return false;
    wake(sim);
    return true;
}

void Worker::wake(core::Simulation& sim) {
    touched();
    // An idle engine starts its next step after every request arriving at this instant has been queued,
    // as vLLM's engine loop drains its input queue before scheduling.
    if (!busy_ && !kick_pending_) {
        kick_pending_ = true;
        sim.schedule_at(sim.now(), actor_id_, core::EventKind::Timer);
    }
}

void Worker::on_event(const core::Event& ev, core::Simulation& sim) {
    if (ev.kind == core::EventKind::Timer && ev.payload == kIdleMarker) return;
    touched();
    if (ev.kind == core::EventKind::StepEnd) {
        engine_->complete_step(sim.now());
        busy_ = false;
    } else if (ev.kind == core::EventKind::Timer && ev.payload == kWakeup) {
        if (wakeup_at_ == sim.now()) wakeup_at_ = core::kTimeMax;
    } else {
        kick_pending_ = false;
    }
    if (!busy_) start_step(sim);
}

void Worker::arm_wakeup(core::Simulation& sim) {
    const core::TimeNs w = engine_->next_wakeup_ns();
    if (w == core::kTimeMax || (wakeup_at_ != core::kTimeMax && wakeup_at_ <= w)) return;
    wakeup_at_ = w;
    sim.schedule_at(w, actor_id_, core::EventKind::Timer, kWakeup);
}

void Worker::start_step(core::Simulation& sim) {
    if (!engine_->schedule(shape_, sim.now())) {  // idle until the next request (or pending engine work)
        arm_wakeup(sim);
        return;
    }
    core::TimeNs dt = timing_->step_time(shape_);
    rec_.counters().busy_ns += dt;
    core::TimeNs end = sim.now() + dt;
    if (horizon_ != nullptr) {
        // A step ending strictly before the next input would have ended, and the next one started, before
        // anything could see this worker: run it here. (An input at the very instant a step ends is
        // delivered first in either mode, having been scheduled earlier, so such a step is left as an event.)
        const core::TimeNs horizon = horizon_->next_input_ns();
        while (end < horizon) {
            engine_->complete_step(end);
            // Decode steps the engine can run in one go; each ends before the horizon as well.
            core::TimeNs busy = 0;
            if (const std::int64_t n = engine_->run_decode_steps(end, horizon, *timing_, busy); n > 0) {
                rec_.counters().busy_ns += busy;
                coalesced_steps_ += static_cast<std::uint64_t>(n);
                multi_steps_ += static_cast<std::uint64_t>(n);
            }
            if (!engine_->schedule(shape_, end)) {
                // Idle from `end` until the next request. A marker event keeps the clock's last event
                // (the run's end time) where stepping would have put it.
                sim.schedule_at(end, actor_id_, core::EventKind::Timer, kIdleMarker);
                arm_wakeup(sim);
                return;
            }
            dt = timing_->step_time(shape_);
            rec_.counters().busy_ns += dt;
            end += dt;
            ++coalesced_steps_;
        }
    }
    busy_ = true;
    sim.schedule_at(end, actor_id_, core::EventKind::StepEnd);
}

}  // namespace dynosim::sim::engine
