// Model shapes: built-ins agree with the Hugging Face configs they were copied from, the loader handles
// the config dialects (Llama, Qwen3 head_dim, Qwen3-MoE, Mixtral, Llama-4 text_config), and errors name the
// file and the field.
#include <catch2/catch.hpp>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/hw/model.hpp"
#include "test_support.hpp"

using dynosim::sim::core::InputError;
using dynosim::sim::hw::builtin_models;
using dynosim::sim::hw::load_hf_config;
using dynosim::sim::hw::ModelSpec;
using dynosim::sim::hw::resolve_model;

namespace {

std::filesystem::path model_config(const std::string& folder) {
    return dynosim::test::data_dir() / "models" / folder / "config.json";
}

void check_same_shape(const ModelSpec& a, const ModelSpec& b) {
    CHECK(a.num_layers == b.num_layers);
    CHECK(a.hidden_size == b.hidden_size);
    CHECK(a.num_heads == b.num_heads);
    CHECK(a.num_kv_heads == b.num_kv_heads);
    CHECK(a.head_dim == b.head_dim);
    CHECK(a.intermediate_size == b.intermediate_size);
    CHECK(a.vocab_size == b.vocab_size);
    CHECK(a.num_experts == b.num_experts);
    CHECK(a.experts_per_token == b.experts_per_token);
    CHECK(a.moe_intermediate_size == b.moe_intermediate_size);
    CHECK(a.shared_expert_intermediate_size == b.shared_expert_intermediate_size);
    CHECK(a.tie_word_embeddings == b.tie_word_embeddings);
    CHECK(a.max_position_embeddings == b.max_position_embeddings);
}

std::string error_of(const std::filesystem::path& p) {
    try {
        load_hf_config(p);
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("built-in models equal the shared Hugging Face configs", "[hw][model]") {
    const std::pair<const char*, const char*> pairs[] = {
        {"Llama-3.1-8B", "meta-llama--Llama-3.1-8B-Instruct"},
        {"Llama-3.1-70B", "meta-llama--Llama-3.1-70B-Instruct"},
        {"Qwen3-32B", "Qwen--Qwen3-32B"},
        {"Qwen3-30B-A3B", "Qwen--Qwen3-30B-A3B"},
    };
    REQUIRE(builtin_models().size() == 4);
    for (const auto& [name, folder] : pairs) {
        INFO(name);
        const ModelSpec loaded = load_hf_config(model_config(folder));
        check_same_shape(resolve_model(name), loaded);
    }
}

TEST_CASE("parameter counts match the published model sizes", "[hw][model]") {
    // Published sizes: Llama-3.1-8B 8.03B, 70B 70.6B, Qwen3-32B 32.8B, Qwen3-30B-A3B 30.5B total / 3.3B active.
    CHECK(resolve_model("Llama-3.1-8B").total_params() == Approx(8.03e9).epsilon(0.01));
    CHECK(resolve_model("Llama-3.1-70B").total_params() == Approx(70.6e9).epsilon(0.01));
    CHECK(resolve_model("Qwen3-32B").total_params() == Approx(32.8e9).epsilon(0.01));
    const ModelSpec moe = resolve_model("Qwen3-30B-A3B");
    CHECK(moe.total_params() == Approx(30.5e9).epsilon(0.01));
    CHECK(moe.active_params_per_token() == Approx(3.3e9).epsilon(0.03));
    const ModelSpec dense = resolve_model("Llama-3.1-8B");
    CHECK(dense.active_params_per_token() == dense.total_params());
    // 32 layers x K,V x 8 heads x 128 x 2 B = 128 KiB per token.
    CHECK(dense.kv_bytes_per_token(2) == 131072);
    CHECK(dense.kv_bytes_per_token(1) == 65536);
}

TEST_CASE("MoE configs load experts and top-k", "[hw][model]") {
    const ModelSpec qwen = load_hf_config(model_config("Qwen--Qwen3-30B-A3B"));
    CHECK(qwen.is_moe());
    CHECK(qwen.num_experts == 128);
    CHECK(qwen.experts_per_token == 8);
    CHECK(qwen.moe_intermediate_size == 768);
    CHECK(qwen.head_dim == 128);
    CHECK(qwen.name == "Qwen/Qwen3-30B-A3B");

    const ModelSpec mixtral = load_hf_config(model_config("mistralai--Mixtral-8x7B-v0.1"));
    CHECK(mixtral.num_experts == 8);  // num_local_experts
    CHECK(mixtral.experts_per_token == 2);
    CHECK(mixtral.moe_intermediate_size == 14336);
    CHECK(mixtral.shared_expert_intermediate_size == 0);
    CHECK(mixtral.total_params() == Approx(46.7e9).epsilon(0.01));  // published 46.7B
    CHECK(mixtral.active_params_per_token() == Approx(12.9e9).epsilon(0.02));  // published 12.9B

    // Llama-4 Scout nests the language model under text_config; 16 experts top-1 plus a shared expert.
    const ModelSpec scout = load_hf_config(model_config("meta-llama--Llama-4-Scout-17B-16E-Instruct"));
    CHECK(scout.num_layers == 48);
    CHECK(scout.hidden_size == 5120);
    CHECK(scout.num_experts == 16);
    CHECK(scout.experts_per_token == 1);
    CHECK(scout.moe_intermediate_size == 8192);
    CHECK(scout.shared_expert_intermediate_size == 8192);
    CHECK(scout.vocab_size == 202048);
    // Text model of Scout: 17B active, ~107B total (the 109B headline includes the vision tower).
    CHECK(scout.active_params_per_token() == Approx(17.2e9).epsilon(0.03));
    CHECK(scout.total_params() == Approx(107.8e9).epsilon(0.02));
}

TEST_CASE("config errors name the file and the field", "[hw][model]") {
    const auto dir = dynosim::test::temp_dir("hw-model-errors");
    const auto missing = dir / "missing.json";
    dynosim::test::write_file(missing, R"({"hidden_size": 4096, "num_attention_heads": 32,
        "intermediate_size": 14336, "vocab_size": 32000})");
    const std::string msg = error_of(missing);
    CHECK(msg.find(missing.string()) != std::string::npos);
    CHECK(msg.find("field 'num_hidden_layers': missing") != std::string::npos);

    const auto wrong_type = dir / "wrong_type.json";
    dynosim::test::write_file(wrong_type, R"({"num_hidden_layers": "32", "hidden_size": 4096,
        "num_attention_heads": 32, "intermediate_size": 14336, "vocab_size": 32000})");
    CHECK(error_of(wrong_type).find("field 'num_hidden_layers': expected an integer") != std::string::npos);

    const auto not_json = dir / "broken.json";
    dynosim::test::write_file(not_json, "{ nope");
    CHECK(error_of(not_json).find("not valid JSON") != std::string::npos);
    CHECK(error_of(dir / "absent.json").find("cannot open") != std::string::npos);
}

TEST_CASE("resolve_model accepts names, org-prefixed ids and paths", "[hw][model]") {
    CHECK(resolve_model("meta-llama/Llama-3.1-8B-Instruct").name == "Llama-3.1-8B");
    CHECK(resolve_model("llama-3.1-8b").name == "Llama-3.1-8B");
    CHECK(resolve_model("Llama-3.1-8B").name == "Llama-3.1-8B");
    CHECK(resolve_model("Qwen/Qwen3-30B-A3B").name == "Qwen3-30B-A3B");
    CHECK(resolve_model("qwen3-32b").name == "Qwen3-32B");
    const auto folder = dynosim::test::data_dir() / "models" / "mistralai--Mixtral-8x7B-v0.1";
    CHECK(resolve_model(folder.string()).num_experts == 8);
    CHECK(resolve_model((folder / "config.json").string()).num_experts == 8);
    try {
        resolve_model("gpt-5");
        FAIL("expected InputError");
    } catch (const InputError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("gpt-5") != std::string::npos);
        for (const auto& m : builtin_models()) CHECK(msg.find(m.name) != std::string::npos);
    }
}
