#include "sim/engine/worker.hpp"

namespace dynosim::sim::engine {

Worker::Worker(std::int32_t index, std::unique_ptr<Engine> engine, std::shared_ptr<timing::TimingModel> timing,
               metrics::Recorder& rec)
    : index_(index), engine_(std::move(engine)), timing_(std::move(timing)), rec_(rec) {}

bool Worker::submit(std::uint64_t request, core::Simulation& sim) {
    if (!engine_->enqueue(request, sim.now())) return false;
    // An idle engine starts its next step after every request arriving at this instant has been queued,
    // as vLLM's engine loop drains its input queue before scheduling.
    if (!busy_ && !kick_pending_) {
        kick_pending_ = true;
        sim.schedule_at(sim.now(), actor_id_, core::EventKind::Timer);
    }
    return true;
}

void Worker::on_event(const core::Event& ev, core::Simulation& sim) {
    if (ev.kind == core::EventKind::StepEnd) {
        engine_->complete_step(sim.now());
        busy_ = false;
    } else {
        kick_pending_ = false;
    }
    if (!busy_) start_step(sim);
}

void Worker::start_step(core::Simulation& sim) {
    if (!engine_->schedule(shape_, sim.now())) return;  // idle until the next request
    const core::TimeNs dt = timing_->step_time(shape_);
    rec_.counters().busy_ns += dt;
    busy_ = true;
    sim.schedule_after(dt, actor_id_, core::EventKind::StepEnd);
}

}  // namespace dynosim::sim::engine
