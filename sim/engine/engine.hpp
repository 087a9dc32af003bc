// The engine interface a Worker drives: a scheduler with its KV manager. Each step the worker asks for a
// batch, prices it with the timing model, and reports when the step ended. vLLM is the first backend;
// SGLang and TensorRT-LLM schedulers implement the same interface.
#pragma once
#include <cstdint>

#include "sim/core/time.hpp"
#include "sim/timing/batch_shape.hpp"

namespace dynosim::sim::engine {

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
};

}  // namespace dynosim::sim::engine
