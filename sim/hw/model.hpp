// A transformer model's shape, read from a Hugging Face config.json or taken from the built-ins.
// Only what the timing and memory models need: layer count and widths, attention heads, MoE experts.
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace dynosim::sim::hw {

struct ModelSpec {
    std::string name;
    std::int32_t num_layers = 0;         // num_hidden_layers
    std::int32_t hidden_size = 0;        // hidden_size
    std::int32_t num_heads = 0;          // num_attention_heads
    std::int32_t num_kv_heads = 0;       // num_key_value_heads (GQA); = num_heads when absent
    std::int32_t head_dim = 0;           // head_dim; hidden_size / num_heads when absent
    std::int32_t intermediate_size = 0;  // dense MLP width (intermediate_size)
    std::int32_t vocab_size = 0;
    std::int32_t num_experts = 0;            // routed experts (num_local_experts / num_experts); 0 = dense
    std::int32_t experts_per_token = 0;      // top-k (num_experts_per_tok)
    std::int32_t moe_intermediate_size = 0;  // per-expert MLP width (moe_intermediate_size or intermediate)
    // Width of the always-on shared expert of an MoE layer (Llama-4: intermediate_size; Qwen2-MoE:
    // shared_expert_intermediate_size); 0 = none. In an MoE model every layer is an MoE layer, so the dense
    // MLP (intermediate_size) is not counted for it: Mixtral, Qwen3-MoE (decoder_sparse_step 1) and
    // Llama-4 Scout (interleave_moe_layer_step 1) all have MoE in every layer.
    std::int32_t shared_expert_intermediate_size = 0;
    bool tie_word_embeddings = false;
    std::int32_t max_position_embeddings = 0;

    // Multi-head latent attention (DeepSeek-V2/V3/R1); kv_lora_rank 0 = ordinary (GQA/MHA) attention. The
    // KV cache holds one latent of kv_lora_rank + qk_rope_head_dim elements per token and layer, shared by
    // all heads; queries and keys have qk_nope_head_dim + qk_rope_head_dim dims per head, values v_head_dim.
    std::int32_t kv_lora_rank = 0;
    std::int32_t q_lora_rank = 0;  // 0 = queries projected straight from the hidden state
    std::int32_t qk_nope_head_dim = 0;
    std::int32_t qk_rope_head_dim = 0;
    std::int32_t v_head_dim = 0;
    // Leading layers of an MoE model whose MLP is dense (intermediate_size wide): DeepSeek
    // first_k_dense_replace. 0 = every layer MoE.
    std::int32_t first_k_dense = 0;
    // Local attention layers: sliding window (gpt-oss layer_types "sliding_attention", Mistral
    // sliding_window) or chunked (Llama-4 attention_chunk_size on its RoPE layers). A local layer attends
    // over at most local_window keys: the last local_window tokens (sliding) or the tokens of the query's
    // own chunk (chunked).
    enum class LocalAttention { kNone, kSliding, kChunked };
    LocalAttention local_kind = LocalAttention::kNone;
    std::int32_t local_window = 0;      // sliding_window or attention_chunk_size
    std::int32_t num_local_layers = 0;  // layers with local attention; the others attend over everything
    bool attention_sinks = false;       // gpt-oss: one learned sink logit per head (negligible work)

    bool is_moe() const { return num_experts > 0; }
    bool is_mla() const { return kv_lora_rank > 0; }
    std::int32_t num_full_attention_layers() const { return num_layers - num_local_layers; }
    std::int32_t num_moe_layers() const { return is_moe() ? num_layers - first_k_dense : 0; }
    // KV elements one token stores in one layer on one rank holding kv_heads KV heads: the latent
    // (kv_lora_rank + qk_rope_head_dim) for MLA, else K and V (2 x kv_heads x head_dim).
    double kv_elements_per_token_layer(std::int32_t kv_heads) const;
    // Context a local layer attends over for the query at 0-based position `pos` (full layers: pos + 1).
    std::int64_t local_context(std::int64_t pos) const;
    // Parameters, counted from the shapes (embedding, attention, MLP/experts, norms, LM head).
    double total_params() const;
    // Parameters that one token touches (attention + top-k experts + dense MLP + LM head).
    double active_params_per_token() const;
    // KV cache bytes per token for all layers at the given element size (2 = bf16, 1 = fp8), whole model
    // (MLA: the latent per layer). Local layers are counted too: this is what a token inside every
    // window costs.
    double kv_bytes_per_token(double kv_dtype_bytes) const;
};

// Reads the fields above from a config.json (text_config is used when present). Throws
// core::InputError naming the file and the missing/invalid field.
ModelSpec load_hf_config(const std::filesystem::path& config_json);
// Built-in models: Llama-3.1-8B, Llama-3.1-70B, Qwen3-32B, Qwen3-30B-A3B.
std::span<const ModelSpec> builtin_models();
// Resolves a model by built-in name (case-insensitive, with or without org prefix) or by a path to a
// config.json / a folder holding one. Throws core::InputError naming the known models when not found.
ModelSpec resolve_model(std::string_view name_or_path);

}  // namespace dynosim::sim::hw
