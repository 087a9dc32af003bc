// Router: the worker with the fewest running + waiting requests; ties go to fewer queued prompt tokens,
// then fewer KV blocks in use, then the lowest index (the same order as the built-in least_loaded).
#include <tuple>

#include "dynosim_plugin.hpp"

struct LeastLoaded {
    explicit LeastLoaded(const dynosim_plugin::Context&) {}
    std::uint32_t choose(const dynosim_plugin::RouterView& v) const {
        auto key = [&](std::uint32_t i) {
            const ds_worker_view& w = v.worker(i);
            return std::tuple(w.running + w.waiting, w.queued_prefill_tokens, w.used_blocks);
        };
        std::uint32_t best = 0;
        for (std::uint32_t i = 1; i < v.size(); ++i)
            if (key(i) < key(best)) best = i;
        return best;
    }
};

DYNOSIM_PLUGIN(LeastLoaded, "least_loaded", "1.0", "fewest running + waiting requests, then queued prompt tokens")
