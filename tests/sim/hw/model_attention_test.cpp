// Attention variants read from Hugging Face configs: DeepSeek's multi-head latent attention (MLA) and
// leading dense layers, gpt-oss's alternating sliding-window layers, Llama-4's chunked local attention;
// and what they do to the KV memory plan.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/hw/memory.hpp"
#include "test_support.hpp"

using dynosim::sim::hw::find_gpu;
using dynosim::sim::hw::kv_block_bytes_per_gpu;
using dynosim::sim::hw::load_hf_config;
using dynosim::sim::hw::MemoryInputs;
using dynosim::sim::hw::ModelSpec;
using dynosim::sim::hw::plan_memory;

namespace {
ModelSpec shared_model(const std::string& folder) {
    return load_hf_config(dynosim::test::data_dir() / "models" / folder / "config.json");
}
}  // namespace

TEST_CASE("DeepSeek-V3 loads as MLA with dense leading layers and a shared expert", "[hw][model][mla]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    CHECK(m.is_mla());
    CHECK(m.kv_lora_rank == 512);
    CHECK(m.qk_rope_head_dim == 64);
    CHECK(m.qk_nope_head_dim == 128);
    CHECK(m.v_head_dim == 128);
    CHECK(m.q_lora_rank == 1536);
    CHECK(m.first_k_dense == 3);
    CHECK(m.num_moe_layers() == 58);
    CHECK(m.num_experts == 256);
    CHECK(m.experts_per_token == 8);
    CHECK(m.shared_expert_intermediate_size == 2048);  // n_shared_experts 1 x moe_intermediate_size
    // Published: 671B total (without the multi-token-prediction module), 37B activated.
    CHECK(m.total_params() == Approx(671e9).epsilon(0.01));
    CHECK(m.active_params_per_token() == Approx(37e9).epsilon(0.03));
    const auto r1 = shared_model("deepseek-ai--DeepSeek-R1");
    CHECK(r1.kv_bytes_per_token(1) == m.kv_bytes_per_token(1));
}

TEST_CASE("MLA KV bytes per token are the latent plus the rope key per layer", "[hw][model][mla]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    // (kv_lora_rank + qk_rope_head_dim) x layers x element bytes, not 2 x heads x head_dim.
    CHECK(m.kv_bytes_per_token(2) == (512.0 + 64.0) * 61 * 2);
    CHECK(m.kv_bytes_per_token(1) == (512.0 + 64.0) * 61);
    // The latent is one shared "KV head": every TP rank holds all of it (vLLM/SGLang replicate it).
    CHECK(kv_block_bytes_per_gpu(m, 8, 16, 1) == kv_block_bytes_per_gpu(m, 1, 16, 1));
    CHECK(kv_block_bytes_per_gpu(m, 8, 64, 1) == 64.0 * 576 * 61);
}

TEST_CASE("gpt-oss alternates sliding-window and full layers", "[hw][model][window]") {
    const auto m = shared_model("openai--gpt-oss-120b");
    CHECK(m.local_kind == ModelSpec::LocalAttention::kSliding);
    CHECK(m.local_window == 128);
    CHECK(m.num_local_layers == 18);
    CHECK(m.num_full_attention_layers() == 18);
    CHECK(m.attention_sinks);
    CHECK(m.num_experts == 128);
    CHECK(m.experts_per_token == 4);
    CHECK(m.total_params() == Approx(116.8e9).epsilon(0.02));  // published 116.8B
    CHECK(m.local_context(10) == 11);
    CHECK(m.local_context(5000) == 128);
}

TEST_CASE("Llama-4 Scout chunks attention on its RoPE layers", "[hw][model][window]") {
    const auto m = shared_model("meta-llama--Llama-4-Scout-17B-16E-Instruct");
    CHECK(m.local_kind == ModelSpec::LocalAttention::kChunked);
    CHECK(m.local_window == 8192);
    CHECK(m.num_local_layers == 36);  // every 4th of 48 layers is NoPE and global
    CHECK(m.local_context(8191) == 8192);
    CHECK(m.local_context(8192) == 1);  // first token of the next chunk
    CHECK(m.local_context(10000) == 10000 - 8192 + 1);
}

