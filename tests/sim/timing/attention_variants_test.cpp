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

// gpt-oss-120b at tp 2 on H200 (vLLM): 36 layers, 18 of them sliding-window over 128 tokens, 32 query and
// 4 KV heads of 64 per rank; the vLLM tables measure that layout with window_size 128.
struct GptOssWindow {
    ModelSpec m = shared_model("openai--gpt-oss-120b");
    ModelSpec full = all_full(m);
    TableTimingModel t{m, find_gpu("H200"), exact_opts()};
    TableTimingModel f{full, find_gpu("H200"), exact_opts()};  // the same layers, all full attention
    static ModelSpec all_full(ModelSpec m) {
        m.num_local_layers = 0;
        m.local_kind = ModelSpec::LocalAttention::kNone;
        return m;
    }
    static TableTimingOptions exact_opts() {
        TableTimingOptions o = opts(2);
        o.cache_key_bits = 0;  // exact sums in the key
        return o;
    }
    // Per-layer time of op `op` in the 18 local layers: total - the 18 full layers' share of the all-full
    // model.
    double local_ms(const BatchShape& b, const char* op) const {
        return (op_ms(t.breakdown(b), op) - op_ms(f.breakdown(b), op) / 2) / 18;
    }
    double full_ms(const BatchShape& b, const char* op) const { return op_ms(f.breakdown(b), op) / 36; }
    // The measured cell of the window-128 rows of a table (ms), read from the file.
    static double measured(const char* stem, bool generation, double batch, double len) {
        const auto table =
            read_attention_table(dynosim::test::data_dir() / "gpu" / "aiconfigurator_csv" / "h200_sxm" /
                                     "attention" / "vllm" / "0.24.0" / (std::string(stem) + ".csv.gz"),
                                 generation);
        const AttentionSlice* s = table->find(32, 4, 64, "bfloat16", 128);
        REQUIRE(s != nullptr);
        REQUIRE(s->window == 128);
        for (std::size_t i = 0; i < s->raw.a.size(); ++i)
            for (std::size_t j = 0; j < s->raw.b.size(); ++j)
                if (s->raw.a[i] == batch && s->raw.b[j] == len) return s->raw.at(i, j);
        FAIL("no measured cell at batch " << batch << " length " << len);
        return 0;
    }
};

TEST_CASE("a sliding-window decode layer is priced from the window rows at the full KV length",
          "[timing][window]") {
    const GptOssWindow g;
    // The window-128 kernel at 32 x 2048 tokens of KV, as measured (~14.7 us): the local layers' share.
    CHECK(g.local_ms(decodes(32, 2048), "attention_generation") ==
          Approx(g.measured("generation_attention_perf", true, 32, 2048)).epsilon(1e-6));
    // Above the full kernel at the clipped context (128 keys, ~11.1 us): the window kernel pays for the
    // window straddling KV blocks once the context passes it.
    CHECK(g.local_ms(decodes(32, 2048), "attention_generation") >
          1.2 * g.full_ms(decodes(32, 128), "attention_generation"));
    // Flat in context past the window; inside it the kernel still grows.
    CHECK(g.local_ms(decodes(32, 8192), "attention_generation") ==
          Approx(g.local_ms(decodes(32, 2048), "attention_generation")).epsilon(0.05));
    CHECK(g.local_ms(decodes(32, 32), "attention_generation") <
          g.local_ms(decodes(32, 2048), "attention_generation"));
    // Past the longest measured KV length the window kernel stays flat (no full-attention growth).
    CHECK(g.local_ms(decodes(8, 400000), "attention_generation") ==
          Approx(g.local_ms(decodes(8, 131072), "attention_generation")).epsilon(1e-9));
    // The whole step still grows with context through the full layers.
    CHECK(g.t.step_seconds(decodes(32, 8192)) > g.t.step_seconds(decodes(32, 2048)));
}

TEST_CASE("a sliding-window prefill layer is priced from the window rows at the prompt length",
          "[timing][window]") {
    const GptOssWindow g;
    CHECK(g.local_ms(prefill(4096), "attention_context") ==
          Approx(g.measured("context_attention_perf", false, 1, 4096)).epsilon(1e-6));
    // Linear in the prompt past the window (each query sees 128 keys), where full attention is quadratic.
    const double ratio =
        g.local_ms(prefill(16384), "attention_context") / g.local_ms(prefill(4096), "attention_context");
    CHECK(ratio > 2.5);
    CHECK(ratio < 5.0);
    CHECK(g.full_ms(prefill(16384), "attention_context") / g.full_ms(prefill(4096), "attention_context") > 8);
}

TEST_CASE("a window the tables do not measure is priced on the full rows at the clipped context",
          "[timing][window]") {
    GptOssWindow g;
    ModelSpec m4096 = g.m;
    m4096.local_window = 4096;  // sliding window of 4096 (as Mistral's): no window_size 4096 rows
    TableTimingModel t(m4096, find_gpu("H200"), GptOssWindow::exact_opts());
    // 18 full layers at 8192 keys and 18 local ones at 4096, both on the full-attention rows.
    const double expect = (op_ms(g.f.breakdown(decodes(32, 8192)), "attention_generation") +
                           op_ms(g.f.breakdown(decodes(32, 4096)), "attention_generation")) /
                          2;
    CHECK(op_ms(t.breakdown(decodes(32, 8192)), "attention_generation") == Approx(expect).epsilon(1e-9));
    bool noted = false;
    for (const auto& n : t.notes()) noted = noted || n.find("no window 4096 rows") != std::string::npos;
    CHECK(noted);
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
