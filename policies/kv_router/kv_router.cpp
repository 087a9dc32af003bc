// Router: Dynamo's KV-aware cost function (docs/router.md), as a plugin. Needs router.plugin_kv_indexer =
// true: the host then runs the KV indexer (prefix overlap per worker, from KV events or approximate) and
// the router-side active-load tracking, and hands their figures to this plugin, which only decides:
//   cost(w) = overlap_score_weight x prefill_blocks(w) + decode_blocks(w)
//   prefill_blocks(w) = (active_prefill_tokens(w) + max(0, input_tokens - overlap_blocks(w) x block)) / block
//   decode_blocks(w)  = active_blocks(w) + new_active_blocks(w)
// lowest cost wins, ties uniformly at random (reservoir sampling over the tied workers); temperature > 0
// samples a softmax over the normalised negated costs with one uniform draw. Random numbers come from the
// host's router stream when offered, so the choices are the built-in router.policy = "kv"'s, draw for draw.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dynosim_plugin.hpp"

struct KvCost {
    static constexpr ds_param_doc kParams[] = {
        {"overlap_score_weight", "float", "1.0", "weight of the prefill blocks still to compute (>= 0)"},
        {"temperature", "float", "0.0", "softmax temperature over normalised negated costs (>= 0; 0 = lowest cost)"}};

    explicit KvCost(const dynosim_plugin::Context& c)
        : weight(c.params.get("overlap_score_weight", 1.0)), temperature(c.params.get("temperature", 0.0)),
          own(c.seed) {
        if (!(weight >= 0)) throw std::invalid_argument("parameter overlap_score_weight must be >= 0");
        if (!(temperature >= 0)) throw std::invalid_argument("parameter temperature must be >= 0");
    }

    std::uint64_t draw(const dynosim_plugin::RouterView& v) { return v.has_host_random() ? v.host_random() : own.next(); }
    double uniform(const dynosim_plugin::RouterView& v) { return static_cast<double>(draw(v) >> 11) * 0x1.0p-53; }
    std::uint64_t below(const dynosim_plugin::RouterView& v, std::uint64_t n) {  // Lemire multiply-shift
        __extension__ using U128 = unsigned __int128;
        return static_cast<std::uint64_t>((static_cast<U128>(draw(v)) * n) >> 64);
    }

    std::uint32_t choose(const dynosim_plugin::RouterView& v) {
        if (!v.has_kv_figures())
            throw std::invalid_argument("the kv_router plugin needs the host's KV figures: set router.plugin_kv_indexer = true");
        const double bs = v.kv_block_size();
        const std::int64_t input = v.request().input_tokens;
        logits.resize(v.size());
        for (std::uint32_t i = 0; i < v.size(); ++i) {
            const ds_worker_view& w = v.worker(i);
            const std::int64_t new_tokens =
                std::max<std::int64_t>(0, input - std::int64_t{w.overlap_blocks} * v.kv_block_size());
            const double prefill_blocks = static_cast<double>(w.active_prefill_tokens + new_tokens) / bs;
            const double decode_blocks = static_cast<double>(w.active_blocks + w.new_active_blocks);
            logits[i] = weight * prefill_blocks + decode_blocks;
        }
        const auto [lo_it, hi_it] = std::minmax_element(logits.begin(), logits.end());
        const double lo = *lo_it, hi = *hi_it;
        if (temperature <= 0 || hi == lo) {
            std::uint32_t pick = 0;
            std::uint64_t tied = 0;
            for (std::uint32_t i = 0; i < v.size(); ++i) {
                if (logits[i] != lo) continue;
                ++tied;
                if (tied == 1 || below(v, tied) == 0) pick = i;
            }
            return pick;
        }
        const double scale = (hi - lo) * temperature;
        double total = 0;
        for (double l : logits) total += std::exp(-(l - lo) / scale);
        const double u = uniform(v) * total;
        double acc = 0;
        for (std::uint32_t i = 0; i < v.size(); ++i) {
            acc += std::exp(-(logits[i] - lo) / scale);
            if (u < acc) return i;
        }
        return v.size() - 1;
    }

    double weight, temperature;
    dynosim_plugin::Rng own;
    std::vector<double> logits;
};

DYNOSIM_PLUGIN(KvCost, "kv_router", "1.0",
               "Dynamo's KV-aware cost (overlap weight x prefill blocks + active decode blocks); needs "
               "router.plugin_kv_indexer = true")
