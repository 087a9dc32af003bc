// Roofline timing model. Per layer, on one TP rank:
//   QKV, O, gate/up, down GEMMs: max(2 x tokens x params / achieved FLOP/s,
//                                    (params x weight bytes + tokens x (in + out) x 2 B) / achieved HBM bw)
//   MoE: router GEMM; routed experts priced together: FLOPs of tokens x top-k expert passes, bytes of the
//        experts actually touched (expected distinct experts under uniform routing, <= min(E, tokens x k));
//        plus the shared expert as a dense MLP.
//   attention (one kernel for the mixed batch, as vLLM V1's FlashAttention backend): causal prefill FLOPs
//        4 x heads x head_dim x new x (context + (new + 1) / 2), decode FLOPs 4 x heads x head_dim x context;
//        bytes = KV read over the context + KV written for new tokens + Q/O activations.
//   tp > 1: two all-reduces of tokens x hidden x 2 B (after attention and after the MLP), ring cost
//        2 (tp - 1) / tp x bytes / achieved link bw + fixed latency.
// All layers are identical, so one layer is priced and multiplied by num_layers. The LM head runs only for
// sampled rows (decode sequences and prompts whose last chunk is in the batch); the embedding lookup and
// the elementwise kernels (norms, rotary, activation) are ignored: they move tokens x hidden bytes, far
// below the weight traffic.
#include "sim/timing/roofline.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/hw/memory.hpp"

