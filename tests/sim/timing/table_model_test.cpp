// Table-driven timing model: interpolation exactness and monotonicity, the directions step time must move
// with TP, context and MoE top-k, out-of-grid fallback with a warning, and errors for malformed tables.
// Only the H100 vLLM tables are loaded (once per process, shared by the cases).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/calibration.hpp"
#include "sim/timing/log_grid.hpp"
#include "sim/timing/op_tables.hpp"
#include "sim/timing/table_model.hpp"
#include "test_support.hpp"
#include "tests/sim/timing/timing_fixture.hpp"

using dynosim::sim::core::InputError;
using dynosim::sim::hw::find_gpu;
using dynosim::sim::hw::resolve_model;
using namespace dynosim::sim::timing;
using namespace dynosim::sim::timing::test;

namespace {

TableTimingOptions opts(int tp = 1) {
    TableTimingOptions o;
    o.data_dir = dynosim::test::data_dir().string();
    o.tp = tp;
    return o;
}

std::filesystem::path h100(const std::string& rel) {
    return dynosim::test::data_dir() / "gpu" / "aiconfigurator_csv" / "h100_sxm" / rel;
}

}  // namespace

TEST_CASE("log grid interpolation is exact on grid points and monotone between", "[timing][table]") {
    const auto table = TableStore::gemm(h100("gemm/vllm/0.24.0/gemm_perf.csv.gz"));
    const GemmGrid* g = table->find("bfloat16");
    REQUIRE(g != nullptr);
    // A grid column (n = k = 4096): the curve over m reproduces every measured cell.
    const std::size_t in =
        static_cast<std::size_t>(std::find(g->n.begin(), g->n.end(), 4096.0) - g->n.begin());
    const std::size_t ik =
        static_cast<std::size_t>(std::find(g->k.begin(), g->k.end(), 4096.0) - g->k.begin());
    REQUIRE(in < g->n.size());
    REQUIRE(ik < g->k.size());
    bool outside = false;
    const LogCurve c = g->curve_over_m(4096, 4096, &outside);
    CHECK_FALSE(outside);
    int checked = 0;
    for (std::size_t im = 0; im < g->m.size(); ++im) {
        const std::size_t idx = (im * g->n.size() + in) * g->k.size() + ik;
        if (!g->was_measured[idx]) continue;
        CHECK(c.eval(g->m[im], &outside) == Approx(g->ms[idx]).epsilon(1e-9));
        ++checked;
    }
    CHECK(checked > 50);
    CHECK_FALSE(outside);
    // Between two grid points the value stays between the two measurements and moves one way.
    for (std::size_t im = 0; im + 1 < g->m.size(); ++im) {
        const double lo = c.value_at(im), hi = c.value_at(im + 1);
        double prev = lo;
        for (int s = 1; s < 8; ++s) {
            const double m = g->m[im] + (g->m[im + 1] - g->m[im]) * s / 8.0;
            const double v = c.eval(m, &outside);
            CHECK(v >= std::min(lo, hi) * (1 - 1e-12));
            CHECK(v <= std::max(lo, hi) * (1 + 1e-12));
            if (hi >= lo)
                CHECK(v >= prev * (1 - 1e-12));
            else
                CHECK(v <= prev * (1 + 1e-12));
            prev = v;
        }
    }
    // Two-axis grid: exact at a measured cell.
    LogGrid2 grid(LogAxis({1, 4}, 1), LogAxis({10, 100, 1000}, 2), std::vector<double>{1, 2, 8, 3, 5, 20});
    CHECK(grid.eval(4, 100, &outside) == Approx(5).epsilon(1e-12));
    CHECK(grid.eval(2, 100, &outside) == Approx(std::sqrt(2.0 * 5.0)).epsilon(1e-12));
    CHECK_FALSE(outside);
}

