// Router: a KV-aware weighted cost with hand-picked constants, the starting point of the agent demo
// (examples/agent-router). Lowest cost wins (ties: lowest index):
//   cost(w) = a x blocks_to_prefill(w) + b x queued_prefill_blocks(w) + c x active_blocks(w) + d x requests(w)
// blocks_to_prefill: KV blocks of this prompt not cached on w (prefix overlap from the host's KV indexer);
// queued_prefill_blocks: prompt blocks routed to w whose first token is not back yet; active_blocks: KV
// blocks w holds for requests in flight plus what this one adds; requests: running + waiting on w.
// The constants below weigh the queue length far above cache reuse and prefill work, so the router acts
// much like least-loaded and misses prefix hits: a weak start the agent's edits can improve. The agent's
// built-in mutator edits only the marked region.
#include <limits>

#include "dynosim_plugin.hpp"

struct WeightedCost {
    explicit WeightedCost(const dynosim_plugin::Context&) {}

    std::uint32_t choose(const dynosim_plugin::RouterView& v) const {
        if (!v.has_kv_figures())
            throw std::invalid_argument("the weighted_cost plugin needs the host's KV figures: set router.plugin_kv_indexer = true");
        const double bs = v.kv_block_size();
        const double input = v.request().input_tokens;
        std::uint32_t best = 0;
        double best_cost = std::numeric_limits<double>::infinity();
        for (std::uint32_t i = 0; i < v.size(); ++i) {
            const ds_worker_view& w = v.worker(i);
            const double cached = static_cast<double>(w.overlap_blocks) * bs;
            const double blocks_to_prefill = (input > cached ? input - cached : 0.0) / bs;
            const double queued_prefill_blocks = static_cast<double>(w.active_prefill_tokens) / bs;
            const double active_blocks = static_cast<double>(w.active_blocks + w.new_active_blocks);
            const double requests = static_cast<double>(w.running + w.waiting);
            // agent:begin
            const double cost = 0.002 * blocks_to_prefill + 0.002 * queued_prefill_blocks + 0.01 * active_blocks +
                                4.0 * requests;
            // agent:end
            if (cost < best_cost) {
                best_cost = cost;
                best = i;
            }
        }
        return best;
    }
};

DYNOSIM_PLUGIN(WeightedCost, "weighted_cost", "1.0",
               "KV-aware weighted cost with hand-picked constants (agent demo start); needs router.plugin_kv_indexer = true")