namespace dynosim::sim::timing {
namespace {

constexpr double kActBytes = 2;  // activations and all-reduce payloads are bf16

bool is_fraction(double v) { return v > 0 && v <= 1; }
bool is_nonneg(double v) { return std::isfinite(v) && v >= 0; }
double dtype_bytes(const std::string& dtype) { return dtype == "fp8" ? 1.0 : 2.0; }

}  // namespace

std::vector<std::string> RooflineOptions::validate() const {
    std::vector<std::string> errors;
    auto check = [&errors](bool ok, std::string_view field, const auto& value, std::string_view rule) {
        if (!ok) errors.push_back(fmt::format("timing.{} = {}: {}", field, value, rule));
    };
    check(tp >= 1, "tp", tp, "must be >= 1");
    check(weight_dtype == "bf16" || weight_dtype == "fp8", "weight_dtype", weight_dtype,
          "must be \"bf16\" or \"fp8\"");
    check(kv_dtype == "bf16" || kv_dtype == "fp8", "kv_dtype", kv_dtype, "must be \"bf16\" or \"fp8\"");
    check(is_fraction(compute_efficiency), "compute_efficiency", compute_efficiency, "must be in (0, 1]");
    check(is_fraction(attention_efficiency), "attention_efficiency", attention_efficiency,
          "must be in (0, 1]");
    check(is_fraction(memory_efficiency), "memory_efficiency", memory_efficiency, "must be in (0, 1]");
    check(is_fraction(comm_efficiency), "comm_efficiency", comm_efficiency, "must be in (0, 1]");
    check(is_nonneg(allreduce_latency_us), "allreduce_latency_us", allreduce_latency_us, "must be >= 0");
    check(is_nonneg(step_overhead_us), "step_overhead_us", step_overhead_us, "must be >= 0");
    check(is_nonneg(per_seq_overhead_us), "per_seq_overhead_us", per_seq_overhead_us, "must be >= 0");
    check(is_nonneg(per_prefill_token_overhead_ns), "per_prefill_token_overhead_ns",
          per_prefill_token_overhead_ns, "must be >= 0");
    return errors;
}

RooflineModel::RooflineModel(const hw::ModelSpec& model, const hw::GpuSpec& gpu, const RooflineOptions& opts) {
    if (const auto errors = opts.validate(); !errors.empty()) {
        std::string msg = "invalid roofline options:";
        for (const auto& e : errors) msg += "\n  " + e;
        throw core::InputError(msg);
    }
    if (model.num_layers <= 0 || model.hidden_size <= 0 || model.num_heads <= 0 || model.head_dim <= 0)
        throw core::InputError("roofline: model '" + model.name + "' has no layer shape");
    if (gpu.bf16_flops <= 0 || gpu.hbm_bw <= 0)
        throw core::InputError("roofline: GPU '" + gpu.name + "' has no FLOP/s or bandwidth figures");

    // vLLM refuses TP degrees that do not divide the attention heads (ModelConfig.verify_with_parallel_config).
    if (model.num_heads % opts.tp != 0)
        throw core::InputError(fmt::format("roofline: model {} has {} attention heads, not divisible by tp={}",
                                           model.name, model.num_heads, opts.tp));
    tp_ = opts.tp;
    const double tp = opts.tp;
    layers_ = model.num_layers;
    hidden_ = model.hidden_size;
    head_dim_ = model.head_dim;
    heads_ = static_cast<double>(model.num_heads) / tp;
    q_width_ = heads_ * head_dim_;
    kv_width_ = static_cast<double>(hw::kv_heads_per_rank(model, opts.tp)) * head_dim_;
    moe_ = model.is_moe();
    mlp_width_ = moe_ ? 0.0 : model.intermediate_size / tp;
    expert_width_ = model.moe_intermediate_size / tp;
    shared_width_ = model.shared_expert_intermediate_size / tp;
    num_experts_ = model.num_experts;
    top_k_ = model.experts_per_token;
    vocab_per_rank_ = model.vocab_size / tp;

    weight_bytes_ = dtype_bytes(opts.weight_dtype);
    kv_bytes_ = dtype_bytes(opts.kv_dtype);
    // fp8 weights use the fp8 tensor peak; GPUs without fp8 tensor cores (A100) run fp8 checkpoints as
    // weight-only fp8 (vLLM's Marlin path), computing in bf16.
    const double gemm_peak =
        (opts.weight_dtype == "fp8" && gpu.fp8_flops > 0) ? gpu.fp8_flops : gpu.bf16_flops;
    gemm_flops_ = gemm_peak * opts.compute_efficiency;
    lm_head_flops_ = gpu.bf16_flops * opts.compute_efficiency;
    attn_flops_ = gpu.bf16_flops * opts.attention_efficiency;
    mem_bw_ = gpu.hbm_bw * opts.memory_efficiency;
    // Without NVLink, TP traffic crosses PCIe.
    link_bw_ = (gpu.nvlink_bw > 0 ? gpu.nvlink_bw : gpu.pcie_bw) * opts.comm_efficiency;
    if (tp_ > 1 && link_bw_ <= 0)
        throw core::InputError("roofline: GPU '" + gpu.name + "' has no link bandwidth for tp > 1");

    kv_bytes_per_token_layer_ = 2.0 * kv_width_ * kv_bytes_;
    allreduce_latency_s_ = opts.allreduce_latency_us * 1e-6;
    step_overhead_s_ = opts.step_overhead_us * 1e-6;
    per_seq_overhead_s_ = opts.per_seq_overhead_us * 1e-6;
    per_prefill_token_overhead_s_ = opts.per_prefill_token_overhead_ns * 1e-9;
}

double RooflineModel::gemm_seconds(double tokens, double params, double in_width, double out_width) const {
    const double compute = 2.0 * tokens * params / gemm_flops_;
    const double bytes = params * weight_bytes_ + tokens * (in_width + out_width) * kActBytes;
    return std::max(compute, bytes / mem_bw_);
}

double RooflineModel::step_seconds(const BatchShape& batch) const {
    if (batch.empty()) return 0.0;

    // One pass over the sequences: token counts and attention work of one layer.
    double tokens = 0, sampled = 0, prefill_tokens = 0;
    double attn_flops = 0, attn_bytes = 0;
    const double flops_per_pair = 4.0 * heads_ * head_dim_;  // QK^T and PV, 2 FLOPs per MAC each
    const double qo_bytes_per_token = 2.0 * q_width_ * kActBytes;
    for (const auto& p : batch.prefills) {
        const double n = p.new_tokens, ctx = p.context_tokens;
        tokens += n;
        prefill_tokens += n;
        if (p.last_chunk) sampled += 1;
        attn_flops += flops_per_pair * n * (ctx + (n + 1) / 2);
        attn_bytes += (ctx + n) * kv_bytes_per_token_layer_ + n * qo_bytes_per_token;
    }
    double decode_ctx = 0;
    for (const std::int32_t ctx : batch.decode_context) decode_ctx += ctx;
    const double decodes = static_cast<double>(batch.decode_context.size());
    tokens += decodes;
    sampled += decodes;
    attn_flops += flops_per_pair * decode_ctx;
    attn_bytes += decode_ctx * kv_bytes_per_token_layer_ + decodes * qo_bytes_per_token;
    return price(tokens, sampled, prefill_tokens, attn_flops, attn_bytes,
                 decodes + static_cast<double>(batch.prefills.size()));
}

core::TimeNs RooflineModel::decode_step_time(std::int64_t decodes, std::int64_t context,
                                             std::int64_t /*longest: the roofline prices the sum*/) {
    if (decodes == 0) return 0;
    // step_seconds' sums for a batch without prefills (exact: integer sums below 2^53 are exact doubles).
    const double d = static_cast<double>(decodes), ctx = static_cast<double>(context);
    const double qo_bytes_per_token = 2.0 * q_width_ * kActBytes;
    return core::seconds_to_ns(price(d, d, 0, 4.0 * heads_ * head_dim_ * ctx,
                                     ctx * kv_bytes_per_token_layer_ + d * qo_bytes_per_token, d));
}

double RooflineModel::price(double tokens, double sampled, double prefill_tokens, double attn_flops,
                            double attn_bytes, double seqs) const {
    // One layer.
    double layer = 0;
    const double qkv_width = q_width_ + 2 * kv_width_;
    layer += gemm_seconds(tokens, hidden_ * qkv_width, hidden_, qkv_width);
    layer += std::max(attn_flops / attn_flops_, attn_bytes / mem_bw_);
    layer += gemm_seconds(tokens, q_width_ * hidden_, q_width_, hidden_);
    if (moe_) {
        layer += gemm_seconds(tokens, hidden_ * num_experts_, hidden_, num_experts_);  // router, replicated
        const double routed = tokens * top_k_;
        // Distinct experts hit when each token picks top_k of num_experts uniformly.
        const double touched = num_experts_ * (1.0 - std::pow(1.0 - top_k_ / num_experts_, tokens));
        const double expert_params = 3.0 * hidden_ * expert_width_;
        const double compute = 2.0 * routed * expert_params / gemm_flops_;
        const double bytes = touched * expert_params * weight_bytes_ +
                             routed * (2 * hidden_ + 3 * expert_width_) * kActBytes;
        layer += std::max(compute, bytes / mem_bw_);
        if (shared_width_ > 0) {
            layer += gemm_seconds(tokens, hidden_ * 2 * shared_width_, hidden_, 2 * shared_width_);
            layer += gemm_seconds(tokens, shared_width_ * hidden_, shared_width_, hidden_);
        }
    } else {
        layer += gemm_seconds(tokens, hidden_ * 2 * mlp_width_, hidden_, 2 * mlp_width_);
        layer += gemm_seconds(tokens, mlp_width_ * hidden_, mlp_width_, hidden_);
    }
    if (tp_ > 1) {
        const double payload = tokens * hidden_ * kActBytes;
        const double ring = 2.0 * (tp_ - 1) / tp_ * payload / link_bw_;
        layer += 2 * (allreduce_latency_s_ + ring);
    }

    double total = layers_ * layer;
    if (sampled > 0) {
        // LM head in bf16 for the sampled rows only (vLLM gathers the logit indices before the head).
        const double params = hidden_ * vocab_per_rank_;
        const double compute = 2.0 * sampled * params / lm_head_flops_;
        const double bytes = params * kActBytes + sampled * (hidden_ + vocab_per_rank_) * kActBytes;
        total += std::max(compute, bytes / mem_bw_);
    }
    total += step_overhead_s_ + seqs * per_seq_overhead_s_ + prefill_tokens * per_prefill_token_overhead_s_;
    return total;
}

core::TimeNs RooflineModel::step_time(const BatchShape& batch) { return core::seconds_to_ns(step_seconds(batch)); }

}  // namespace dynosim::sim::timing
