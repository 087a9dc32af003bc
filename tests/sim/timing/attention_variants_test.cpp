// Timing of the attention variants: MLA (DeepSeek-V3), sliding-window layers (gpt-oss) and data-parallel
// attention with expert-parallel MoE, on the H200 tables.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/table_model.hpp"
#include "test_support.hpp"
#include "tests/sim/timing/timing_fixture.hpp"

using dynosim::sim::core::InputError;
using dynosim::sim::hw::find_gpu;
using dynosim::sim::hw::load_hf_config;
using dynosim::sim::hw::ModelSpec;
using namespace dynosim::sim::timing;
using namespace dynosim::sim::timing::test;

namespace {

ModelSpec shared_model(const std::string& folder) {
    return load_hf_config(dynosim::test::data_dir() / "models" / folder / "config.json");
}

TableTimingOptions opts(int tp, const std::string& backend = "vllm") {
    TableTimingOptions o;
    o.data_dir = dynosim::test::data_dir().string();
    o.tp = tp;
    o.backend = backend;
    o.weight_dtype = "fp8";
    return o;
}

}  // namespace

TEST_CASE("a sliding-window layer stops growing past the window", "[timing][window]") {
    const auto m = shared_model("openai--gpt-oss-120b");
    TableTimingModel t(m, find_gpu("H200"), opts(2));
    // Per-layer attention time of the 18 local layers = total - 18 x the full layers' time; the full layers
    // alone are priced by a model without local layers.
    ModelSpec full = m;
    full.num_local_layers = 0;
    full.local_kind = ModelSpec::LocalAttention::kNone;
    TableTimingModel f(full, find_gpu("H200"), opts(2));
    auto local_ms = [&](int ctx) {
        const double all = op_ms(t.breakdown(decodes(32, ctx)), "attention_generation");
        const double full_only = op_ms(f.breakdown(decodes(32, ctx)), "attention_generation");
        return (all - full_only / 2) / 18;  // 18 local layers; full_only covers 36 full layers
    };
    CHECK(local_ms(2048) == Approx(local_ms(8192)).epsilon(1e-9));  // both past the 128-token window
    CHECK(local_ms(64) < local_ms(2048));                           // inside the window it still grows
    // The whole step still grows with context through the full layers, but less than an all-full model.
    const double grow = t.step_seconds(decodes(32, 8192)) - t.step_seconds(decodes(32, 2048));
    const double grow_full = f.step_seconds(decodes(32, 8192)) - f.step_seconds(decodes(32, 2048));
    CHECK(grow > 0);
    CHECK(grow == Approx(grow_full / 2).epsilon(0.02));
}

TEST_CASE("chunked local attention restarts at each chunk", "[timing][window]") {
    const auto m = shared_model("meta-llama--Llama-4-Scout-17B-16E-Instruct");
    TableTimingOptions o = opts(2);
    o.cache_key_bits = 0;  // exact sums in the key
    TableTimingModel t(m, find_gpu("H100-SXM"), o);
    const StepKey a = t.make_key(decodes(4, 8192)), b = t.make_key(decodes(4, 8193));
    CHECK(a.local_decode_context == 4 * 8192);
    CHECK(b.local_decode_context == 4 * 1);
    BatchShape p;
    p.prefills.push_back(
        {100, 8150, true});  // positions 8150..8249: 42 end the first chunk, 58 start the next
    const StepKey k = t.make_key(p);
    std::int64_t sum = 0;
    for (std::int64_t pos = 8150; pos < 8250; ++pos) sum += m.local_context(pos);
    CHECK(k.local_prefill_attention == 2 * sum - 100);
}

TEST_CASE("MLA decode attention reads the latent once for all heads", "[timing][mla]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    TableTimingModel t(m, find_gpu("H200"), opts(8));
    const auto ops = t.breakdown(decodes(64, 4096));
    CHECK(op_ms(ops, "mla_kv_b_gemm") > 0);
    CHECK(op_ms(ops, "mla_q_b_gemm") > 0);
    CHECK(op_ms(ops, "moe_experts") > 0);
    CHECK(op_ms(ops, "gate_up_gemm") > 0);  // the 3 dense leading layers
    // 16 heads per rank at tp 8: memory-bound, so the time follows the latent bytes: fp8 KV halves it.
    TableTimingOptions o8 = opts(8);
    o8.kv_dtype = "fp8";
    TableTimingModel t8(m, find_gpu("H200"), o8);
    const double bf16 = op_ms(ops, "attention_generation"),
                 fp8 = op_ms(t8.breakdown(decodes(64, 4096)), "attention_generation");
    CHECK(fp8 < 0.6 * bf16);
    // The latent bytes: 64 x 4096 tokens x 576 x 2 B per layer, 61 layers, at the fitted memory efficiency.
    const double bytes = 64.0 * 4096 * 576 * 2 * 61;
    const double floor_ms = bytes / (find_gpu("H200").hbm_bw * t.efficiency().memory) * 1e3;
    CHECK(bf16 >= floor_ms);
    CHECK(bf16 < 1.2 * floor_ms);
}

TEST_CASE("data-parallel attention lowers per-rank attention time and adds the all-to-all", "[timing][dp]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    TableTimingModel tp(m, find_gpu("H200"), opts(8, "sglang"));
    TableTimingOptions o = opts(8, "sglang");
    o.attention_dp = 8;
    TableTimingModel dp(m, find_gpu("H200"), o);
    const auto a = tp.breakdown(decodes(256, 4096)), b = dp.breakdown(decodes(256, 4096));
    // Each of the 8 ranks attends for 32 sequences with all 128 heads instead of 256 with 16: the latent is
    // read once per rank instead of once per GPU for every sequence.
    CHECK(op_ms(b, "attention_generation") < 0.5 * op_ms(a, "attention_generation"));
    CHECK(op_ms(a, "all_to_all") == 0);
    CHECK(op_ms(b, "all_to_all") > 0);
    // No attention all-reduce when a rank is one GPU; the 3 dense layers still reduce over all 8.
    CHECK(op_ms(b, "all_reduce") < op_ms(a, "all_reduce"));
}

TEST_CASE("bad attention_dp values name the key", "[timing][dp]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    TableTimingOptions o = opts(8, "sglang");
    o.attention_dp = 3;
    CHECK_THROWS_WITH(TableTimingModel(m, find_gpu("H200"), o), Catch::Contains("timing.attention_dp = 3"));
    o = opts(8, "trtllm");
    o.attention_dp = 4;
    CHECK_THROWS_WITH(TableTimingModel(m, find_gpu("H200"), o), Catch::Contains("timing.attention_dp = 4"));
    TableTimingOptions d = opts(2);
    d.attention_dp = 2;
    CHECK_THROWS_WITH(TableTimingModel(load_hf_config(dynosim::test::data_dir() / "models" /
                                                      "meta-llama--Llama-3.1-8B-Instruct" / "config.json"),
                                       find_gpu("H200"), d),
                      Catch::Contains("timing.attention_dp = 2"));
}
