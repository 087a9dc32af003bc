// Transformer model shapes: reading a Hugging Face config.json, the built-in models, parameter and KV
// arithmetic. Parameter counts follow the Llama/Qwen/Mixtral module layout in Hugging Face transformers:
// per layer q/k/v/o projections, a gated MLP (gate, up, down) or a set of such experts plus a router,
// two RMSNorms; then token embedding, final norm and LM head (absent when tied).
#include "sim/hw/model.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/core/errors.hpp"

namespace dynosim::sim::hw {
namespace {

using nlohmann::json;

// Parameters of one decoder layer, split so active and total counts share the arithmetic.
struct LayerParams {
    double attention = 0;      // q, k, v, o projections and q/k norms (MLA: q_a, q_b, kv_a, kv_b, o)
    double dense_mlp = 0;      // gate + up + down of a dense MLP (dense models, leading dense layers)
    double per_expert = 0;     // gate + up + down of one routed expert
    double shared_expert = 0;  // always-on shared expert (Llama-4, DeepSeek)
    double router = 0;
    double norms = 0;
};

LayerParams layer_params(const ModelSpec& m) {
    const double h = m.hidden_size;
    LayerParams p;
    if (m.is_mla()) {
        // DeepSeek-V3 modules: q_a_proj + q_a_layernorm + q_b_proj (or q_proj), kv_a_proj_with_mqa +
        // kv_a_layernorm, kv_b_proj (latent -> per-head nope keys and values), o_proj.
        const double heads = m.num_heads, qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
        const double q = m.q_lora_rank > 0 ? h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * heads * qk
                                           : h * heads * qk;
        p.attention = q + h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank +
                      m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim) + heads * m.v_head_dim * h;
    } else {
        const double q_dim = static_cast<double>(m.num_heads) * m.head_dim;
        const double kv_dim = static_cast<double>(m.num_kv_heads) * m.head_dim;
        p.attention = h * q_dim + 2 * h * kv_dim + q_dim * h;
    }
    p.norms = 2 * h;
    p.dense_mlp = 3 * h * m.intermediate_size;
    if (m.is_moe()) {
        p.per_expert = 3 * h * m.moe_intermediate_size;
        p.shared_expert = 3 * h * m.shared_expert_intermediate_size;
        p.router = h * m.num_experts;
    }
    return p;
}

double embedding_params(const ModelSpec& m) {
    return static_cast<double>(m.vocab_size) * m.hidden_size;
}
double lm_head_params(const ModelSpec& m) {
    return m.tie_word_embeddings ? 0.0 : embedding_params(m);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Reads JSON fields with errors that name the file and the field.
class FieldReader {
  public:
    FieldReader(const json& obj, std::string file) : obj_(obj), file_(std::move(file)) {}

    bool has(const char* field) const { return obj_.contains(field) && !obj_.at(field).is_null(); }

    std::int32_t required_int(const char* field) const {
        if (!has(field)) fail(field, "missing");
        return to_int(field);
    }
    std::int32_t optional_int(const char* field, std::int32_t fallback) const {
        return has(field) ? to_int(field) : fallback;
    }
    bool optional_bool(const char* field, bool fallback) const {
        if (!has(field)) return fallback;
        const json& v = obj_.at(field);
        if (!v.is_boolean()) fail(field, "expected true or false, got " + v.dump());
        return v.get<bool>();
    }
    std::string optional_string(const char* field) const {
        if (!has(field)) return {};
        const json& v = obj_.at(field);
        return v.is_string() ? v.get<std::string>() : std::string();
    }
    [[noreturn]] void fail(const char* field, const std::string& what) const {
        throw core::InputError(file_ + ": field '" + field + "': " + what);
    }

  private:
    std::int32_t to_int(const char* field) const {
        const json& v = obj_.at(field);
        if (!v.is_number_integer() && !v.is_number_unsigned())
            fail(field, "expected an integer, got " + v.dump());
        const auto i = v.get<std::int64_t>();
        if (i < 0 || i > INT32_MAX) fail(field, "out of range: " + v.dump());
        return static_cast<std::int32_t>(i);
    }

    const json& obj_;
    std::string file_;
};

// Built-in shapes, copied field by field from the Hugging Face config.json of each model (the copies in
// shared/data/models/, see its README for provenance); tests/sim/hw/model_test.cpp checks they still equal
// load_hf_config of those files.
ModelSpec llama_3_1_8b() {
    ModelSpec m;  // meta-llama/Llama-3.1-8B-Instruct config.json (same architecture as the base model)
    m.name = "Llama-3.1-8B";
    m.num_layers = 32;
    m.hidden_size = 4096;
    m.num_heads = 32;
    m.num_kv_heads = 8;
    m.head_dim = 128;  // no head_dim field: hidden_size / num_attention_heads
    m.intermediate_size = 14336;
    m.vocab_size = 128256;
    m.tie_word_embeddings = false;
    m.max_position_embeddings = 131072;
    return m;
}

ModelSpec llama_3_1_70b() {
    ModelSpec m;  // meta-llama/Llama-3.1-70B-Instruct config.json
    m.name = "Llama-3.1-70B";
    m.num_layers = 80;
    m.hidden_size = 8192;
    m.num_heads = 64;
    m.num_kv_heads = 8;
    m.head_dim = 128;
    m.intermediate_size = 28672;
    m.vocab_size = 128256;
    m.tie_word_embeddings = false;
    m.max_position_embeddings = 131072;
    return m;
}

ModelSpec qwen3_32b() {
    ModelSpec m;  // Qwen/Qwen3-32B config.json
    m.name = "Qwen3-32B";
    m.num_layers = 64;
    m.hidden_size = 5120;
    m.num_heads = 64;
    m.num_kv_heads = 8;
    m.head_dim = 128;  // explicit head_dim (64 x 128 = 8192 != hidden_size)
    m.intermediate_size = 25600;
    m.vocab_size = 151936;
    m.tie_word_embeddings = false;
    m.max_position_embeddings = 40960;
    return m;
}

ModelSpec qwen3_30b_a3b() {
    ModelSpec m;  // Qwen/Qwen3-30B-A3B config.json
    m.name = "Qwen3-30B-A3B";
    m.num_layers = 48;
    m.hidden_size = 2048;
    m.num_heads = 32;
    m.num_kv_heads = 4;
    m.head_dim = 128;
    m.intermediate_size = 6144;  // present in the config but unused: every layer is MoE
    m.vocab_size = 151936;
    m.num_experts = 128;
    m.experts_per_token = 8;
    m.moe_intermediate_size = 768;
    m.tie_word_embeddings = false;
    m.max_position_embeddings = 40960;
    return m;
}

const std::array<ModelSpec, 4>& builtins() {
    static const std::array<ModelSpec, 4> kModels = {llama_3_1_8b(), llama_3_1_70b(), qwen3_32b(),
                                                     qwen3_30b_a3b()};
    return kModels;
}

// "meta-llama/Llama-3.1-8B-Instruct" -> "llama-3.1-8b": org prefix and -instruct suffix dropped, lower case.
std::string model_key(std::string_view name) {
    std::string s = lower(name);
    if (const auto slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
    if (const auto dashes = s.rfind("--"); dashes != std::string::npos) s = s.substr(dashes + 2);
    for (std::string_view suffix : {"-instruct", "-chat", "-hf", "-base"}) {
        if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
            s.resize(s.size() - suffix.size());
    }
    return s;
}

}  // namespace

double ModelSpec::total_params() const {
    const LayerParams p = layer_params(*this);
    const double dense_layers = num_layers - num_moe_layers();
    const double layers = num_layers * (p.attention + p.norms) + dense_layers * p.dense_mlp +
                          num_moe_layers() * (num_experts * p.per_expert + p.shared_expert + p.router);
    return layers + embedding_params(*this) + lm_head_params(*this) + hidden_size;
}

double ModelSpec::active_params_per_token() const {
    const LayerParams p = layer_params(*this);
    const double dense_layers = num_layers - num_moe_layers();
    const double layers = num_layers * (p.attention + p.norms) + dense_layers * p.dense_mlp +
                          num_moe_layers() * (experts_per_token * p.per_expert + p.shared_expert + p.router);
    // The embedding row lookup touches one row, but the usual "active parameters" figure (e.g. Qwen3-30B-A3B
    // "3.3B activated") counts the whole embedding and LM head; follow that convention.
    return layers + embedding_params(*this) + lm_head_params(*this) + hidden_size;
}

double ModelSpec::kv_elements_per_token_layer(std::int32_t kv_heads) const {
    // MLA caches the compressed latent and the shared RoPE key once for all heads (vLLM MLACommonBackend
    // head_size kv_lora_rank + qk_rope_head_dim, one "KV head").
    if (is_mla()) return static_cast<double>(kv_lora_rank) + qk_rope_head_dim;
    return 2.0 * kv_heads * head_dim;
}

double ModelSpec::kv_bytes_per_token(double kv_dtype_bytes) const {
    return num_layers * kv_elements_per_token_layer(num_kv_heads) * kv_dtype_bytes;
}

std::int64_t ModelSpec::local_context(std::int64_t pos) const {
    switch (local_kind) {
        case LocalAttention::kSliding:
            return std::min<std::int64_t>(pos + 1, local_window);
        case LocalAttention::kChunked:
            return pos % local_window + 1;
        case LocalAttention::kNone:
            break;
    }
    return pos + 1;
}

ModelSpec load_hf_config(const std::filesystem::path& config_json) {
    const std::string file = config_json.string();
    std::ifstream in(config_json, std::ios::binary);
    if (!in) throw core::InputError(file + ": cannot open model config");
    json root;
    try {
        root = json::parse(in);
    } catch (const json::parse_error& e) {
        throw core::InputError(file + ": not valid JSON: " + e.what());
    }
    if (!root.is_object()) throw core::InputError(file + ": expected a JSON object");
    // Multimodal wrappers (Llama-4, Mistral-3, Gemma-3) nest the language model under text_config.
    const json& cfg =
        (root.contains("text_config") && root.at("text_config").is_object()) ? root.at("text_config") : root;
    const FieldReader f(cfg, file);

    ModelSpec m;
    // Name: the folder's "org--name" as saved in shared/data/models, else the folder name.
    const auto folder = config_json.parent_path().filename().string();
    m.name = folder;
    if (const auto dashes = folder.find("--"); dashes != std::string::npos)
        m.name = folder.substr(0, dashes) + "/" + folder.substr(dashes + 2);
    if (m.name.empty()) m.name = file;

    m.num_layers = f.required_int("num_hidden_layers");
    m.hidden_size = f.required_int("hidden_size");
    m.num_heads = f.required_int("num_attention_heads");
    m.vocab_size = f.required_int("vocab_size");
    m.num_kv_heads = f.optional_int("num_key_value_heads", m.num_heads);
    if (m.num_layers <= 0) f.fail("num_hidden_layers", "must be > 0");
    if (m.hidden_size <= 0) f.fail("hidden_size", "must be > 0");
    if (m.num_heads <= 0) f.fail("num_attention_heads", "must be > 0");
    if (m.num_kv_heads <= 0 || m.num_heads % m.num_kv_heads != 0)
        f.fail("num_key_value_heads", "must be > 0 and divide num_attention_heads");
    m.head_dim = f.optional_int("head_dim", m.hidden_size / m.num_heads);
    if (m.head_dim <= 0) f.fail("head_dim", "must be > 0");

    // Routed experts: Mixtral/Llama-4 say num_local_experts, Qwen-MoE says num_experts, DeepSeek
    // n_routed_experts.
    m.num_experts = f.optional_int("num_local_experts",
                                   f.optional_int("num_experts", f.optional_int("n_routed_experts", 0)));
    if (m.is_moe()) {
        m.experts_per_token = f.required_int("num_experts_per_tok");
        if (m.experts_per_token <= 0 || m.experts_per_token > m.num_experts)
            f.fail("num_experts_per_tok", "must be in 1..num_experts");
        // Mixtral and Llama-4 give the expert width as intermediate_size; Qwen-MoE as moe_intermediate_size.
        m.intermediate_size = f.optional_int("intermediate_size", 0);
        m.moe_intermediate_size = f.optional_int("moe_intermediate_size", m.intermediate_size);
        if (m.moe_intermediate_size <= 0) f.fail("moe_intermediate_size", "missing");
        // Llama-4's MoE layer adds a shared expert of the expert width (transformers Llama4TextMoe);
        // Qwen2-MoE names its width explicitly.
        if (f.optional_string("model_type").rfind("llama4", 0) == 0)
            m.shared_expert_intermediate_size = m.intermediate_size;
        m.shared_expert_intermediate_size =
            f.optional_int("shared_expert_intermediate_size", m.shared_expert_intermediate_size);
    } else {
        m.intermediate_size = f.required_int("intermediate_size");
        if (m.intermediate_size <= 0) f.fail("intermediate_size", "must be > 0");
    }
    // DeepSeek: the first first_k_dense_replace layers keep a dense MLP; n_shared_experts always-on experts
    // of the expert width.
    if (m.is_moe()) {
        m.first_k_dense = f.optional_int("first_k_dense_replace", 0);
        if (m.first_k_dense >= m.num_layers) f.fail("first_k_dense_replace", "must be < num_hidden_layers");
        if (m.first_k_dense > 0 && m.intermediate_size <= 0)
            f.fail("intermediate_size", "missing (dense layers)");
        if (const int shared = f.optional_int("n_shared_experts", 0); shared > 0)
            m.shared_expert_intermediate_size = shared * m.moe_intermediate_size;
    }
    // Multi-head latent attention.
    m.kv_lora_rank = f.optional_int("kv_lora_rank", 0);
    if (m.is_mla()) {
        m.q_lora_rank = f.optional_int("q_lora_rank", 0);
        m.qk_nope_head_dim = f.required_int("qk_nope_head_dim");
        m.qk_rope_head_dim = f.required_int("qk_rope_head_dim");
        m.v_head_dim = f.required_int("v_head_dim");
        if (m.qk_nope_head_dim <= 0) f.fail("qk_nope_head_dim", "must be > 0");
        if (m.qk_rope_head_dim <= 0) f.fail("qk_rope_head_dim", "must be > 0");
        if (m.v_head_dim <= 0) f.fail("v_head_dim", "must be > 0");
        // Every head has its own keys (up-projected from the latent): no GQA grouping to exploit.
        m.num_kv_heads = m.num_heads;
        m.head_dim = m.qk_nope_head_dim + m.qk_rope_head_dim;
    }
    // Local attention. gpt-oss lists each layer's type; Mistral-style configs give one sliding_window for
    // every layer (Qwen2 also writes sliding_window but switches it off with use_sliding_window false);
    // Llama-4 chunks the attention of its RoPE layers (no_rope_layers[i] = 1: layer i uses RoPE; empty =
    // transformers' default, every 4th layer is NoPE and attends globally).
    if (f.has("layer_types")) {
        const json& types = cfg.at("layer_types");
        if (!types.is_array() || static_cast<std::int64_t>(types.size()) != m.num_layers)
            f.fail("layer_types", "expected an array of num_hidden_layers strings");
        for (const json& t : types) {
            if (!t.is_string()) f.fail("layer_types", "expected strings, got " + t.dump());
            const auto v = t.get<std::string>();
            if (v == "sliding_attention")
                ++m.num_local_layers;
            else if (v != "full_attention")
                f.fail("layer_types", "unknown layer type \"" + v + "\"");
        }
        if (m.num_local_layers > 0) {
            m.local_kind = ModelSpec::LocalAttention::kSliding;
            m.local_window = f.required_int("sliding_window");
        }
    } else if (f.has("sliding_window") && f.optional_bool("use_sliding_window", true)) {
        m.local_kind = ModelSpec::LocalAttention::kSliding;
        m.local_window = f.required_int("sliding_window");
        m.num_local_layers = m.num_layers;
    } else if (f.optional_int("attention_chunk_size", 0) > 0) {
        m.local_kind = ModelSpec::LocalAttention::kChunked;
        m.local_window = f.required_int("attention_chunk_size");
        const json* nope = f.has("no_rope_layers") ? &cfg.at("no_rope_layers") : nullptr;
        if (nope && (!nope->is_array() ||
                     (!nope->empty() && static_cast<std::int64_t>(nope->size()) != m.num_layers)))
            f.fail("no_rope_layers", "expected an array of num_hidden_layers 0/1 flags");
        for (std::int32_t i = 0; i < m.num_layers; ++i) {
            const bool rope =
                (nope && !nope->empty()) ? (*nope)[static_cast<std::size_t>(i)] != 0 : (i + 1) % 4 != 0;
            if (rope) ++m.num_local_layers;
        }
    }
    if (m.local_kind != ModelSpec::LocalAttention::kNone && m.local_window <= 0)
        f.fail(
            m.local_kind == ModelSpec::LocalAttention::kChunked ? "attention_chunk_size" : "sliding_window",
            "must be > 0");
    m.attention_sinks = f.optional_string("model_type") == "gpt_oss";
    // transformers' PretrainedConfig defaults tie_word_embeddings to true, but Llama/Qwen/Mixtral configs
    // always say it; the Llama-4 text_config omits it and Llama4TextConfig defaults it to false.
    m.tie_word_embeddings = f.optional_bool("tie_word_embeddings", false);
    m.max_position_embeddings = f.optional_int("max_position_embeddings", 0);
    return m;
}

std::span<const ModelSpec> builtin_models() {
    return builtins();
}

ModelSpec resolve_model(std::string_view name_or_path) {
    namespace fs = std::filesystem;
    const fs::path p{std::string(name_or_path)};
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        const fs::path cfg = p / "config.json";
        if (!fs::is_regular_file(cfg, ec)) throw core::InputError(p.string() + ": folder has no config.json");
        return load_hf_config(cfg);
    }
    if (fs::is_regular_file(p, ec)) return load_hf_config(p);

    const std::string key = model_key(name_or_path);
    for (const auto& m : builtins())
        if (model_key(m.name) == key) return m;

    std::string known;
    for (const auto& m : builtins()) {
        if (!known.empty()) known += ", ";
        known += m.name;
    }
    throw core::InputError("unknown model '" + std::string(name_or_path) + "'; built-in models: " + known +
                           "; or give a path to a Hugging Face config.json or a folder holding one");
}

}  // namespace dynosim::sim::hw
