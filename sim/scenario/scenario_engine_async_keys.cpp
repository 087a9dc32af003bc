// [engine] keys of vLLM's async scheduling (docs/fidelity.md: the engine plans one step ahead).
#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;

void add_async_scheduling_bindings(std::vector<Binding<Opts>>& b) {
    b.push_back(bind_key<Opts, bool>("engine.async_scheduling", [](Opts& o) -> auto& { return o.engine.async_scheduling; },
        "vLLM async scheduling: step N+1 is planned when step N launches, so arrivals wait one more step (vLLM only)"));
}

}  // namespace dynosim::sim::scenario
