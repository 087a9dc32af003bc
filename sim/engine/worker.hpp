// A worker: one engine instance (scheduler + KV) on `gpus` GPUs, an actor on the shared clock. It asks its
// engine for a batch, prices the batch with its timing model, and schedules the StepEnd that emits tokens.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/simulation.hpp"
#include "sim/engine/engine.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/timing/timing_model.hpp"

namespace dynosim::sim::engine {

// What a worker may know about its inputs: no request reaches it, and nothing outside reads its state,
// before next_input_ns() (the fleet's next arrival, or just past the end of the run). The fleet replays
// arrivals one pending event at a time, so this is known exactly.
class InputHorizon {
public:
    virtual ~InputHorizon() = default;
    virtual core::TimeNs next_input_ns() const = 0;
};

class Worker final : public core::Actor {
public:
    Worker(std::int32_t index, std::unique_ptr<Engine> engine, std::shared_ptr<timing::TimingModel> timing,
           metrics::Recorder& rec);

    // Registers this worker with the simulation; call once before submitting.
    void attach(core::Simulation& sim) { actor_id_ = sim.add_actor(this); }
    // A request reaches this worker now. Returns false if the engine rejected it.
    bool submit(std::uint64_t request, core::Simulation& sim);
    // Work reached the engine other than through submit() (a disaggregated decode worker's KV transfer
    // ended): an idle worker starts a step at this instant, as submit() does.
    void wake(core::Simulation& sim);
    // Step coalescing: with a horizon, every step that ends before it is run (planned, priced, completed at
    // its own end time) inside the event that started the run; only the last step of the run gets a
    // StepEnd event. Per-request results, step counts and ITLs are those of stepping one event at a time,
    // since nothing can reach or read the worker in between. nullptr (the default) steps one by one.
    void set_input_horizon(const InputHorizon* h) { horizon_ = h; }
    // Steps run inside another step's event so far.
    std::uint64_t coalesced_steps() const { return coalesced_steps_; }
    // Of which run by the engine's multi-step decoding (Engine::run_decode_steps).
    std::uint64_t multi_steps() const { return multi_steps_; }
    void on_event(const core::Event& ev, core::Simulation& sim) override;

    WorkerLoad load() const { return engine_->load(); }
    // Load tracking for the aggregated fleet: from now on the worker appends `slot` to *changed the first
    // time its engine's state may change after read_load() (a submit, a wake-up, any event of its own), so
    // the fleet re-reads only those loads per arrival. Exact: load() depends on the engine's state alone,
    // and only those calls change it. `changed` must outlive the worker's events.
    void track_load(std::vector<std::int32_t>* changed, std::int32_t slot) {
        changed_ = changed;
        slot_ = slot;
        load_stale_ = false;
        touched();
    }
    WorkerLoad read_load() {
        load_stale_ = false;
        return engine_->load();
    }
    std::int32_t index() const { return index_; }
    bool busy() const { return busy_; }
    Engine& engine() { return *engine_; }

private:
    void start_step(core::Simulation& sim);
    // Idle with engine work pending (KVBM onboards): a wake-up at the engine's next_wakeup_ns().
    void arm_wakeup(core::Simulation& sim);
    void touched() {
        if (changed_ != nullptr && !load_stale_) {
            load_stale_ = true;
            changed_->push_back(slot_);
        }
    }

    std::int32_t index_;
    core::ActorId actor_id_ = 0;
    std::unique_ptr<Engine> engine_;
    std::shared_ptr<timing::TimingModel> timing_;
    metrics::Recorder& rec_;
    timing::BatchShape shape_;  // reused every step
    bool busy_ = false;
    bool kick_pending_ = false;
    const InputHorizon* horizon_ = nullptr;
    std::uint64_t coalesced_steps_ = 0;
    std::uint64_t multi_steps_ = 0;
    std::vector<std::int32_t>* changed_ = nullptr;  // track_load
    std::int32_t slot_ = 0;
    bool load_stale_ = false;
    core::TimeNs wakeup_at_ = core::kTimeMax;  // the pending wake-up event's time (kTimeMax = none)
};

}  // namespace dynosim::sim::engine
