// Table-driven timing model; see table_model.hpp and docs/timing.md for the equations.
#include "sim/timing/table_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/hw/memory.hpp"

namespace dynosim::sim::timing {
namespace {

constexpr double kActBytes = 2;  // activations and collective payloads are bf16

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool is_dtype(const std::string& d) {
    return d == "bf16" || d == "fp8";
}
const char* table_dtype(const std::string& d) {
    return d == "fp8" ? "fp8" : "bfloat16";
}

// Keeps the `bits` most significant bits of x and returns the middle of that bucket.
std::int64_t quantize(std::int64_t x, int bits) {
    if (bits <= 0 || x < (std::int64_t{1} << bits)) return x;
    const int width = 64 - std::countl_zero(static_cast<std::uint64_t>(x));
    const int shift = width - bits;
    return ((x >> shift) << shift) + (std::int64_t{1} << (shift - 1));
}

// Independent products summed, then one mix: the multiplies overlap instead of forming a chain (this
// runs for every step the decode memo does not answer).
std::uint64_t hash_key(const StepKey& k) {
    auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
    std::uint64_t h = u(k.decodes) * 0x9E3779B97F4A7C15ull + u(k.decode_context) * 0xBF58476D1CE4E5B9ull +
                      u(k.decode_max) * 0x94D049BB133111EBull + u(k.prefills) * 0xD6E8FEB86659FD93ull +
                      u(k.prefill_tokens) * 0xA0761D6478BD642Full + u(k.prefill_attention) * 0xE7037ED1A0B428DBull +
                      u(k.sampled) * 0x8EBC6AF09C88C6E3ull + u(k.local_decode_context) * 0x589965CC75374CC3ull +
                      u(k.local_prefill_attention) * 0x1D8E4E27C47D124Full;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

const char* kOpNames[] = {"qkv_gemm",
                          "mla_q_b_gemm",
                          "mla_kv_b_gemm",
                          "attention_context",
                          "attention_generation",
                          "o_proj_gemm",
                          "gate_up_gemm",
                          "down_gemm",
                          "moe_router_gemm",
                          "moe_experts",
                          "shared_expert_up_gemm",
                          "shared_expert_down_gemm",
                          "all_reduce",
                          "all_to_all",
                          "elementwise",
                          "lm_head_gemm",
                          "pipeline_p2p",
                          "step_overhead"};

double link_bandwidth(const hw::GpuSpec& gpu) {
    return gpu.nvlink_bw > 0 ? gpu.nvlink_bw : gpu.pcie_bw;
}

}  // namespace

// ---- options ---------------------------------------------------------------------------------------------

std::vector<std::string> TableTimingOptions::validate() const {
    std::vector<std::string> errors;
    auto check = [&errors](bool ok, std::string_view field, const auto& value, std::string_view rule) {
        if (!ok) errors.push_back(fmt::format("timing.{} = {}: {}", field, value, rule));
    };
    check(!data_dir.empty(), "data_dir", "\"\"", "must name the shared data folder");
    check(backend == "vllm" || backend == "sglang" || backend == "trtllm", "backend", backend,
          "must be \"vllm\", \"sglang\" or \"trtllm\"");
    check(tp >= 1, "tp", tp, "must be >= 1");
    check(pp >= 1, "pp", pp, "must be >= 1");
    check(ep == 1 || ep == tp, "ep", ep, "must be 1 or equal to tp");
    check(attention_dp >= 1 && tp % std::max(1, attention_dp) == 0, "attention_dp", attention_dp,
          "must be >= 1 and divide tp");
    // TRT-LLM's attention DP runs attention without TP (enable_attention_dp: one rank per GPU).
    check(attention_dp == 1 || backend != "trtllm" || attention_dp == tp, "attention_dp", attention_dp,
          "trtllm's attention DP (enable_attention_dp) has one rank per GPU: must be 1 or equal to tp");
    check(is_dtype(weight_dtype), "weight_dtype", weight_dtype, "must be \"bf16\" or \"fp8\"");
    check(is_dtype(kv_dtype), "kv_dtype", kv_dtype, "must be \"bf16\" or \"fp8\"");
    check(moe_distribution == "balanced" || moe_distribution == "power_law_1.01" ||
              moe_distribution == "power_law_1.2",
          "moe_distribution", moe_distribution,
          "must be \"balanced\", \"power_law_1.01\" or \"power_law_1.2\"");
    check(cuda_graph_max_tokens >= 0, "cuda_graph_max_tokens", cuda_graph_max_tokens, "must be >= 0");
    check(std::isfinite(custom_allreduce_max_mib) && custom_allreduce_max_mib > 0, "custom_allreduce_max_mib",
          custom_allreduce_max_mib, "must be > 0");
    auto nonneg = [](double v) { return std::isfinite(v) && v >= 0; };
    check(nonneg(step_overhead_us), "step_overhead_us", step_overhead_us, "must be >= 0");
    check(nonneg(per_seq_overhead_us), "per_seq_overhead_us", per_seq_overhead_us, "must be >= 0");
    check(nonneg(per_prefill_token_overhead_ns), "per_prefill_token_overhead_ns",
          per_prefill_token_overhead_ns, "must be >= 0");
    check(nonneg(p2p_latency_us), "p2p_latency_us", p2p_latency_us, "must be >= 0");
    check(cache_key_bits == 0 || (cache_key_bits >= 4 && cache_key_bits <= 30), "cache_key_bits",
          cache_key_bits, "must be 0 or in [4, 30]");
    check(cache_entries >= 0 && (cache_entries & (cache_entries - 1)) == 0 && cache_entries <= (1 << 24),
          "cache_entries", cache_entries, "must be 0 or a power of two <= 16777216");
    return errors;
}

std::string TableTimingOptions::resolved_data_dir() const {
    if (data_dir == TableTimingOptions{}.data_dir)
        if (const char* env = std::getenv("DYNOSIM_DATA"); env && *env) return env;
    return data_dir;
}

// ---- efficiency fits -------------------------------------------------------------------------------------

FittedEfficiency fit_efficiency(const hw::GpuSpec& gpu, const GemmTable* gemm, const AttentionTable* context,
                                const CommTable* comm) {
    FittedEfficiency e;
    std::vector<std::string> used;
    if (const GemmGrid* g = gemm ? gemm->find("bfloat16") : nullptr) {
        std::vector<double> compute, memory;
        double floor_ms = 1e30;
        const std::size_t nn = g->n.size(), nk = g->k.size();
        for (std::size_t im = 0; im < g->m.size(); ++im)
            for (std::size_t in = 0; in < nn; ++in)
                for (std::size_t ik = 0; ik < nk; ++ik) {
                    const std::size_t idx = (im * nn + in) * nk + ik;
                    if (!g->was_measured[idx]) continue;
                    const double m = g->m[im], n = g->n[in], k = g->k[ik], s = g->ms[idx] * 1e-3;
                    floor_ms = std::min(floor_ms, g->ms[idx]);
                    if (m >= 2048 && n >= 2048 && k >= 2048)
                        compute.push_back(2 * m * n * k / s / gpu.bf16_flops);
                    if (m <= 16 && n * k >= 4096.0 * 4096.0)
                        memory.push_back(kActBytes * (n * k + m * (n + k)) / s / gpu.hbm_bw);
                }
        if (!compute.empty()) e.gemm = median(compute);
        if (!memory.empty()) e.memory = median(memory);
        if (floor_ms < 1e30) e.floor_us = floor_ms * 1e3;
        used.push_back(gemm->file);
    }
    if (context) {
        std::vector<double> att;
        for (const auto& s : context->slices) {
            if (s.kv_dtype != "bfloat16" || s.window != 0) continue;  // the FLOPs below are full causal
            for (std::size_t i = 0; i < s.raw.a.size(); ++i)
                for (std::size_t j = 0; j < s.raw.b.size(); ++j) {
                    const double ms = s.raw.at(i, j), isl = s.raw.b[j], b = s.raw.a[i];
                    if (std::isnan(ms) || isl < 4096) continue;
                    const double flops = 4.0 * s.heads * s.head_dim * b * isl * (isl + 1) / 2;
                    att.push_back(flops / (ms * 1e-3) / gpu.bf16_flops);
                }
        }
        if (!att.empty()) e.attention = median(att);
        used.push_back(context->file);
    }
    if (comm) {
        std::vector<double> bus;
        for (const auto& c : comm->curves) {
            if (c.op != "all_reduce" || c.dtype == "int8" || c.num_gpus < 2 || c.elements.empty()) continue;
            const double n = c.num_gpus, bytes = c.elements.back() * kActBytes, s = c.ms.back() * 1e-3;
            bus.push_back(2 * (n - 1) / n * bytes / s / link_bandwidth(gpu));
        }
        if (!bus.empty()) e.comm = std::min(1.0, median(bus));
        used.push_back(comm->file);
    }
    for (std::size_t i = 0; i < used.size(); ++i) e.source += (i ? ", " : "") + used[i];
    return e;
}

FittedEfficiency fit_efficiency_across_gpus(const std::filesystem::path& root, const std::string& framework) {
    static std::mutex mu;
    static std::map<std::string, FittedEfficiency> cache;
    const std::string key = root.string() + "|" + framework;
    {
        std::lock_guard lock(mu);
        if (auto it = cache.find(key); it != cache.end()) return it->second;
    }
    std::vector<double> gemm, att, mem, comm, floor;
    std::string names;
    for (const auto& gpu : hw::gpu_catalog()) {
        const std::string dir = table_gpu_dir(gpu.name);
        if (dir.empty()) continue;
        std::shared_ptr<const GemmTable> g;
        std::shared_ptr<const AttentionTable> a;
        std::shared_ptr<const CommTable> c;
        for (const std::string& fw : {framework, std::string("vllm")}) {
            TableLocator loc{root, dir, fw, ""};
            if (!g)
                if (auto p = loc.find("gemm", "gemm_perf")) g = TableStore::gemm(*p);
            if (!a)
                if (auto p = loc.find("attention", "context_attention_perf"))
                    a = TableStore::attention(*p, false);
            if (!c)
                if (auto p = loc.find_nccl()) c = TableStore::comm(*p);
        }
        if (!g) continue;
        const FittedEfficiency e = fit_efficiency(gpu, g.get(), a.get(), c.get());
        gemm.push_back(e.gemm);
        mem.push_back(e.memory);
        floor.push_back(e.floor_us);
        if (a) att.push_back(e.attention);
        // PCIe-only parts with host-staged NCCL (L40S) would drag the NVLink figure down: NVLink GPUs only.
        if (c && gpu.nvlink_bw > 0) comm.push_back(e.comm);
        names += (names.empty() ? "" : ", ") + gpu.name;
    }
    FittedEfficiency out;
    if (!gemm.empty()) {
        out.gemm = median(gemm);
        out.memory = median(mem);
        out.floor_us = median(floor);
    }
    if (!att.empty()) out.attention = median(att);
    if (!comm.empty()) out.comm = median(comm);
    out.source = names.empty() ? "no tables found: roofline defaults" : "median over " + names;
    std::lock_guard lock(mu);
    return cache.emplace(key, out).first->second;
}

// ---- construction ----------------------------------------------------------------------------------------

void TableTimingModel::note(std::string text) const {
    if (sink_) sink_(text);
    notes_.push_back(std::move(text));
}

void TableTimingModel::set_warning_sink(std::function<void(std::string_view)> sink) {
    sink_ = std::move(sink);
    if (sink_)
        for (const auto& n : notes_) sink_(n);
}

void TableTimingModel::flag(int op_id, double x) const {
    ++out_of_grid_;
    const std::uint32_t bit = 1u << op_id;
    if (warned_ & bit) return;
    warned_ |= bit;
    note(
        fmt::format("warning: {} priced at {:.6g} outside its measured grid: clamped to the grid edge and "
                    "scaled by the op's roofline law (further occurrences counted, not logged)",
                    kOpNames[op_id], x));
}

void TableTimingModel::build_gemm(GemmOp& op, const char* op_name, double n, double k, bool bf16_only,
                                  const GemmTable* table) {
    op.name = op_name;
    op.n = n;
    op.k = k;
    const bool fp8 = !bf16_only && weight_fp8_;
    op.weight_bytes = fp8 ? 1 : 2;
    op.flops_peak = fp8 && fp8_peak_ > 0 ? fp8_peak_ : bf16_peak_;
    if (n <= 0 || k <= 0 || table == nullptr) return;
    const GemmGrid* g = table->find(fp8 ? "fp8" : "bfloat16");
    if (g == nullptr && fp8) g = table->find("fp8_block");
    if (g == nullptr) {
        note(fmt::format("{}: no {} GEMM rows in {}: roofline with fitted efficiency", op_name,
                         fp8 ? "fp8" : "bf16", table->file));
        return;
    }
    op.curve = g->curve_over_m(n, k, &op.extrapolated_nk);
    if (op.curve.empty()) return;
    ++table_ops_;
    // bf16 only: there the cells split into two kernel modes; fp8 / fp8_block cells spread over a wide range
    // (H100 fp8_block p10 / p90 1.1 / 2.9 TB/s) that is the kernels' own shape dependence.
    if (median_bw_ && !fp8 && n * k * op.weight_bytes >= kStreamMinWeightBytes) {
        // Per grid, once: the grids live as long as the process (table cache).
        static std::mutex mu;
        static std::map<const GemmGrid*, double> cache;
        std::lock_guard<std::mutex> lock(mu);
        auto it = cache.find(g);
        if (it == cache.end())
            it = cache.emplace(g, g->median_stream_bandwidth(op.weight_bytes, kStreamMaxM, kStreamMinWeightBytes))
                     .first;
        op.stream_bw = it->second;
    }
    if (op.extrapolated_nk)
        note(fmt::format("{}: n={} k={} beyond the {} GEMM grid: scaled from its edge", op_name, n, k,
                         g->dtype));
}

TableTimingModel::TableTimingModel(const hw::ModelSpec& model, const hw::GpuSpec& gpu,
                                   const TableTimingOptions& opts) {
    if (const auto errors = opts.validate(); !errors.empty()) {
        std::string msg = "invalid timing options:";
        for (const auto& e : errors) msg += "\n  " + e;
        throw core::InputError(msg);
    }
    if (model.num_layers <= 0 || model.hidden_size <= 0 || model.num_heads <= 0 || model.head_dim <= 0)
        throw core::InputError("table timing: model '" + model.name + "' has no layer shape");
    if (model.num_heads % opts.tp != 0)
        throw core::InputError(
            fmt::format("table timing: model {} has {} attention heads, not divisible by tp={}", model.name,
                        model.num_heads, opts.tp));
    if (opts.pp > model.num_layers)
        throw core::InputError(fmt::format("timing.pp = {}: more stages than the {} layers of {}", opts.pp,
                                           model.num_layers, model.name));
    if (opts.ep > 1 && !model.is_moe())
        throw core::InputError(fmt::format("timing.ep = {}: model {} has no experts", opts.ep, model.name));
    // vLLM has no DP attention for dense models: its data parallelism there is independent replicas.
    if (opts.attention_dp > 1 && opts.backend == "vllm" && !model.is_moe())
        throw core::InputError(fmt::format(
            "timing.attention_dp = {}: vLLM's data-parallel attention is its DP + expert-parallel deployment "
            "of MoE models; {} is dense (run more workers instead)",
            opts.attention_dp, model.name));
    if (gpu.bf16_flops <= 0 || gpu.hbm_bw <= 0)
        throw core::InputError("table timing: GPU '" + gpu.name + "' has no FLOP/s or bandwidth figures");
    tp_ = opts.tp;
    pp_ = opts.pp;
    ep_ = opts.ep;
    attn_dp_ = opts.attention_dp;
    tp_attn_ = tp_ / attn_dp_;
    // With attention DP the experts are spread over every GPU of the worker.
    if (attn_dp_ > 1 && model.is_moe() && ep_ != tp_) {
        ep_ = tp_;
        note(fmt::format("attention_dp = {}: MoE experts expert-parallel over all {} GPUs (ep = {})",
                         attn_dp_, tp_, tp_));
    }
    layers_ = model.num_layers;
    local_layers_ = model.num_local_layers;
    full_layers_ = layers_ - local_layers_;
    local_kind_ = model.local_kind;
    window_ = model.local_window;
    moe_layers_ = model.num_moe_layers();
    dense_layers_ = layers_ - moe_layers_;
    if (model.is_mla()) {
        kv_lora_ = model.kv_lora_rank;
        rope_ = model.qk_rope_head_dim;
        nope_ = model.qk_nope_head_dim;
        v_dim_ = model.v_head_dim;
    }
    hidden_ = model.hidden_size;
    head_dim_ = model.head_dim;
    heads_ = static_cast<double>(model.num_heads) / tp_attn_;
    kv_heads_ = hw::kv_heads_per_rank(model, tp_attn_);
    if (opts.backend == "vllm" && model.kv_lora_rank == 0) split_kv_sms_ = gpu.sms;
    moe_ = model.is_moe();
    inter_ = (moe_ && dense_layers_ == 0) ? 0.0 : static_cast<double>(model.intermediate_size) / tp_;
    experts_ = model.num_experts;
    topk_ = model.experts_per_token;
    expert_inter_ = model.moe_intermediate_size;
    shared_inter_ = static_cast<double>(model.shared_expert_intermediate_size) / tp_;
    kv_bytes_ = opts.kv_dtype == "fp8" ? 1 : 2;
    weight_fp8_ = opts.weight_dtype == "fp8";
    median_bw_ = opts.gemm_median_bandwidth;
    graph_max_tokens_ = opts.cuda_graph_max_tokens;
    graph_padding_ = opts.cuda_graph_padding && opts.backend == "vllm";
    custom_ar_max_bytes_ = opts.custom_allreduce_max_mib * 1024 * 1024;
    bf16_peak_ = gpu.bf16_flops;
    fp8_peak_ = gpu.fp8_flops;
    hbm_bw_ = gpu.hbm_bw;
    link_bw_ = link_bandwidth(gpu);
    if (tp_ > 1 && link_bw_ <= 0)
        throw core::InputError("table timing: GPU '" + gpu.name + "' has no link bandwidth");
    key_bits_ = opts.cache_key_bits;

    // Tables: this backend's, else another framework's on the same GPU (noted).
    const std::filesystem::path root =
        std::filesystem::path(opts.resolved_data_dir()) / "gpu" / "aiconfigurator_csv";
    const std::string gpu_dir = table_gpu_dir(gpu.name);
    std::error_code ec;
    const bool gpu_has_tables = !gpu_dir.empty() && std::filesystem::is_directory(root / gpu_dir, ec);
    auto locate = [&](std::string_view family,
                      std::string_view stem) -> std::optional<std::filesystem::path> {
        if (!gpu_has_tables) return std::nullopt;
        for (const std::string& fw :
             {opts.backend, std::string("vllm"), std::string("sglang"), std::string("trtllm")}) {
            TableLocator loc{root, gpu_dir, fw, fw == opts.backend ? opts.table_version : ""};
            if (auto p = loc.find(family, stem)) {
                if (fw != opts.backend)
                    note(fmt::format("{} {}: no {} table for {}: using {}'s ({})", gpu.name, stem,
                                     opts.backend, gpu.name, fw, p->string()));
                return p;
            }
        }
        note(
            fmt::format("{} {}: no table for {}: roofline with fitted efficiency", gpu.name, stem, gpu.name));
        return std::nullopt;
    };
    if (!gpu_has_tables) {
        eff_ = fit_efficiency_across_gpus(root, opts.backend);
        note(fmt::format(
            "GPU {} has no measured tables under {}: every op uses the roofline with efficiencies "
            "fitted on the GPUs that have tables ({}): GEMM {:.2f}, attention {:.2f}, memory {:.2f}, "
            "link {:.2f}",
            gpu.name, root.string(), eff_.source, eff_.gemm, eff_.attention, eff_.memory, eff_.comm));
    }
    if (auto p = locate("gemm", "gemm_perf")) gemm_table_ = TableStore::gemm(*p);
    if (auto p = locate("attention", "context_attention_perf")) ctx_table_ = TableStore::attention(*p, false);
    if (auto p = locate("attention", "generation_attention_perf"))
        gen_table_ = TableStore::attention(*p, true);
    if (tp_ > 1 || ep_ > 1) {
        if (auto p = locate("comm", "custom_allreduce_perf")) custom_ar_table_ = TableStore::comm(*p);
        if (gpu_has_tables) {
            TableLocator loc{root, gpu_dir, "nccl", ""};
            if (auto p = loc.find_nccl()) nccl_table_ = TableStore::comm(*p);
        }
    }
    if (moe_)
        if (auto p = locate("moe", "moe_perf")) moe_table_ = TableStore::moe(*p);
    if (gpu_has_tables) {
        eff_ = fit_efficiency(gpu, gemm_table_.get(), ctx_table_.get(), nccl_table_.get());
        note(fmt::format(
            "roofline fallback efficiencies fitted on {}'s tables: GEMM {:.2f}, attention {:.2f}, "
            "memory {:.2f}, link {:.2f}, kernel floor {:.1f} us",
            gpu.name, eff_.gemm, eff_.attention, eff_.memory, eff_.comm, eff_.floor_us));
    }

    // Linear layers (per rank).
    const GemmTable* gt = gemm_table_.get();
    const double q = heads_ * head_dim_, kvw = kv_heads_ * head_dim_;
    if (kv_lora_ > 0) {
        // MLA (vLLM DeepseekV2MLAAttention): fused q_a + kv_a projection (replicated on every rank), q_b
        // (per-rank heads x (nope + rope)), kv_b (latent -> nope keys and values; at decode absorbed into the
        // query and output as two batched GEMMs of the same FLOPs), o (per-rank heads x v).
        const double q_lora = model.q_lora_rank;
        build_gemm(qkv_, "qkv_gemm", (q_lora > 0 ? q_lora : heads_ * (nope_ + rope_)) + kv_lora_ + rope_,
                   hidden_, false, gt);
        if (q_lora > 0) build_gemm(q_b_, "mla_q_b_gemm", heads_ * (nope_ + rope_), q_lora, false, gt);
        build_gemm(kv_b_, "mla_kv_b_gemm", heads_ * (nope_ + v_dim_), kv_lora_, false, gt);
        build_gemm(o_, "o_proj_gemm", hidden_, heads_ * v_dim_, false, gt);
    } else {
        build_gemm(qkv_, "qkv_gemm", q + 2 * kvw, hidden_, false, gt);
        build_gemm(o_, "o_proj_gemm", hidden_, q, false, gt);
    }
    if (inter_ > 0) {
        build_gemm(gate_up_, "gate_up_gemm", 2 * inter_, hidden_, false, gt);
        build_gemm(down_, "down_gemm", hidden_, inter_, false, gt);
    }
    if (moe_) {
        build_gemm(router_, "moe_router_gemm", experts_, hidden_, true, gt);
        if (shared_inter_ > 0) {
            build_gemm(shared_up_, "shared_expert_up_gemm", 2 * shared_inter_, hidden_, false, gt);
            build_gemm(shared_down_, "shared_expert_down_gemm", hidden_, shared_inter_, false, gt);
        }
    }
    build_gemm(lm_head_, "lm_head_gemm", static_cast<double>(model.vocab_size) / tp_attn_, hidden_, true, gt);

    // Attention slices: exact per-rank head layout, else the nearest with the same head_dim, scaled.
    const std::string kvd = table_dtype(opts.kv_dtype);
    const int h = static_cast<int>(heads_), kvh = static_cast<int>(kv_heads_), hd = model.head_dim;
    auto pick = [&](const std::shared_ptr<const AttentionTable>& t, const AttentionSlice*& slice,
                    double& scale, double& batch_mult, bool generation, int window) {
        if (!t) return;
        const std::string what =
            fmt::format("{}{}", generation ? "attention_generation" : "attention_context",
                        window > 0 ? fmt::format(" (window {})", window) : std::string());
        slice = t->find(h, kvh, hd, kvd, window);
        if (slice) {
            ++table_ops_;
            return;
        }
        // Attention kernels parallelise over (sequence, KV head) with the group's query heads inside: kvh KV
        // heads of `group` query heads each at batch B do the same work, bytes and thread blocks as kv' heads
        // at batch B x kvh / kv'. Take the largest measured kv' dividing kvh with the same group size.
        if (kvh > 0 && h % kvh == 0) {
            const int group = h / kvh;
            for (int kvp = kvh - 1; kvp >= 1; --kvp) {
                if (kvh % kvp != 0) continue;
                if (const AttentionSlice* s = t->find(kvp * group, kvp, hd, kvd, window)) {
                    slice = s;
                    batch_mult = static_cast<double>(kvh) / kvp;
                    ++table_ops_;
                    note(fmt::format(
                        "{}: no rows for heads={} kv_heads={} head_dim={} in {}: priced as heads={} "
                        "kv_heads={} at {:.3g}x the batch (same work per KV head)",
                        what, h, kvh, hd, t->file, s->heads, s->kv_heads, batch_mult));
                    return;
                }
            }
        }
        slice = t->nearest(h, kvh, hd, kvd, window);
        if (!slice) {
            note(fmt::format("{}: no head_dim={} kv={} rows in {}: {}", what, hd, kvd, t->file,
                             window > 0
                                 ? "local layers priced on the full-attention rows at the clipped context"
                                 : "roofline with fitted efficiency"));
            return;
        }
        ++table_ops_;
        // Prefill attention scales with query heads (FLOPs); decode attention with the KV read (KV heads).
        scale =
            generation ? static_cast<double>(kvh) / slice->kv_heads : static_cast<double>(h) / slice->heads;
        note(
            fmt::format("{}: no rows for heads={} kv_heads={} head_dim={} in {}: using heads={} kv_heads={} "
                        "scaled by {:.3g}",
                        what, h, kvh, hd, t->file, slice->heads, slice->kv_heads, scale));
    };
    if (kv_lora_ > 0) {
        // The shared tables hold no MLA rows (the data README: mla tables not copied).
        note(fmt::format(
            "attention: MLA (kv_lora_rank {}, rope {}) has no rows in the attention tables: roofline "
            "with fitted efficiency (prefill as MHA over up-projected keys, decode absorbed over the "
            "latent)",
            kv_lora_, rope_));
    } else {
        pick(ctx_table_, ctx_, ctx_scale_, ctx_batch_mult_, false, 0);
        pick(gen_table_, gen_, gen_scale_, gen_batch_mult_, true, 0);
    }
    if (local_layers_ > 0) {
        const bool chunked = local_kind_ == hw::ModelSpec::LocalAttention::kChunked;
        // The tables' window rows are the sliding-window kernel. Chunked layers (Llama 4) run as virtual
        // sequences of at most one chunk each (vLLM's chunked local attention), i.e. the full kernel at the
        // chunk-local context: left on the full rows.
        if (!chunked && kv_lora_ == 0 && window_ > 0 && window_ <= std::numeric_limits<int>::max()) {
            const int w = static_cast<int>(window_);
            auto pick_window = [&](const std::shared_ptr<const AttentionTable>& t, WindowSlice& ws,
                                   bool generation) {
                if (!t) return;
                const bool any = std::any_of(t->slices.begin(), t->slices.end(),
                                             [&](const AttentionSlice& s) { return s.window == w; });
                if (!any) {
                    note(fmt::format(
                        "{}: no window {} rows in {}: local layers priced on the full-attention rows "
                        "at the clipped context",
                        generation ? "attention_generation" : "attention_context", w, t->file));
                    return;
                }
                pick(t, ws.slice, ws.scale, ws.batch_mult, generation, w);
            };
            pick_window(ctx_table_, local_ctx_, false);
            pick_window(gen_table_, local_gen_, true);
        }
        note(fmt::format("{} of {} layers use {} attention over {} tokens: prefill {}, decode {}",
                         model.num_local_layers, layers_, chunked ? "chunked" : "sliding-window", window_,
                         local_ctx_.slice ? "on the window rows at the full length"
                                          : "on the full-attention rows at the clipped context",
                         local_gen_.slice ? "on the window rows at the full KV length"
                                          : "on the full-attention rows at the clipped context"));
    }

    // Collectives.
    if (tp_ > 1) {
        if (custom_ar_table_) {
            ar_graph_ = custom_ar_table_->find("all_reduce", tp_, "graph");
            ar_eager_ = custom_ar_table_->find("all_reduce", tp_, "eager");
            if (!ar_graph_) ar_graph_ = custom_ar_table_->find("all_reduce", tp_, "");
            if (!ar_eager_) ar_eager_ = ar_graph_;
        }
        if (nccl_table_) ar_nccl_ = nccl_table_->find("all_reduce", tp_, "NCCL");
        if (ar_graph_ || ar_nccl_)
            ++table_ops_;
        else
            note(fmt::format("all_reduce: no table for {} GPUs: roofline with fitted link efficiency", tp_));
        if (tp_attn_ > 1 && tp_attn_ != tp_) {
            if (custom_ar_table_) {
                attn_ar_graph_ = custom_ar_table_->find("all_reduce", tp_attn_, "graph");
                attn_ar_eager_ = custom_ar_table_->find("all_reduce", tp_attn_, "eager");
                if (!attn_ar_graph_) attn_ar_graph_ = custom_ar_table_->find("all_reduce", tp_attn_, "");
                if (!attn_ar_eager_) attn_ar_eager_ = attn_ar_graph_;
            }
            if (nccl_table_) attn_ar_nccl_ = nccl_table_->find("all_reduce", tp_attn_, "NCCL");
        }
    }
    if (ep_ > 1) {
        if (nccl_table_) a2a_ = nccl_table_->find("alltoall", ep_, "NCCL");
        if (!a2a_)
            note(fmt::format("all_to_all: no table for {} GPUs: roofline with fitted link efficiency", ep_));
    }

    // MoE experts: the exact configuration, else the same experts with another top-k (tokens rescaled so the
    // routed rows match), else the roofline.
    if (moe_ && moe_table_) {
        const int moe_tp = ep_ > 1 ? 1 : tp_;
        std::vector<std::string> dtypes =
            weight_fp8_ ? std::vector<std::string>{"fp8", "fp8_block"} : std::vector<std::string>{"bfloat16"};
        // Best match on top-k, then distribution; among equals the fastest kernel (the framework picks the
        // fastest backend it has for the dtype), judged at 256 tokens.
        int best_score = -1;
        double best_ms = 0;
        for (const auto& c : moe_table_->curves) {
            if (std::find(dtypes.begin(), dtypes.end(), c.dtype) == dtypes.end()) continue;
            if (c.hidden != model.hidden_size || c.inter != model.moe_intermediate_size ||
                c.experts != model.num_experts || c.tp != moe_tp || c.ep != ep_)
                continue;
            const int score = (c.topk == model.experts_per_token ? 2 : 0) +
                              (c.distribution == opts.moe_distribution ? 1 : 0);
            bool outside = false;
            const double at256 = c.curve.eval(256, &outside);
            if (score > best_score || (score == best_score && at256 < best_ms)) {
                best_score = score;
                best_ms = at256;
                moe_curve_ = &c;
            }
        }
        if (moe_curve_) {
            ++table_ops_;
            moe_token_scale_ = static_cast<double>(model.experts_per_token) / moe_curve_->topk;
            if (moe_curve_->topk != model.experts_per_token ||
                moe_curve_->distribution != opts.moe_distribution)
                note(fmt::format(
                    "moe_experts: using {} rows topk={} distribution={} for topk={} {} (tokens x {:.3g})",
                    moe_table_->file, moe_curve_->topk, moe_curve_->distribution, model.experts_per_token,
                    opts.moe_distribution, moe_token_scale_));
            note(fmt::format("moe_experts: kernel {} ({})", moe_curve_->kernel, moe_curve_->dtype));
        } else {
            note(fmt::format(
                "moe_experts: no rows for hidden={} inter={} experts={} moe_tp={} moe_ep={} {} in {}: "
                "roofline with fitted efficiency",
                model.hidden_size, model.moe_intermediate_size, model.num_experts, moe_tp, ep_,
                weight_fp8_ ? "fp8" : "bf16", moe_table_->file));
        }
    }

    // Overheads, optionally from a calibration file.
    double step_us = opts.step_overhead_us, seq_us = opts.per_seq_overhead_us,
           tok_ns = opts.per_prefill_token_overhead_ns;
    if (!opts.calibration_file.empty()) {
        std::ifstream in(opts.calibration_file);
        if (!in) throw core::InputError(opts.calibration_file + ": cannot open calibration file");
        std::string line;
        int lineno = 0;
        while (std::getline(in, line)) {
            ++lineno;
            if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            const auto eq = line.find('=');
            auto trim = [](std::string s) {
                const auto b = s.find_first_not_of(" \t\r\"");
                const auto e = s.find_last_not_of(" \t\r\"");
                return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
            };
            const std::string key = trim(line.substr(0, eq)),
                              val = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
            char* end = nullptr;
            const double v = std::strtod(val.c_str(), &end);
            const bool number_ok = !val.empty() && end && *end == '\0' && std::isfinite(v) && v >= 0;
            if (key == "step_overhead_us" || key == "per_seq_overhead_us" ||
                key == "per_prefill_token_overhead_ns") {
                if (!number_ok)
                    throw core::InputError(fmt::format("{}:{}: {} = '{}': must be a number >= 0",
                                                       opts.calibration_file, lineno, key, val));
                (key == "step_overhead_us" ? step_us : key == "per_seq_overhead_us" ? seq_us : tok_ns) = v;
            } else if (key != "gpu" && key != "model" && key != "backend" && key != "source" &&
                       key != "rmse_ms" && key != "points") {
                throw core::InputError(
                    fmt::format("{}:{}: unknown key '{}'", opts.calibration_file, lineno, key));
            }
        }
        note(fmt::format("overheads from {}: step {} us, per sequence {} us, per prefill token {} ns",
                         opts.calibration_file, step_us, seq_us, tok_ns));
    }
    step_overhead_s_ = step_us * 1e-6;
    per_seq_s_ = seq_us * 1e-6;
    per_prefill_token_s_ = tok_ns * 1e-9;
    p2p_latency_s_ = opts.p2p_latency_us * 1e-6;

    if (opts.cache_entries > 0) {
        cache_.assign(static_cast<std::size_t>(opts.cache_entries), Entry{});
        mask_ = static_cast<std::uint64_t>(opts.cache_entries) - 1;
    }
}

// ---- pricing ---------------------------------------------------------------------------------------------

double TableTimingModel::roofline_gemm_ms(const GemmOp& op, double m) const {
    const double compute = 2 * m * op.n * op.k / (op.flops_peak * eff_.gemm);
    const double bytes = op.n * op.k * op.weight_bytes + m * (op.n + op.k) * kActBytes;
    return std::max(compute, bytes / (hbm_bw_ * eff_.memory)) * 1e3 + eff_.floor_us * 1e-3;
}

double TableTimingModel::gemm_ms(const GemmOp& op, double m, int op_id) const {
    if (m <= 0 || op.n <= 0) return 0;
    if (op.curve.empty()) return roofline_gemm_ms(op, m);
    if (op.stream_bw > 0 && m <= kStreamMaxM)
        return (op.n * op.k * op.weight_bytes + m * (op.n + op.k) * kActBytes) / op.stream_bw * 1e3;
    bool outside = false;
    const double v = op.curve.eval(m, &outside);
    if (outside) flag(op_id, m);
    return v;
}

double TableTimingModel::attention_context_ms(double prefills, double eff_len, double new_tokens,
                                              double kv_tokens) const {
    if (prefills <= 0) return 0;
    if (ctx_) {
        bool outside = false;
        const double v = ctx_->grid.eval(prefills * ctx_batch_mult_, eff_len, &outside) * ctx_scale_;
        if (outside) flag(kAttnCtx, eff_len);
        return v;
    }
    // FLOPs of causal attention over the chunk: 2 x heads x head_dim x sum n (2 c + n) = 2 hd heads x L_eff^2
    // P.
    const double flops = 2 * heads_ * head_dim_ * eff_len * eff_len * prefills;
    const double bytes =
        kv_tokens * 2 * kv_heads_ * head_dim_ * kv_bytes_ + new_tokens * 2 * heads_ * head_dim_ * kActBytes;
    return std::max(flops / (bf16_peak_ * eff_.attention), bytes / (hbm_bw_ * eff_.memory)) * 1e3 +
           eff_.floor_us * 1e-3;
}

double TableTimingModel::attention_generation_ms(double decodes, double mean_kv) const {
    if (decodes <= 0) return 0;
    if (gen_) {
        bool outside = false;
        const double v = gen_->grid.eval(decodes * gen_batch_mult_, mean_kv, &outside) * gen_scale_;
        if (outside) flag(kAttnGen, decodes * mean_kv);
        return v;
    }
    const double ctx = decodes * mean_kv;
    const double flops = 4 * heads_ * head_dim_ * ctx;
    const double bytes =
        ctx * 2 * kv_heads_ * head_dim_ * kv_bytes_ + decodes * 2 * heads_ * head_dim_ * kActBytes;
    return std::max(flops / (bf16_peak_ * eff_.attention), bytes / (hbm_bw_ * eff_.memory)) * 1e3 +
           eff_.floor_us * 1e-3;
}

double TableTimingModel::window_attention_ms(const WindowSlice& w, double batch, double len,
                                             int op_id) const {
    if (batch <= 0) return 0;
    bool outside = false;
    const double v = w.slice->grid.eval(batch * w.batch_mult, len, &outside) * w.scale;
    if (outside) flag(op_id, len);
    return v;
}

double TableTimingModel::allreduce_ms(double tokens) const {
    if (tp_ <= 1 || tokens <= 0) return 0;
    const double elements = tokens * hidden_, bytes = elements * kActBytes;
    const CommCurve* c = nullptr;
    if (bytes <= custom_ar_max_bytes_) c = tokens <= graph_max_tokens_ ? ar_graph_ : ar_eager_;
    if (c == nullptr) c = ar_nccl_ ? ar_nccl_ : ar_graph_;
    if (c != nullptr) {
        bool outside = false;
        const double v = c->curve.eval(elements, &outside);
        if (outside) flag(kAllReduce, elements);
        return v;
    }
    const double n = tp_;
    return (2 * (n - 1) / n * bytes / (link_bw_ * eff_.comm)) * 1e3 + eff_.floor_us * 1e-3;
}

double TableTimingModel::attention_allreduce_ms(double tokens) const {
    if (tp_attn_ == tp_) return allreduce_ms(tokens);
    if (tp_attn_ <= 1 || tokens <= 0) return 0;
    const double elements = tokens * hidden_, bytes = elements * kActBytes;
    const CommCurve* c = nullptr;
    if (bytes <= custom_ar_max_bytes_) c = tokens <= graph_max_tokens_ ? attn_ar_graph_ : attn_ar_eager_;
    if (c == nullptr) c = attn_ar_nccl_ ? attn_ar_nccl_ : attn_ar_graph_;
    if (c != nullptr) {
        bool outside = false;
        const double v = c->curve.eval(elements, &outside);
        if (outside) flag(kAllReduce, elements);
        return v;
    }
    const double n = tp_attn_;
    return (2 * (n - 1) / n * bytes / (link_bw_ * eff_.comm)) * 1e3 + eff_.floor_us * 1e-3;
}

// MLA prefill (vLLM's MLA backends run prefill un-absorbed: keys and values up-projected from the latent
// by kv_b, then attention with qk = nope + rope and v dims per head): causal FLOPs heads x (qk + v) x
// sum n (2c + n); bytes the latent read plus the per-head queries and outputs.
double TableTimingModel::mla_context_ms(double prefills, double eff_len, double new_tokens) const {
    if (prefills <= 0) return 0;
    const double flops = heads_ * (nope_ + rope_ + v_dim_) * eff_len * eff_len * prefills;
    const double bytes = prefills * eff_len * (kv_lora_ + rope_) * kv_bytes_ +
                         new_tokens * heads_ * (nope_ + rope_ + v_dim_) * kActBytes;
    return std::max(flops / (bf16_peak_ * eff_.attention), bytes / (hbm_bw_ * eff_.memory)) * 1e3 +
           eff_.floor_us * 1e-3;
}

// MLA decode, absorbed (FlashMLA / vLLM MLA decode): every head scores against the latent and the rope
// key (2 x (kv_lora + rope) FLOPs per key) and sums latent values (2 x kv_lora); the latent is read once
// for all of the rank's heads.
double TableTimingModel::mla_generation_ms(double decodes, double mean_kv) const {
    if (decodes <= 0) return 0;
    const double ctx = decodes * mean_kv;
    const double flops = 2 * heads_ * (2 * kv_lora_ + rope_) * ctx;
    const double bytes =
        ctx * (kv_lora_ + rope_) * kv_bytes_ + decodes * heads_ * (2 * kv_lora_ + rope_) * kActBytes;
    return std::max(flops / (bf16_peak_ * eff_.attention), bytes / (hbm_bw_ * eff_.memory)) * 1e3 +
           eff_.floor_us * 1e-3;
}

double TableTimingModel::alltoall_ms(double tokens) const {
    if (ep_ <= 1 || tokens <= 0) return 0;
    const double elements = tokens * hidden_;
    if (a2a_ != nullptr) {
        bool outside = false;
        const double v = a2a_->curve.eval(elements, &outside);
        if (outside) flag(kAllToAll, elements);
        return v;
    }
    const double n = ep_;
    return ((n - 1) / n * elements * kActBytes / (link_bw_ * eff_.comm)) * 1e3 + eff_.floor_us * 1e-3;
}

double TableTimingModel::experts_ms(double tokens) const {
    if (!moe_ || tokens <= 0) return 0;
    if (moe_curve_ != nullptr) {
        bool outside = false;
        const double t = tokens * moe_token_scale_;
        const double v = moe_curve_->curve.eval(t, &outside);
        if (outside) flag(kExperts, t);
        return v;
    }
    const double moe_tp = ep_ > 1 ? 1.0 : tp_;
    const double params = 3 * hidden_ * expert_inter_ / moe_tp;  // one expert's shard on one rank
    const double local_experts = experts_ / ep_;
    const double touched = local_experts * (1 - std::pow(1 - topk_ / experts_, tokens));
    const double routed = tokens * topk_ / ep_;
    const double compute =
        2 * routed * params / ((weight_fp8_ && fp8_peak_ > 0 ? fp8_peak_ : bf16_peak_) * eff_.gemm);
    const double bytes = touched * params * (weight_fp8_ ? 1 : 2) +
                         routed * (2 * hidden_ + 3 * expert_inter_ / moe_tp) * kActBytes;
    return std::max(compute, bytes / (hbm_bw_ * eff_.memory)) * 1e3 + eff_.floor_us * 1e-3;
}

double TableTimingModel::graph_tokens(double tokens) const {
    if (!graph_padding_ || tokens <= 0 || tokens > graph_max_tokens_) return tokens;
    // vLLM's default cudagraph_capture_sizes: 1, 2, 4, 8, 16, 24, ..., 248, 256, 272, ... (to the max).
    if (tokens <= 4) return tokens <= 1 ? 1.0 : tokens <= 2 ? 2.0 : 4.0;
    const double step = tokens <= 256 ? 8 : 16;
    const double padded = std::ceil(tokens / step) * step;
    return padded <= graph_max_tokens_ ? padded : tokens;  // past the largest capture size: eager
}

StepKey TableTimingModel::make_key(const BatchShape& batch) const {
    StepKey k;
    std::int64_t attn = 0, new_tokens = 0, last = 0;
    for (const auto& p : batch.prefills) {
        const std::int64_t c = p.context_tokens, n = p.new_tokens;
        new_tokens += n;
        attn += n * (2 * c + n);
        last += p.last_chunk ? 1 : 0;
    }
    // Four independent sums and maxima: one long dependency chain would make this loop the cached
    // estimate's whole cost at a few hundred sequences.
    const std::int32_t* dc = batch.decode_context.data();
    const std::size_t nd = batch.decode_context.size();
    std::int64_t sum4[4] = {0, 0, 0, 0};
    std::int32_t max4[4] = {0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 4 <= nd; i += 4)
        for (int j = 0; j < 4; ++j) {
            sum4[j] += dc[i + j];
            max4[j] = std::max(max4[j], dc[i + j]);
        }
    for (; i < nd; ++i) {
        sum4[0] += dc[i];
        max4[0] = std::max(max4[0], dc[i]);
    }
    const std::int64_t ctx = sum4[0] + sum4[1] + sum4[2] + sum4[3];
    const std::int32_t longest = std::max(std::max(max4[0], max4[1]), std::max(max4[2], max4[3]));
    k.decodes = static_cast<std::int64_t>(batch.decode_context.size());
    k.decode_context = quantize(ctx, key_bits_);
    // Only the split-KV pricing reads the longest context: elsewhere it would only split the cache's keys.
    k.decode_max = split_kv_sms_ > 0 ? quantize(longest, key_bits_) : 0;
    k.prefills = static_cast<std::int64_t>(batch.prefills.size());
    k.prefill_tokens = new_tokens;
    k.prefill_attention = quantize(attn, key_bits_);
    k.sampled = k.decodes + last;
    if (local_layers_ > 0) {
        // Context a local layer sees for the query at 0-based position p: min(p + 1, W) (sliding) or
        // p mod W + 1 (chunked). Prefill: the causal sum over the chunk's positions, 2 x sum - n (as n (2c +
        // n) = sum over p of 2 (p + 1) - 1 for full attention).
        const std::int64_t w = window_;
        const bool chunked = local_kind_ == hw::ModelSpec::LocalAttention::kChunked;
        auto span_sum = [&](std::int64_t a, std::int64_t b) {  // sum of local context over positions [a, b)
            std::int64_t sum = 0;
            if (!chunked) {
                const std::int64_t split = std::clamp(w, a, b);  // positions below w see p + 1
                sum += (split - a) * (a + 1 + split) / 2 + (b - split) * w;
                return sum;
            }
            for (std::int64_t p = a; p < b;) {
                const std::int64_t start = p / w * w, end = std::min(b, start + w);
                sum += (end - p) * ((p - start + 1) + (end - start)) / 2;
                p = end;
            }
            return sum;
        };
        std::int64_t local_attn = 0, local_ctx = 0;
        for (const auto& p : batch.prefills) {
            const std::int64_t c = p.context_tokens, n = p.new_tokens;
            local_attn += 2 * span_sum(c, c + n) - n;
        }
        for (const std::int32_t c : batch.decode_context)
            local_ctx += chunked ? (c - 1) % w + 1 : std::min<std::int64_t>(c, w);
        k.local_decode_context = quantize(local_ctx, key_bits_);
        k.local_prefill_attention = quantize(local_attn, key_bits_);
    }
    return k;
}

double TableTimingModel::evaluate(const StepKey& key, std::vector<OpCost>* out) const {
    if (key.decodes == 0 && key.prefills == 0) return 0;
    const double tokens = static_cast<double>(key.decodes + key.prefill_tokens);
    const double P = static_cast<double>(key.prefills), D = static_cast<double>(key.decodes);
    const double eff_len = P > 0 ? std::sqrt(static_cast<double>(key.prefill_attention) / P) : 0;
    const double mean_kv = D > 0 ? static_cast<double>(key.decode_context) / D : 0;

    // Attention DP: ranks run in lockstep (every MoE layer waits for all of them), so the step takes as
    // long as the busiest rank, holding ceil(sequences / ranks) of each kind.
    double Pa = P, Da = D, Ta = tokens, new_a = static_cast<double>(key.prefill_tokens),
           sampled = static_cast<double>(key.sampled);
    if (attn_dp_ > 1) {
        Pa = std::ceil(P / attn_dp_);
        Da = std::ceil(D / attn_dp_);
        new_a = P > 0 ? static_cast<double>(key.prefill_tokens) * Pa / P : 0;
        Ta = Da + new_a;
        sampled = std::ceil(sampled / attn_dp_);
    }
    auto ctx_ms = [&](double len) {
        return kv_lora_ > 0 ? mla_context_ms(Pa, len, new_a) : attention_context_ms(Pa, len, new_a, Pa * len);
    };
    auto gen_ms = [&](double kv) {
        return kv_lora_ > 0 ? mla_generation_ms(Da, kv) : attention_generation_ms(Da, kv);
    };
    // FlashAttention's decode (vLLM's FLASH_ATTN backend) runs one thread block per (sequence, KV head) and
    // split, with one split count for the batch sized for the longest sequence. With W = sequences x KV
    // heads under the SMs, the splits fill one wave and the longest sequence's split sets the time: the
    // table's uniform batch at the longest length. With W over the SMs the blocks run in W / SMs waves and
    // the longest matters only past W / SMs x the mean. Uniform contexts (the tables) price as before.
    double gen_kv = mean_kv;
    if (split_kv_sms_ > 0 && D > 0)
        gen_kv = std::max(mean_kv, static_cast<double>(key.decode_max) *
                                       std::min(1.0, split_kv_sms_ / (Da * kv_heads_)));

    // Tokens the captured graph runs (vLLM pads a step to its capture size): every op but attention and
    // the LM head. Gt is the rank's (attention DP) token count, G the worker's.
    const double Gt = graph_tokens(Ta), G = graph_tokens(tokens);
    double ms[kNumOps] = {};
    ms[kQkv] = gemm_ms(qkv_, Gt, kQkv);
    ms[kQb] = gemm_ms(q_b_, Gt, kQb);
    ms[kKvb] = gemm_ms(kv_b_, Gt, kKvb);
    // Prefill KV read ~ tokens attended; only used by the roofline fallback.
    ms[kAttnCtx] = ctx_ms(eff_len);
    ms[kAttnGen] = gen_ms(gen_kv);
    // Local layers: the window rows where the tables measure the model's window, at the length the kernel
    // sees; else the full rows at the clipped contexts of the key (when no context reaches past the window
    // those price like the full layers: left as is, exact).
    if (local_layers_ > 0 &&
        (local_ctx_.slice || local_gen_.slice || key.local_decode_context != key.decode_context ||
         key.local_prefill_attention != key.prefill_attention)) {
        double local_ctx_ms = 0, local_gen_ms = 0;
        if (local_ctx_.slice) {
            // The fresh prompt of the same windowed work per prefill: a prompt of L tokens does
            // S(L) = L^2 (L <= W) or 2 L W - W^2 + W - L (L > W) query-key pairs (x 2 - 1, as the key's
            // sums).
            const double S = P > 0 ? static_cast<double>(key.local_prefill_attention) / P : 0;
            const double W = static_cast<double>(window_);
            const double len = S <= W * W ? std::sqrt(S) : (S + W * W - W) / (2 * W - 1);
            local_ctx_ms = window_attention_ms(local_ctx_, Pa, len, kAttnCtx);
        } else {
            local_ctx_ms =
                ctx_ms(P > 0 ? std::sqrt(static_cast<double>(key.local_prefill_attention) / P) : 0);
        }
        if (local_gen_.slice)
            local_gen_ms = window_attention_ms(local_gen_, Da, mean_kv, kAttnGen);
        else
            local_gen_ms = gen_ms(D > 0 ? static_cast<double>(key.local_decode_context) / D : 0);
        // Per-layer mean over full and local layers.
        ms[kAttnCtx] = (full_layers_ * ms[kAttnCtx] + local_layers_ * local_ctx_ms) / layers_;
        ms[kAttnGen] = (full_layers_ * ms[kAttnGen] + local_layers_ * local_gen_ms) / layers_;
    }
    ms[kOProj] = gemm_ms(o_, Gt, kOProj);
    // Dense MLP (dense models; DeepSeek's leading dense layers, priced as their share of the layers):
    // tensor-parallel over every token of the worker (with attention DP the ranks' tokens are gathered).
    ms[kGateUp] = gemm_ms(gate_up_, G, kGateUp);
    ms[kDown] = gemm_ms(down_, G, kDown);
    if (moe_) {
        ms[kRouter] = gemm_ms(router_, Gt, kRouter);
        ms[kExperts] = experts_ms(G);
        ms[kSharedUp] = gemm_ms(shared_up_, G, kSharedUp);
        ms[kSharedDown] = gemm_ms(shared_down_, G, kSharedDown);
    }
    const bool mixed_mlp = moe_ && dense_layers_ > 0;
    if (mixed_mlp) {
        const double dense_share = dense_layers_ / layers_, moe_share = moe_layers_ / layers_;
        ms[kGateUp] *= dense_share;
        ms[kDown] *= dense_share;
        for (const int i : {kRouter, kExperts, kSharedUp, kSharedDown}) ms[i] *= moe_share;
    }
    // Two all-reduces per layer under TP (after attention, after the MLP); with EP the MoE output is
    // combined by the all-to-all instead of the second all-reduce.
    if (attn_dp_ == 1 && !mixed_mlp) {
        const double ar = allreduce_ms(G);
        ms[kAllReduce] = ep_ > 1 ? ar : 2 * ar;
        ms[kAllToAll] = 2 * alltoall_ms(G);
    } else {
        // Attention output reduced within the attention TP group (none when a rank is one GPU); dense MLP
        // layers reduce over all tp GPUs (with attention DP: all-gather + reduce-scatter of every token, the
        // bytes of one all-reduce); MoE layers dispatch and combine each rank's tokens by all-to-all under
        // EP.
        const double mlp_ar = allreduce_ms(G);
        const double moe_mlp = ep_ > 1 ? 0.0 : mlp_ar;
        ms[kAllReduce] = (attn_dp_ > 1 ? attention_allreduce_ms(Gt) : mlp_ar) +
                         (dense_layers_ * mlp_ar + moe_layers_ * moe_mlp) / layers_;
        ms[kAllToAll] = 2 * alltoall_ms(Gt) * moe_layers_ / layers_;
    }
    // Norms, rotary, activation, residual adds: memory-bound elementwise passes over the activations, one
    // kernel each (vLLM's fused residual-add + RMSNorm twice, rotary, KV-cache write, SiLU-and-mul). A
    // kernel takes at least the table's smallest kernel time, which is what a decode step's few tokens pay.
    const double act_width = moe_ ? shared_inter_ : inter_;
    const double qkv_width = (heads_ + 2 * kv_heads_) * head_dim_;
    const double elem_widths[] = {5 * hidden_, 5 * hidden_, qkv_width, qkv_width, 3 * act_width};
    ms[kElementwise] = 0;
    for (const double w : elem_widths)
        ms[kElementwise] += std::max(Gt * kActBytes * w / (hbm_bw_ * eff_.memory) * 1e3, eff_.floor_us * 1e-3);

    double layer = 0;
    for (int i = 0; i < kLmHead; ++i) layer += ms[i];
    for (int i = 0; i < kLmHead; ++i) ms[i] *= layers_;
    ms[kLmHead] = gemm_ms(lm_head_, sampled, kLmHead);
    if (pp_ > 1)
        ms[kPipeline] =
            (pp_ - 1) * (p2p_latency_s_ + Ta * hidden_ * kActBytes / (link_bw_ * eff_.comm)) * 1e3;
    ms[kOverhead] = (step_overhead_s_ + (D + P) * per_seq_s_ +
                     static_cast<double>(key.prefill_tokens) * per_prefill_token_s_) *
                    1e3;
    const double total = layer * layers_ + ms[kLmHead] + ms[kPipeline] + ms[kOverhead];
    if (out != nullptr) {
        out->clear();
        for (int i = 0; i < kNumOps; ++i) {
            if (ms[i] == 0) continue;
            std::string source = "table";
            switch (i) {
                case kQkv:
                    source = qkv_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kQb:
                    source = q_b_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kKvb:
                    source = kv_b_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kOProj:
                    source = o_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kGateUp:
                    source = gate_up_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kDown:
                    source = down_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kRouter:
                    source = router_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kSharedUp:
                    source = shared_up_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kSharedDown:
                    source = shared_down_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kLmHead:
                    source = lm_head_.curve.empty() ? "roofline (fitted)" : "table";
                    break;
                case kAttnCtx:
                    source = kv_lora_ > 0 ? "roofline (fitted, MLA)"
                             : ctx_       ? (ctx_scale_ != 1        ? "table (head-scaled)"
                                             : ctx_batch_mult_ != 1 ? "table (heads folded into batch)"
                                                                    : "table")
                                          : "roofline (fitted)";
                    break;
                case kAttnGen:
                    source = kv_lora_ > 0 ? "roofline (fitted, MLA absorbed)"
                             : gen_       ? (gen_scale_ != 1        ? "table (head-scaled)"
                                             : gen_batch_mult_ != 1 ? "table (heads folded into batch)"
                                                                    : "table")
                                          : "roofline (fitted)";
                    break;
                case kAllReduce:
                    source = (ar_graph_ || ar_nccl_) ? "table" : "roofline (fitted)";
                    break;
                case kAllToAll:
                    source = a2a_ ? "table" : "roofline (fitted)";
                    break;
                case kExperts:
                    source = moe_curve_ ? "table" : "roofline (fitted)";
                    break;
                case kElementwise:
                    source = "roofline (fitted memory efficiency)";
                    break;
                case kPipeline:
                    source = "p2p latency + link bandwidth";
                    break;
                case kOverhead:
                    source = "fitted overhead";
                    break;
                default:
                    break;
            }
            if ((i == kAttnCtx && local_ctx_.slice) || (i == kAttnGen && local_gen_.slice))
                source += fmt::format(" + window-{} rows (local layers)", window_);
            out->push_back({kOpNames[i], ms[i], source});
        }
    }
    return total * 1e-3;
}

double TableTimingModel::step_seconds(const BatchShape& batch) const {
    return evaluate(make_key(batch), nullptr);
}

std::vector<OpCost> TableTimingModel::breakdown(const BatchShape& batch) const {
    std::vector<OpCost> out;
    evaluate(make_key(batch), &out);
    return out;
}

core::TimeNs TableTimingModel::step_time(const BatchShape& batch) { return cached_ns(make_key(batch)); }

core::TimeNs TableTimingModel::decode_step_time(std::int64_t decodes, std::int64_t context, std::int64_t longest) {
    if (local_layers_ > 0) return -1;
    const std::int64_t q = quantize(context, key_bits_);
    const std::int64_t qmax = split_kv_sms_ > 0 ? quantize(longest, key_bits_) : 0;  // as make_key
    // A run of decode steps asks for the same key many times in a row (the batch's context grows by one
    // token per sequence a step, well inside one quantization bucket): remember the last answer.
    if (decodes == last_decodes_ && q == last_context_ && qmax == last_longest_ && !cache_.empty()) {
        ++hits_;
        return last_ns_;
    }
    StepKey key;  // make_key of `decodes` decode sequences, no prefill
    key.decodes = decodes;
    key.decode_context = q;
    key.decode_max = qmax;
    key.sampled = decodes;
    last_decodes_ = decodes;
    last_context_ = q;
    last_longest_ = qmax;
    last_ns_ = cached_ns(key);
    return last_ns_;
}

core::TimeNs TableTimingModel::cached_ns(const StepKey& key) {
    if (cache_.empty()) return core::seconds_to_ns(evaluate(key, nullptr));
    Entry& e = cache_[hash_key(key) & mask_];
    if (e.ns >= 0 && e.key == key) {
        ++hits_;
        return e.ns;
    }
    ++misses_;
    e.key = key;
    e.ns = core::seconds_to_ns(evaluate(key, nullptr));
    return e.ns;
}

// ---- factory ---------------------------------------------------------------------------------------------

std::unique_ptr<TimingModel> make_timing_model(std::string_view kind, const hw::ModelSpec& model,
                                               const hw::GpuSpec& gpu, const TableTimingOptions& opts,
                                               const RooflineOptions& roofline,
                                               std::vector<std::string>* notes) {
    if (kind == "table") {
        auto m = std::make_unique<TableTimingModel>(model, gpu, opts);
        if (notes) *notes = m->notes();
        return m;
    }
    if (kind == "roofline") {
        RooflineOptions r = roofline;
        r.tp = opts.tp;
        r.weight_dtype = opts.weight_dtype;
        r.kv_dtype = opts.kv_dtype;
        if (opts.pp != 1 || opts.ep != 1 || opts.attention_dp != 1)
            throw core::InputError(
                "timing.kind = \"roofline\": pp, ep and attention_dp are modelled by the table model only");
        if (model.is_mla() || model.num_local_layers > 0)
            throw core::InputError(
                "timing.kind = \"roofline\": model " + model.name +
                " has MLA or local (sliding-window / chunked) attention, modelled by the table "
                "model only");
        if (notes) notes->clear();
        return std::make_unique<RooflineModel>(model, gpu, r);
    }
    throw core::InputError(fmt::format("timing.kind = \"{}\": must be \"table\" or \"roofline\"", kind));
}

}  // namespace dynosim::sim::timing
