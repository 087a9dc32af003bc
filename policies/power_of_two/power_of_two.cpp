// Router: power of two choices. Draw `choices` distinct workers at random (seeded) and send the request to
// the least loaded of them (running + waiting, then queued prompt tokens). Close to least-loaded balance
// while looking at only a few workers, as a large fleet's router would.
#include <algorithm>
#include <tuple>
#include <vector>

#include "dynosim_plugin.hpp"

struct PowerOfTwo {
    static constexpr ds_param_doc kParams[] = {
        {"choices", "integer", "2", "workers sampled per request (>= 1; capped at the fleet size)"}};

    explicit PowerOfTwo(const dynosim_plugin::Context& c)
        : rng(c.seed), choices(c.params.get("choices", std::int64_t{2})) {
        if (choices < 1) throw std::invalid_argument("parameter choices must be >= 1");
    }
    std::uint32_t choose(const dynosim_plugin::RouterView& v) {
        const std::uint32_t n = v.size();
        const auto k = static_cast<std::uint32_t>(std::min<std::int64_t>(choices, n));
        picked.clear();
        while (picked.size() < k) {  // k distinct workers
            const auto w = static_cast<std::uint32_t>(rng.below(n));
            if (std::find(picked.begin(), picked.end(), w) == picked.end()) picked.push_back(w);
        }
        auto key = [&](std::uint32_t i) {
            const ds_worker_view& w = v.worker(i);
            return std::tuple(w.running + w.waiting, w.queued_prefill_tokens, i);
        };
        std::uint32_t best = picked[0];
        for (std::uint32_t w : picked)
            if (key(w) < key(best)) best = w;
        return best;
    }

    dynosim_plugin::Rng rng;
    std::int64_t choices;
    std::vector<std::uint32_t> picked;
};

DYNOSIM_PLUGIN(PowerOfTwo, "power_of_two", "1.0", "least loaded of `choices` randomly sampled workers")
