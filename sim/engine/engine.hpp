// The engine interface a Worker drives: a scheduler with its KV manager. Each step the worker asks for a
// batch, prices it with the timing model, and reports when the step ended. vLLM (vllm_engine.hpp), SGLang
// (sglang_engine.hpp) and TensorRT-LLM (trtllm_engine.hpp) schedulers implement it.
#pragma once
#include <cstdint>

#include "sim/core/time.hpp"
#include "sim/timing/batch_shape.hpp"

namespace dynosim::sim::engine {

class EngineEventSink;  // kv_events.hpp
}  // namespace dynosim::sim::engine
namespace dynosim::sim::kv {
class Kvbm;  // kv/kvbm.hpp
}  // namespace dynosim::sim::kv
namespace dynosim::sim::timing {
class TimingModel;  // timing/timing_model.hpp
}  // namespace dynosim::sim::timing
namespace dynosim::sim::engine {

// What a worker does in a fleet: everything (aggregated), prompts only (a disaggregated prefill worker: each
// request stops after its first token and its KV is handed off), or decode (requests may arrive with their
// prompt KV transferred from a prefill worker; short prompts may still be prefilled locally).
enum class EngineRole : std::uint8_t { Aggregated, Prefill, Decode };

using core::TimeNs;

// What a router may see of a worker.
struct WorkerLoad {
    std::int32_t running = 0;
    std::int32_t waiting = 0;
    std::int32_t used_blocks = 0;
    std::int32_t total_blocks = 0;
    std::int64_t queued_prefill_tokens = 0;  // prompt tokens of waiting requests not yet computed
};

class Engine {
public:
    virtual ~Engine() = default;
    // A request (workload index) reaches this engine. Returns false if it can never be served here
    // (recorded as rejected).
    virtual bool enqueue(std::uint64_t request, TimeNs now) = 0;
    // Plans the next forward pass into `shape`; false when there is nothing to run.
    virtual bool schedule(timing::BatchShape& shape, TimeNs now) = 0;
    // The pass planned by the last schedule() ended at `now`: emit tokens, finish requests.
    virtual void complete_step(TimeNs now) = 0;
    virtual WorkerLoad load() const = 0;
    // Multi-step decoding (step coalescing): called between steps at `now`, after complete_step() and
    // before schedule(). While the engine can tell that its next steps are decodes of the same running
    // batch with nothing else happening (no request finishing, admitted or preempted, no KV allocation
    // that could fail, no scheduler decision that could change), it runs those of them that end strictly
    // before `horizon` at once, priced by `timing`, with the same results as schedule() + complete_step()
    // for each. Returns the number of steps run; `now` moves to the end of the last and `busy_ns` gains
    // their time. 0 (the default) when it cannot tell.
    virtual std::int64_t run_decode_steps(TimeNs& /*now*/, TimeNs /*horizon*/,
                                          timing::TimingModel& /*timing*/, TimeNs& /*busy_ns*/) {
        return 0;
    }
    // Cached prefix blocks (radix nodes for SGLang) dropped so far to make room.
    virtual std::uint64_t evictions() const { return 0; }

    // KV events and request lifecycle go to `sink` (nullptr = nowhere). False when this engine does not
    // publish KV events (lifecycle is still reported).
    virtual bool set_event_sink(EngineEventSink* /*sink*/) { return false; }
    // Disaggregation (vLLM only so far): supports_role() says whether set_role may be called.
    virtual bool supports_role(EngineRole r) const { return r == EngineRole::Aggregated; }
    virtual void set_role(EngineRole /*r*/) {}
    // Prompt tokens of `request` this engine holds cached now (whole blocks).
    virtual std::int32_t cached_prefix_tokens(std::uint64_t /*request*/) { return 0; }
    // Decode role: reserves KV for the prompt of `request`, whose KV a prefill worker will send. Returns
    // the leading prompt blocks already cached here (not sent), kNoRoom when the blocks cannot be had now,
    // kNeverFits when the request can never be served here (the engine records it rejected).
    static constexpr std::int32_t kNoRoom = -1, kNeverFits = -2;
    virtual std::int32_t reserve_transfer(std::uint64_t /*request*/, TimeNs /*now*/) { return kNeverFits; }
    // Decode role: the transfer into the reserved blocks ended; the request joins the waiting queue with its
    // prompt KV in place (its last prompt token is recomputed and samples the first output token).
    virtual void transfer_done(std::uint64_t /*request*/, TimeNs /*now*/) {}
    // KVBM: the earliest time work the engine waits on (an onboard transfer) completes, kTimeMax when none;
    // an idle worker wakes itself then. And the engine's tiers below G1, null without KVBM.
    virtual TimeNs next_wakeup_ns() const { return core::kTimeMax; }
    virtual const kv::Kvbm* kvbm() const { return nullptr; }
    // KV blocks usable by requests (the pool's size less the null block).
    virtual std::int32_t kv_block_tokens() const { return 0; }
};

}  // namespace dynosim::sim::engine
