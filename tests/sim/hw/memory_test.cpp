// KV capacity: the vLLM-style memory plan gives the block counts vLLM reports, moves the right way with
// its inputs, and refuses models that do not fit.
#include <catch2/catch.hpp>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/hw/memory.hpp"
#include "test_support.hpp"

using dynosim::sim::core::InputError;
using dynosim::sim::hw::find_gpu;
using dynosim::sim::hw::load_hf_config;
using dynosim::sim::hw::MemoryInputs;
using dynosim::sim::hw::plan_memory;
using dynosim::sim::hw::resolve_model;

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
}

TEST_CASE("Llama-3.1-8B on H100 gets vLLM's KV capacity", "[hw][memory]") {
    const auto m = resolve_model("Llama-3.1-8B");
    const auto plan = plan_memory(m, find_gpu("H100-SXM"), MemoryInputs{});
    // vLLM loads 14.99 GiB of weights for this model ("Model loading took 14.99 GiB").
    CHECK(plan.weight_bytes_per_gpu / kGiB == Approx(14.96).epsilon(0.01));
    // vLLM reports about 450k-470k tokens of KV at utilization 0.9: 28k-30k blocks of 16, 54-60 GiB.
    CHECK(plan.kv_bytes_per_gpu / kGiB > 54);
    CHECK(plan.kv_bytes_per_gpu / kGiB < 60);
    CHECK(plan.num_blocks > 28000);
    CHECK(plan.num_blocks < 30000);
    CHECK(plan.activation_bytes_per_gpu / kGiB > 0.5);
    CHECK(plan.activation_bytes_per_gpu / kGiB < 3);
}

TEST_CASE("KV blocks fall with gpu_memory_utilization and rise with fp8 KV", "[hw][memory]") {
    const auto m = resolve_model("Llama-3.1-8B");
    const auto& g = find_gpu("H100-SXM");
    MemoryInputs in;
    const auto base = plan_memory(m, g, in).num_blocks;
    in.gpu_memory_utilization = 0.8;
    const auto lower = plan_memory(m, g, in).num_blocks;
    CHECK(lower < base);
    // 0.1 x 79.2 GiB less, at 2 MiB per block: about 4055 blocks fewer.
    CHECK(base - lower == Approx(4055).margin(5));
    in.gpu_memory_utilization = 0.9;
    in.kv_dtype_bytes = 1;
    const auto fp8 = plan_memory(m, g, in).num_blocks;
    CHECK(fp8 == Approx(2 * (base + 1) - 1).margin(2));
    in.kv_dtype_bytes = 2;
    in.block_size = 32;
    CHECK(plan_memory(m, g, in).num_blocks == Approx((base + 1) / 2 - 1).margin(1));
    // fp8 weights free memory for KV.
    in.block_size = 16;
    in.weight_dtype_bytes = 1;
    CHECK(plan_memory(m, g, in).num_blocks > base);
}

TEST_CASE("tensor parallelism divides the weights and KV heads", "[hw][memory]") {
    const auto m = resolve_model("Llama-3.1-70B");
    const auto& g = find_gpu("H100-SXM");
    MemoryInputs in;
    in.tp = 4;
    const auto tp4 = plan_memory(m, g, in);
    CHECK(tp4.weight_bytes_per_gpu / kGiB == Approx(32.9).epsilon(0.02));
    in.tp = 8;
    const auto tp8 = plan_memory(m, g, in);
    // 8 KV heads over 8 ranks: one head per rank, so a block is half the bytes and the count more than doubles.
    CHECK(tp8.num_blocks > 2 * tp4.num_blocks);
    // tp=16 replicates the 8 KV heads (max(1, 8/16) = 1 per rank): block bytes stop shrinking.
    CHECK(dynosim::sim::hw::kv_heads_per_rank(m, 16) == 1);
    CHECK(dynosim::sim::hw::kv_block_bytes_per_gpu(m, 16, 16, 2) ==
          dynosim::sim::hw::kv_block_bytes_per_gpu(m, 8, 16, 2));
}

TEST_CASE("block counts agree with the ones vLLM reported on H100", "[hw][memory]") {
    // total_kv_blocks from shared/data/serving/sim2real-trainval/experiments.csv (vLLM 0.15.1, H100 SXM,
    // gpu_memory_utilization 0.9, block_size 16, bf16). A 3% band: the activation estimate is a fit, not a
    // profile.
    struct Case {
        const char* folder;
        int tp;
        int mbt;
        double blocks;
    };
    const Case cases[] = {
        {"meta-llama--Llama-2-7b-hf", 1, 2048, 7463},
        {"Qwen--Qwen2.5-7B-Instruct", 1, 2048, 65368},
        {"mistralai--Mistral-Nemo-Instruct-2407", 1, 2048, 19251},
        {"mistralai--Mistral-Nemo-Instruct-2407", 2, 1024, 48009},
        {"01-ai--Yi-34B", 2, 2048, 20793},
        {"meta-llama--Llama-3.1-70B-Instruct", 4, 8192, 30425},
    };
    for (const auto& c : cases) {
        const auto m = load_hf_config(dynosim::test::data_dir() / "models" / c.folder / "config.json");
        MemoryInputs in;
        in.tp = c.tp;
        in.max_num_batched_tokens = c.mbt;
        const auto plan = plan_memory(m, find_gpu("H100-SXM"), in);
        INFO(c.folder << " tp" << c.tp << ": " << plan.num_blocks << " vs vLLM " << c.blocks);
        CHECK(static_cast<double>(plan.num_blocks) == Approx(c.blocks).epsilon(0.03));
    }
}

TEST_CASE("a model whose weights do not fit is refused", "[hw][memory]") {
    const auto m = resolve_model("Llama-3.1-70B");
    try {
        plan_memory(m, find_gpu("L40S"), MemoryInputs{});
        FAIL("expected InputError");
    } catch (const InputError& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("Llama-3.1-70B needs") != std::string::npos);
        CHECK(msg.find("GiB of weights per GPU at tp=1") != std::string::npos);
        CHECK(msg.find("L40S") != std::string::npos);
    }
    // Fits in weights, but nothing left for KV: 70B at tp=2 on H100 (66 GiB of weights in 71 GiB).
    MemoryInputs in;
    in.tp = 2;
    in.gpu_memory_utilization = 0.85;
    CHECK_THROWS_AS(plan_memory(m, find_gpu("H100-SXM"), in), InputError);
    in.tp = 3;  // 64 heads are not divisible by 3
    CHECK_THROWS_WITH(plan_memory(m, find_gpu("H100-SXM"), in), Catch::Contains("not divisible by tp=3"));
    in.tp = 0;
    CHECK_THROWS_AS(plan_memory(m, find_gpu("H100-SXM"), in), InputError);
}
