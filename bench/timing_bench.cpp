// Timing-model speed: estimates per second of the table model on one core, cached (the same step shapes
// recur, as in a steady-state engine) and uncached (every call a new shape), against the roofline.
// Usage: dynosim_timing_bench [data_dir]. Figures go to issue notes, not assertions.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/roofline.hpp"
#include "sim/timing/table_model.hpp"

namespace tmg = dynosim::sim::timing;

namespace {

// Decode batch of `n` sequences around context `ctx`, plus one prefill chunk every other shape.
std::vector<tmg::BatchShape> shapes(int count, int n, int ctx, int step) {
    std::vector<tmg::BatchShape> out(static_cast<std::size_t>(count));
    for (int s = 0; s < count; ++s) {
        auto& b = out[static_cast<std::size_t>(s)];
        for (int i = 0; i < n; ++i) b.decode_context.push_back(ctx + i * 7 + s * step);
        if (s % 2 == 0) b.prefills.push_back({512, 1024 * (s % 5), true});
    }
    return out;
}

template <class Fn>
double rate(std::size_t calls, Fn fn) {
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t sink = 0;
    for (std::size_t i = 0; i < calls; ++i) sink += fn(i);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sink == 42) std::puts("");
    return static_cast<double>(calls) / s;
}

}  // namespace

int main(int argc, char** argv) {
    tmg::TableTimingOptions o;
    if (argc > 1) o.data_dir = argv[1];
    const auto model = dynosim::sim::hw::resolve_model("Llama-3.1-8B");
    const auto& gpu = dynosim::sim::hw::find_gpu("H100-SXM");
    const auto t0 = std::chrono::steady_clock::now();
    tmg::TableTimingModel table(model, gpu, o);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    tmg::TableTimingOptions no_cache = o;
    no_cache.cache_entries = 0;
    no_cache.cache_key_bits = 0;
    tmg::TableTimingModel uncached(model, gpu, no_cache);
    tmg::RooflineModel roof(model, gpu, {});

    std::printf("timing bench: Llama-3.1-8B on H100-SXM, tables loaded in %.3f s\n", load_s);
    for (const int n : {8, 64, 256}) {
        // Cached: 64 recurring shapes.
        const auto hot = shapes(64, n, 2000, 0);
        for (const auto& b : hot) table.step_time(b);
        const double cached = rate(20'000'000 / static_cast<std::size_t>(n / 8 + 1),
                                   [&](std::size_t i) { return table.step_time(hot[i & 63]); });
        // Uncached: 4096 distinct shapes (contexts differ by far more than the key resolution), no cache.
        const auto cold = shapes(4096, n, 2000, 997);
        const double fresh = rate(2'000'000 / static_cast<std::size_t>(n / 8 + 1),
                                  [&](std::size_t i) { return uncached.step_time(cold[i & 4095]); });
        const double rl = rate(2'000'000 / static_cast<std::size_t>(n / 8 + 1),
                               [&](std::size_t i) { return roof.step_time(cold[i & 4095]); });
        std::printf("  %3d decodes (+ a prefill chunk every other step): cached %6.1f M/s, uncached %6.2f M/s, "
                    "roofline %6.2f M/s\n",
                    n, cached / 1e6, fresh / 1e6, rl / 1e6);
    }
    std::printf("  cache: %llu hits, %llu misses\n", static_cast<unsigned long long>(table.cache_hits()),
                static_cast<unsigned long long>(table.cache_misses()));
    return 0;
}
