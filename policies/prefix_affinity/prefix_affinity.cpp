// Router: prefix affinity with a load cap. Requests whose prompts start with the same block (a shared
// system prompt, a conversation's earlier turns) go to the same worker, chosen by hashing that first block
// hash (or the session id when a request has no hashes), so their prefixes stay cached there. When that
// worker is overloaded, more than `cap` requests above the least loaded worker (running + waiting), the
// request goes to the least loaded worker instead.
#include <tuple>

#include "dynosim_plugin.hpp"

struct PrefixAffinity {
    static constexpr ds_param_doc kParams[] = {
        {"cap", "integer", "8", "extra requests the preferred worker may hold over the least loaded one (>= 0)"},
        {"prefix_blocks", "integer", "1", "leading block hashes that pick the preferred worker (>= 1)"}};

    explicit PrefixAffinity(const dynosim_plugin::Context& c)
        : cap(c.params.get("cap", std::int64_t{8})), prefix_blocks(c.params.get("prefix_blocks", std::int64_t{1})) {
        if (cap < 0) throw std::invalid_argument("parameter cap must be >= 0");
        if (prefix_blocks < 1) throw std::invalid_argument("parameter prefix_blocks must be >= 1");
    }
    static std::uint64_t mix(std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint32_t choose(const dynosim_plugin::RouterView& v) const {
        const ds_request_view& r = v.request();
        auto load = [&](std::uint32_t i) { return std::int64_t{v.worker(i).running} + v.worker(i).waiting; };
        std::uint32_t least = 0;
        for (std::uint32_t i = 1; i < v.size(); ++i)
            if (std::tuple(load(i), v.worker(i).queued_prefill_tokens) <
                std::tuple(load(least), v.worker(least).queued_prefill_tokens))
                least = i;
        std::uint64_t h;
        if (r.num_block_hashes > 0) {
            h = 0x51ed270b27a5f3c1ULL;
            for (std::uint32_t i = 0; i < r.num_block_hashes && i < prefix_blocks; ++i) h = mix(h ^ r.block_hashes[i]);
        } else if (r.session_id >= 0) {
            h = mix(static_cast<std::uint64_t>(r.session_id));
        } else {
            return least;  // nothing to keep together
        }
        const auto preferred = static_cast<std::uint32_t>(h % v.size());
        return load(preferred) - load(least) > cap ? least : preferred;
    }

    std::int64_t cap, prefix_blocks;
};

DYNOSIM_PLUGIN(PrefixAffinity, "prefix_affinity", "1.0",
               "same leading prefix -> same worker (hashed), unless it holds > cap requests over the least loaded")