TEST_CASE("table model prices a dense model from the tables", "[timing][table]") {
    TableTimingModel m(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    CHECK(m.uses_tables());
    // Decode of 8 sequences: ~16 GB of bf16 weights read per step at ~2.7-3 TB/s achieved is 5.5-6.5 ms of
    // GEMMs; vLLM 0.15.1 measures 7-7.5 ms ITL for 7-8B models on H100 (serving/sim2real-trainval).
    const double d = m.step_seconds(decodes(8, 1000)) * 1e3;
    CHECK(d > 6);
    CHECK(d < 10);
    const auto ops = m.breakdown(decodes(8, 1000));
    double sum = 0;
    for (const auto& o : ops) sum += o.ms;
    CHECK(sum == Approx(d).epsilon(1e-9));
    CHECK(op_ms(ops, "gate_up_gemm") > 0);
    // Cached and uncached agree.
    BatchShape b = decodes(8, 1000);
    const auto first = m.step_time(b), second = m.step_time(b);
    CHECK(first == second);
    CHECK(m.cache_hits() == 1);
    CHECK(static_cast<double>(first) == Approx(d * 1e6).epsilon(1e-6));
}

TEST_CASE("memory-bound GEMMs are priced at the table's median bandwidth", "[timing][table]") {
    const auto table = read_gemm_table(h100("gemm/vllm/0.24.0/gemm_perf.csv.gz"));
    const GemmGrid* g = table->find("bfloat16");
    REQUIRE(g != nullptr);
    // H100-SXM bf16 cells with m <= 64 and >= 64 MiB of weights: the two kernel modes straddle the median.
    const double bw = g->median_stream_bandwidth(2, 64, 64.0 * 1024 * 1024);
    CHECK(bw > 2.6e12);
    CHECK(bw < 2.9e12);
    CHECK(bw < find_gpu("H100-SXM").hbm_bw);
    // Llama-3.1-8B's gate/up GEMM (4096 -> 2 x 14336, 224 MiB of weights) at 16 rows: weights and activations
    // over that bandwidth; without the option, its own cells.
    TableTimingModel med(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    TableTimingOptions o = opts();
    o.gemm_median_bandwidth = false;
    TableTimingModel own(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), o);
    const double n = 2 * 14336, k = 4096;
    const double expect_ms = 32 * (n * k * 2 + 16 * (n + k) * 2) / bw * 1e3;  // 32 layers
    CHECK(op_ms(med.breakdown(decodes(16, 500)), "gate_up_gemm") == Approx(expect_ms).epsilon(1e-9));
    CHECK(op_ms(own.breakdown(decodes(16, 500)), "gate_up_gemm") != Approx(expect_ms).epsilon(1e-3));
    // Past 64 rows, and for GEMMs under 64 MiB (the 32 MiB O projection), the table's cells.
    CHECK(op_ms(med.breakdown(decodes(80, 500)), "gate_up_gemm") ==
          Approx(op_ms(own.breakdown(decodes(80, 500)), "gate_up_gemm")));
    CHECK(op_ms(med.breakdown(decodes(16, 500)), "o_proj_gemm") ==
          Approx(op_ms(own.breakdown(decodes(16, 500)), "o_proj_gemm")));
}

TEST_CASE("TP 2 lowers GEMM time and adds all-reduce", "[timing][table]") {
    const auto model = resolve_model("Llama-3.1-8B");
    TableTimingModel tp1(model, find_gpu("H100-SXM"), opts(1));
    TableTimingModel tp2(model, find_gpu("H100-SXM"), opts(2));
    for (const BatchShape& b : {decodes(16, 2000), prefill(4096)}) {
        const auto o1 = tp1.breakdown(b), o2 = tp2.breakdown(b);
        for (const char* g : {"qkv_gemm", "o_proj_gemm", "gate_up_gemm", "down_gemm"}) {
            INFO(g);
            CHECK(op_ms(o2, g) < op_ms(o1, g));
        }
        CHECK(op_ms(o1, "all_reduce") == 0);
        CHECK(op_ms(o2, "all_reduce") > 0);
    }
    // Prefill is GEMM-bound: TP2 is faster overall.
    CHECK(tp2.step_seconds(prefill(4096)) < tp1.step_seconds(prefill(4096)));
}

TEST_CASE("decode step time grows with total context", "[timing][table]") {
    TableTimingModel m(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    double prev = 0;
    for (const int ctx : {128, 512, 2048, 8192, 32768}) {
        const double t = m.step_seconds(decodes(32, ctx));
        CHECK(t > prev);
        prev = t;
    }
    // More sequences at the same context: more KV to read.
    CHECK(m.step_seconds(decodes(64, 4096)) > m.step_seconds(decodes(32, 4096)));
    // A prefix (context) makes a chunk's attention dearer.
    CHECK(m.step_seconds(prefill(1024, 8192)) > m.step_seconds(prefill(1024, 0)));
}

TEST_CASE(
    "vLLM decode attention over unequal contexts costs as the longest while the batch fills under a wave",
    "[timing][table]") {
    // Llama-3.1-8B: 8 KV heads. 4 sequences = 32 blocks of work, well under the H100's 132 SMs:
    // FlashAttention splits them for the longest sequence, which sets the step (the table's uniform batch at
    // that length).
    TableTimingModel m(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    BatchShape skewed;
    skewed.decode_context = {1000, 1000, 1000, 9000};  // mean 3000
    const double att_skewed = op_ms(m.breakdown(skewed), "attention_generation");
    CHECK(att_skewed > op_ms(m.breakdown(decodes(4, 3000)), "attention_generation") * 1.5);
    CHECK(att_skewed == Approx(op_ms(m.breakdown(decodes(4, 9000)), "attention_generation")).epsilon(1e-3));
    // 64 sequences = 512 blocks, about 4 waves: a longest sequence under 4x the mean costs nothing extra.
    BatchShape many = decodes(64, 2000);
    many.decode_context[0] = 6000;
    for (int i = 1; i <= 4; ++i) many.decode_context[static_cast<size_t>(i)] = 1000;  // the mean stays 2000
    CHECK(op_ms(m.breakdown(many), "attention_generation") ==
          Approx(op_ms(m.breakdown(decodes(64, 2000)), "attention_generation")).epsilon(1e-3));
    // Other backends' decode kernels balance the work: the mean prices them.
    TableTimingOptions trt = opts();
    trt.backend = "trtllm";
    TableTimingModel t(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), trt);
    CHECK(op_ms(t.breakdown(skewed), "attention_generation") ==
          Approx(op_ms(t.breakdown(decodes(4, 3000)), "attention_generation")).epsilon(1e-3));
}

TEST_CASE("a decode step's elementwise kernels cost at least the smallest kernel time each",
          "[timing][table]") {
    // Five per layer (two residual-add + norms, rotary, KV-cache write, activation): a one-token step moves a
    // few kilobytes per kernel, far under a microsecond at HBM bandwidth, but each kernel still takes the
    // table's smallest kernel time (2-3 us on H100).
    TableTimingModel m(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    const double one = op_ms(m.breakdown(decodes(1, 100)), "elementwise");
    CHECK(one > 32 * 5 * 1.5e-3);
    CHECK(one < 32 * 5 * 10e-3);
    // Large prefill: bandwidth, not the floor, sets them (grows with tokens).
    CHECK(op_ms(m.breakdown(prefill(8192)), "elementwise") >
          4 * op_ms(m.breakdown(prefill(1024)), "elementwise"));
}

TEST_CASE("vLLM runs a graph step at its padded capture size", "[timing][table][vllm]") {
    // vLLM's default capture sizes are 1, 2, 4, then multiples of 8 to 256, then of 16: a decode step of 9
    // sequences replays the 16-token graph, so its GEMMs, MoE and elementwise kernels cost what 16 tokens
    // cost; attention and the LM head see the 9 real rows.
    auto model = resolve_model("Qwen3-30B-A3B");
    TableTimingModel padded(model, find_gpu("H100-SXM"), opts());
    TableTimingOptions o = opts();
    o.cuda_graph_padding = false;
    TableTimingModel exact(model, find_gpu("H100-SXM"), o);
    const auto p9 = padded.breakdown(decodes(9, 1000)), p16 = padded.breakdown(decodes(16, 1000));
    const auto e9 = exact.breakdown(decodes(9, 1000));
    for (const char* op : {"qkv_gemm", "o_proj_gemm", "moe_experts", "elementwise"})
        CHECK(op_ms(p9, op) == Approx(op_ms(p16, op)));
    CHECK(op_ms(p9, "moe_experts") > op_ms(e9, "moe_experts"));  // more tokens touch more experts
    CHECK(op_ms(p9, "attention_generation") == Approx(op_ms(e9, "attention_generation")));
    CHECK(op_ms(p9, "attention_generation") < op_ms(p16, "attention_generation"));
    CHECK(op_ms(p9, "lm_head_gemm") == Approx(op_ms(e9, "lm_head_gemm")));
    // Capture sizes themselves, and steps past the largest capture size (eager), are not padded.
    CHECK(padded.step_seconds(decodes(16, 1000)) == Approx(exact.step_seconds(decodes(16, 1000))));
    CHECK(padded.step_seconds(prefill(600)) == Approx(exact.step_seconds(prefill(600))));
    // Other engines' models are not padded.
    TableTimingOptions sg = opts();
    sg.backend = "sglang";
    TableTimingOptions sg_exact = sg;
    sg_exact.cuda_graph_padding = false;
    CHECK(TableTimingModel(model, find_gpu("H100-SXM"), sg).step_seconds(decodes(9, 1000)) ==
          Approx(TableTimingModel(model, find_gpu("H100-SXM"), sg_exact).step_seconds(decodes(9, 1000))));
}

TEST_CASE("MoE top k changes expert time", "[timing][table]") {
    auto model = resolve_model("Qwen3-30B-A3B");
    REQUIRE(model.is_moe());
    TableTimingModel k8(model, find_gpu("H100-SXM"), opts());
    model.experts_per_token = 2;
    TableTimingModel k2(model, find_gpu("H100-SXM"), opts());
    const BatchShape b = prefill(2048);
    const double e8 = op_ms(k8.breakdown(b), "moe_experts"), e2 = op_ms(k2.breakdown(b), "moe_experts");
    CHECK(e8 > 0);
    CHECK(e2 > 0);
    CHECK(e8 > 1.2 * e2);  // 4x the routed rows; weight reads are shared, so less than 4x the time
    // Qwen3-30B-A3B (hidden 2048, 128 experts x 768, top-8) has measured MoE rows: the expert time comes
    // from the table, not the roofline.
    for (const auto& o : k8.breakdown(b))
        if (o.op == "moe_experts") CHECK(o.source == "table");
}

TEST_CASE("a shape outside the tables falls back with a warning and a finite answer", "[timing][table]") {
    TableTimingModel m(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    std::vector<std::string> warnings;
    m.set_warning_sink([&](std::string_view w) { warnings.emplace_back(w); });
    warnings.clear();
    // 1M-token context and 4096 sequences are beyond the generation-attention grid (KV <= 131072,
    // batch <= 2048); a 64k-token prompt beyond the GEMM m axis (<= 32768).
    const double t_decode = m.step_seconds(decodes(4096, 1 << 20));
    const double t_prefill = m.step_seconds(prefill(65536));
    CHECK(std::isfinite(t_decode));
    CHECK(std::isfinite(t_prefill));
    CHECK(t_decode > m.step_seconds(decodes(2048, 131072)));
    CHECK(t_prefill > 1.8 * m.step_seconds(prefill(32768)));
    CHECK(m.out_of_grid_evaluations() > 0);
    REQUIRE_FALSE(warnings.empty());
    bool mentions = false;
    for (const auto& w : warnings)
        mentions = mentions || w.find("outside its measured grid") != std::string::npos;
    CHECK(mentions);
    // A GPU without tables: the roofline with efficiencies fitted on the GPUs that have them, said so.
    TableTimingModel pcie(resolve_model("Llama-3.1-8B"), find_gpu("H100-PCIe"), opts());
    CHECK_FALSE(pcie.uses_tables());
    const double t = pcie.step_seconds(decodes(8, 1000));
    CHECK(std::isfinite(t));
    CHECK(t > m.step_seconds(decodes(8, 1000)));  // 2.0 vs 3.35 TB/s
    bool said = false;
    for (const auto& n : pcie.notes()) said = said || n.find("has no measured tables") != std::string::npos;
    CHECK(said);
}

TEST_CASE("malformed table file gives an error naming file and row", "[timing][table]") {
    const auto dir = dynosim::test::temp_dir("timing-bad-table");
    const auto file = dir / "gemm_perf.csv";
    dynosim::test::write_file(file,
                              "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n"
                              "VLLM,0.24.0,H100,gemm,linear,bfloat16,1,32,32,0.004\n"
                              "VLLM,0.24.0,H100,gemm,linear,bfloat16,2,32,32,abc\n");
    try {
        read_gemm_table(file);
        FAIL("no error");
    } catch (const InputError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("gemm_perf.csv") != std::string::npos);
        CHECK(msg.find("row 2") != std::string::npos);
        CHECK(msg.find("latency") != std::string::npos);
    }
    dynosim::test::write_file(file,
                              "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n"
                              "VLLM,0.24.0,H100,gemm,linear,bfloat16,1,32,32,0.004\n"
                              "VLLM,0.24.0,H100,gemm,linear,bfloat16,2,32\n");
    CHECK_THROWS_WITH(read_gemm_table(file), Catch::Contains("row 2") && Catch::Contains("gemm_perf.csv"));
    dynosim::test::write_file(file, "m,n,k,latency\n1,2,3,0.1\n");
    CHECK_THROWS_WITH(read_gemm_table(file), Catch::Contains("gemm_dtype"));
    dynosim::test::write_file(file,
                              "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n"
                              "VLLM,0.24.0,H100,gemm,linear,bfloat16,1,32,32,-1\n");
    CHECK_THROWS_WITH(read_gemm_table(file), Catch::Contains("row 1") && Catch::Contains("> 0"));
}

TEST_CASE("table timing options are validated", "[timing][table]") {
    TableTimingOptions o = opts();
    CHECK(o.validate().empty());
    o.backend = "tgi";
    o.tp = 0;
    o.cache_entries = 1000;
    const auto errors = o.validate();
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].find("timing.backend = tgi") == 0);
    CHECK_THROWS_AS(TableTimingModel(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), o), InputError);
    CHECK_THROWS_AS(make_timing_model("magic", resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts()),
                    InputError);
    auto roof = make_timing_model("roofline", resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    CHECK(roof->name() == "roofline");
}

TEST_CASE("cache key quantization keeps step times within its resolution", "[timing][table]") {
    TableTimingOptions exact = opts();
    exact.cache_key_bits = 0;
    TableTimingModel q(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), opts());
    TableTimingModel e(resolve_model("Llama-3.1-8B"), find_gpu("H100-SXM"), exact);
    BatchShape b;
    for (int i = 0; i < 100; ++i) b.decode_context.push_back(1000 + 37 * i);
    CHECK(q.step_seconds(b) == Approx(e.step_seconds(b)).epsilon(2e-3));
    // Pure function of the key: the same answer whatever was priced before.
    const auto before = q.step_time(b);
    for (int i = 0; i < 50; ++i) q.step_time(decodes(i + 1, 500 + i));
    CHECK(q.step_time(b) == before);
}