TEST_CASE("models without local attention or MLA keep their KV formula", "[hw][model]") {
    const auto m =
        shared_model("Qwen--Qwen2.5-7B-Instruct");  // sliding_window set but use_sliding_window false
    CHECK(m.local_kind == ModelSpec::LocalAttention::kNone);
    CHECK_FALSE(m.is_mla());
    CHECK(m.kv_bytes_per_token(2) == 2.0 * m.num_layers * m.num_kv_heads * m.head_dim * 2);
}

TEST_CASE("sliding-window layers leave the block accounting and hold back only their windows",
          "[hw][memory][window]") {
    const auto m = shared_model("openai--gpt-oss-120b");
    // Blocks count the 18 full layers only.
    CHECK(kv_block_bytes_per_gpu(m, 1, 16, 2) == 16.0 * 2 * 8 * 64 * 2 * 18);
    MemoryInputs in;
    in.tp = 2;
    in.weight_dtype_bytes = 1;  // the checkpoint is MXFP4; fp8 is the nearest weight type modelled
    in.max_num_seqs = 256;
    const auto few = plan_memory(m, find_gpu("H200"), in);
    in.max_num_seqs = 1024;
    const auto many = plan_memory(m, find_gpu("H200"), in);
    // Each extra running sequence holds ceil(127 / 16) + 1 = 9 blocks of the 18 sliding layers, which are the
    // same bytes as 9 blocks of the 18 accounted full layers.
    CHECK(static_cast<double>(few.num_blocks - many.num_blocks) == Approx(768.0 * 9).margin(1));
    // Versus counting every layer for every token: about twice the blocks.
    const double all_layers_block = 16.0 * 2 * (8 / 2) * 64 * 2 * 36;
    CHECK(static_cast<double>(few.num_blocks) > 1.9 * few.kv_bytes_per_gpu / all_layers_block);
}

TEST_CASE("attention data parallel multiplies MLA KV capacity", "[hw][memory][mla]") {
    const auto m = shared_model("deepseek-ai--DeepSeek-V3");
    MemoryInputs in;
    in.tp = 8;
    in.weight_dtype_bytes = 1;
    in.kv_dtype_bytes = 1;
    const auto tp8 = plan_memory(m, find_gpu("H200"), in);
    in.attention_dp = 8;
    const auto dp8 = plan_memory(m, find_gpu("H200"), in);
    // Replicated attention weights cost each GPU some KV room, but each rank now stores only its own
    // sequences' latents: the worker holds several times the blocks.
    CHECK(dp8.weight_bytes_per_gpu > tp8.weight_bytes_per_gpu);
    CHECK(dp8.num_blocks > 5 * tp8.num_blocks);
    in.attention_dp = 3;
    CHECK_THROWS_WITH(plan_memory(m, find_gpu("H200"), in), Catch::Contains("attention_dp = 3"));
}

TEST_CASE("bad MLA and window fields name the file and the field", "[hw][model]") {
    const auto dir = dynosim::test::temp_dir("mla-cfg");
    auto write = [&](const std::string& extra) {
        std::ofstream(dir / "config.json")
            << R"({"num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 4, "vocab_size": 100,
                   "intermediate_size": 512, )"
            << extra << "}";
        return dir / "config.json";
    };
    CHECK_THROWS_WITH(
        load_hf_config(write(R"("kv_lora_rank": 64, "qk_rope_head_dim": 16, "v_head_dim": 32)")),
        Catch::Contains("field 'qk_nope_head_dim': missing"));
    CHECK_THROWS_WITH(load_hf_config(write(R"("layer_types": ["full_attention", "sliding_attention"])")),
                      Catch::Contains("field 'layer_types'"));
    CHECK_THROWS_WITH(
        load_hf_config(write(
            R"("layer_types": ["full_attention", "sliding_attention", "x", "full_attention"], "sliding_window": 8)")),
        Catch::Contains("unknown layer type \"x\""));
    CHECK_THROWS_WITH(load_hf_config(write(R"("sliding_window": 0)")),
                      Catch::Contains("field 'sliding_window': must be > 0"));
    std::filesystem::remove_all(dir);
}