TEST_CASE("leave one out error of the H100 all reduce table is small", "[timing][calib]") {
    const auto root = dynosim::test::data_dir() / "gpu" / "aiconfigurator_csv";
    const auto stats = leave_one_out(root, "h100_sxm", "nccl");
    REQUIRE(stats.size() == 2);
    CHECK(stats[0].family == "all_reduce");
    CHECK(stats[0].points > 50);
    CHECK(stats[0].median_pct < 5);
    CHECK(stats[0].p90_pct < stats[0].max_pct + 1e-9);
}

TEST_CASE("a multi head layout without its own rows is priced as fewer KV heads at a larger batch",
          "[timing][table]") {
    // Llama-2-7B's layout: 32 query and 32 KV heads of 128. The tables have no 32/32 rows; the same work is
    // 8/8 heads at 4x the batch (each KV head with its query head is an independent unit of the kernel),
    // not the 32/8 kernel scaled x4 (which would also multiply its fixed latency).
    auto model = resolve_model("Llama-3.1-8B");
    model.num_kv_heads = model.num_heads;
    TableTimingModel m(model, find_gpu("H100-SXM"), opts());
    const auto gen =
        TableStore::attention(h100("attention/vllm/0.24.0/generation_attention_perf.csv.gz"), true);
    const AttentionSlice* s88 = gen->find(8, 8, 128, "bfloat16");
    const AttentionSlice* s328 = gen->find(32, 8, 128, "bfloat16");
    REQUIRE(s88 != nullptr);
    REQUIRE(s328 != nullptr);
    bool outside = false;
    for (const int batch : {2, 8, 16}) {
        const double ms = op_ms(m.breakdown(decodes(batch, 1024)), "attention_generation");
        CHECK(ms == Approx(model.num_layers * s88->grid.eval(4.0 * batch, 1024, &outside)).epsilon(0.01));
        CHECK(ms < 4 * model.num_layers * s328->grid.eval(batch, 1024, &outside));
    }
    bool folded = false;
    for (const auto& n : m.notes()) folded = folded || n.find("at 4x the batch") != std::string::npos;
    CHECK(folded);
}
