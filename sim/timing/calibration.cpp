#include "sim/timing/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/hw/gpu.hpp"
#include "sim/hw/model.hpp"
#include "sim/timing/csv_reader.hpp"

namespace dynosim::sim::timing {
namespace {

double pct(double predicted, double measured) {
    return 100.0 * std::abs(predicted - measured) / measured;
}

std::vector<double> logs_of(const std::vector<double>& v) {
    std::vector<double> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::log(v[i]);
    return out;
}

// Held-out errors of every measured cell of a grid (logv NaN = unmeasured): `cell` the model's missing-cell
// estimate (estimate_cell_log with the family's `combine`), `axis` each single-axis interpolation that
// brackets it.
void loo_grid(std::span<const std::span<const double>> axes_log, const std::vector<double>& logv,
              const std::vector<double>& measured_ms, Interp interp, Combine combine,
              std::vector<double>& cell, std::vector<double>& axis) {
    for (std::size_t idx = 0; idx < logv.size(); ++idx) {
        if (std::isnan(logv[idx])) continue;
        const double est = estimate_cell_log(axes_log, logv, idx, interp, combine);
        if (std::isnan(est)) continue;
        cell.push_back(pct(std::exp(est), measured_ms[idx]));
        std::size_t stride = 1;
        for (std::size_t d = axes_log.size(); d-- > 0;) {
            const std::size_t size = axes_log[d].size(), pos = (idx / stride) % size;
            const double v =
                held_out_log(axes_log[d], logv.data() + (idx - pos * stride), stride, pos, interp);
            if (!std::isnan(v)) axis.push_back(pct(std::exp(v), measured_ms[idx]));
            stride *= size;
        }
    }
}

// Held-out errors along one measured curve: each interior point predicted from the others (after the
// envelope for collectives, computed without the point), with `interp`.
void loo_curve(const std::vector<double>& xs, const std::vector<double>& ms, Interp interp, bool envelope,
               std::vector<double>& out) {
    const std::vector<double> lx = logs_of(xs);
    std::vector<double> v(ms.size());
    for (std::size_t i = 1; i + 1 < xs.size(); ++i) {
        v = ms;
        if (envelope) {
            v[i] = std::numeric_limits<double>::infinity();
            nondecreasing_envelope(v);
        }
        for (double& x : v) x = std::log(x);
        v[i] = std::nan("");
        const double est = held_out_log(lx, v.data(), 1, i, interp);
        if (!std::isnan(est)) out.push_back(pct(std::exp(est), ms[i]));
    }
}

}  // namespace

ErrorStats summarize(std::string family, std::string scope, std::vector<double> abs_pct) {
    ErrorStats s;
    s.family = std::move(family);
    s.scope = std::move(scope);
    s.points = abs_pct.size();
    if (abs_pct.empty()) return s;
    std::sort(abs_pct.begin(), abs_pct.end());
    auto q = [&](double p) {
        const double idx = p * static_cast<double>(abs_pct.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(idx));
        const auto hi = std::min(lo + 1, abs_pct.size() - 1);
        return abs_pct[lo] + (idx - static_cast<double>(lo)) * (abs_pct[hi] - abs_pct[lo]);
    };
    s.median_pct = q(0.5);
    s.p90_pct = q(0.9);
    s.max_pct = abs_pct.back();
    return s;
}

std::vector<ErrorStats> leave_one_out(const std::filesystem::path& table_root, const std::string& gpu_dir,
                                      const std::string& framework) {
    std::vector<ErrorStats> out;
    const TableLocator loc{table_root, gpu_dir, framework, ""};
    auto scope = [&](const std::filesystem::path& p) {
        return fmt::format("{}/{}/{}", gpu_dir, framework, p.parent_path().filename().string());
    };
    if (auto p = loc.find("gemm", "gemm_perf")) {
        const auto t = TableStore::gemm(*p);
        std::vector<double> cell, axis;
        for (const auto& g : t->grids) {
            const std::vector<double> lm = logs_of(g.m), ln = logs_of(g.n), lk = logs_of(g.k);
            const std::span<const double> axes[3] = {lm, ln, lk};
            std::vector<double> logv(g.ms.size());
            for (std::size_t i = 0; i < logv.size(); ++i)
                logv[i] = g.was_measured[i] ? std::log(g.ms[i]) : std::nan("");
            loo_grid(axes, logv, g.ms, kGemmInterp, kGemmCombine, cell, axis);
        }
        out.push_back(summarize("gemm", scope(*p), std::move(cell)));
        out.push_back(summarize("gemm", scope(*p), std::move(axis)));
        out.back().protocol = "axis";
    }
    for (const bool generation : {false, true}) {
        const char* stem = generation ? "generation_attention_perf" : "context_attention_perf";
        auto p = loc.find("attention", stem);
        if (!p) continue;
        const auto t = TableStore::attention(*p, generation);
        // Full-attention and sliding-window slices scored apart (the window kernels are a family of their
        // own).
        std::vector<double> cell, axis, win_cell, win_axis;
        for (const auto& s : t->slices) {
            const RawGrid& g = s.raw;
            const std::vector<double> la = logs_of(g.a), lb = logs_of(g.b);
            const std::span<const double> axes[2] = {la, lb};
            std::vector<double> logv(g.ms.size());
            for (std::size_t i = 0; i < logv.size(); ++i)
                logv[i] = std::isnan(g.ms[i]) ? g.ms[i] : std::log(g.ms[i]);
            loo_grid(axes, logv, g.ms, kAttentionInterp, kAttentionCombine, s.window > 0 ? win_cell : cell,
                     s.window > 0 ? win_axis : axis);
        }
        const std::string family = generation ? "generation_attention" : "context_attention";
        out.push_back(summarize(family, scope(*p), std::move(cell)));
        out.push_back(summarize(family, scope(*p), std::move(axis)));
        out.back().protocol = "axis";
        if (!win_cell.empty() || !win_axis.empty()) {
            out.push_back(summarize(family + "_window", scope(*p), std::move(win_cell)));
            out.push_back(summarize(family + "_window", scope(*p), std::move(win_axis)));
            out.back().protocol = "axis";
        }
    }
    // Collectives: the framework's custom all-reduce; NCCL (framework-independent) when framework is "nccl".
    if (framework == "nccl") {
        if (auto p = loc.find_nccl()) {
            std::vector<double> ar, a2a;
            for (const auto& c : TableStore::comm(*p)->curves) {
                if (c.op == "all_reduce") loo_curve(c.elements, c.ms, kCommInterp, true, ar);
                if (c.op == "alltoall") loo_curve(c.elements, c.ms, kCommInterp, true, a2a);
            }
            const std::string sc = fmt::format("{}/nccl/{}", gpu_dir, p->parent_path().filename().string());
            out.push_back(summarize("all_reduce", sc, std::move(ar)));
            out.push_back(summarize("all_to_all", sc, std::move(a2a)));
        }
        return out;
    }
    if (auto p = loc.find("comm", "custom_allreduce_perf")) {
        std::vector<double> errs;
        for (const auto& c : TableStore::comm(*p)->curves)
            loo_curve(c.elements, c.ms, kCommInterp, true, errs);
        out.push_back(summarize("all_reduce", scope(*p), std::move(errs)));
    }
    if (auto p = loc.find("moe", "moe_perf")) {
        std::vector<double> errs;
        for (const auto& c : TableStore::moe(*p)->curves) loo_curve(c.tokens, c.ms, kMoeInterp, false, errs);
        out.push_back(summarize("moe", scope(*p), std::move(errs)));
    }
    return out;
}

std::vector<ErrorStats> cross_source_vidur(const std::filesystem::path& data_dir,
                                           const std::string& vidur_gpu, const std::string& framework) {
    std::vector<ErrorStats> out;
    const std::string gpu_dir = vidur_gpu == "h100" ? "h100_sxm" : vidur_gpu == "a100" ? "a100_sxm" : "";
    if (gpu_dir.empty())
        throw core::InputError("cross-source: vidur GPU must be h100 or a100, not " + vidur_gpu);
    const TableLocator loc{data_dir / "gpu" / "aiconfigurator_csv", gpu_dir, framework, ""};
    const auto gp = loc.find("gemm", "gemm_perf");
    const std::filesystem::path vroot = data_dir / "gpu" / "vidur" / "compute" / vidur_gpu;
    std::error_code ec;
    if (!gp || !std::filesystem::is_directory(vroot, ec)) return out;
    const auto table = TableStore::gemm(*gp);
    const GemmGrid* g = table->find("bfloat16");
    if (!g) return out;
    std::vector<double> errs;
    for (const auto& e : std::filesystem::recursive_directory_iterator(vroot, ec)) {
        if (e.path().filename() != "mlp.csv") continue;
        CsvReader r(e.path());
        const int c_h = r.column("n_head"), c_kv = r.column("n_kv_head"), c_e = r.column("n_embd"),
                  c_x = r.column("n_expanded_embd"), c_g = r.column("use_gated_mlp"),
                  c_m = r.column("num_tokens"), c_tp = r.column("num_tensor_parallel_workers");
        const int ops[4] = {
            r.column("time_stats.attn_pre_proj.median"), r.column("time_stats.attn_post_proj.median"),
            r.column("time_stats.mlp_up_proj.median"), r.column("time_stats.mlp_down_proj.median")};
        std::map<std::pair<double, double>, LogCurve> curves;
        while (r.next()) {
            const double h = r.number(c_h), kv = r.number(c_kv), d = r.number(c_e), x = r.number(c_x),
                         m = r.number(c_m), tp = r.number(c_tp);
            const bool gated = r.field(c_g) == "True" || r.field(c_g) == "true" || r.field(c_g) == "1";
            const double hd = d / h;
            const double nk[4][2] = {
                {(h + 2 * kv) * hd / tp, d}, {d, h * hd / tp}, {(gated ? 2 : 1) * x / tp, d}, {d, x / tp}};
            for (int op = 0; op < 4; ++op) {
                const double measured = r.number(ops[op]);
                if (!(measured > 0)) continue;
                auto it = curves.find({nk[op][0], nk[op][1]});
                if (it == curves.end()) {
                    bool outside = false;
                    it = curves
                             .emplace(std::make_pair(nk[op][0], nk[op][1]),
                                      g->curve_over_m(nk[op][0], nk[op][1], &outside))
                             .first;
                }
                if (it->second.empty()) continue;
                bool outside = false;
                const double predicted = it->second.eval(m, &outside);
                if (!outside) errs.push_back(pct(predicted, measured));
            }
        }
    }
    out.push_back(summarize("gemm (cross-source)",
                            fmt::format("vidur {} mlp.csv vs {}/{}/{}", vidur_gpu, gpu_dir, framework,
                                        gp->parent_path().filename().string()),
                            std::move(errs)));
    return out;
}

namespace {

struct FitRow {
    double batch, forward_ms, measured_ms;
};

OverheadFit least_squares(const std::vector<FitRow>& rows, const TableTimingOptions& base,
                          std::string source) {
    OverheadFit fit;
    fit.points = rows.size();
    fit.source = std::move(source);
    if (rows.size() < 2) return fit;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const double n = static_cast<double>(rows.size());
    for (const auto& row : rows) {
        const double y = row.measured_ms - row.forward_ms;
        sx += row.batch;
        sy += y;
        sxx += row.batch * row.batch;
        sxy += row.batch * y;
    }
    const double den = n * sxx - sx * sx;
    const double slope = den > 0 ? std::max(0.0, (n * sxy - sx * sy) / den) : 0.0;
    const double intercept = std::max(0.0, (sy - slope * sx) / n);
    fit.step_overhead_us = intercept * 1e3;
    fit.per_seq_overhead_us = slope * 1e3;
    std::vector<double> before, after;
    double sse = 0;
    for (const auto& row : rows) {
        const double pred = row.forward_ms + intercept + slope * row.batch;
        sse += (pred - row.measured_ms) * (pred - row.measured_ms);
        after.push_back(pct(pred, row.measured_ms));
        before.push_back(
            pct(row.forward_ms + (base.step_overhead_us + base.per_seq_overhead_us * row.batch) * 1e-3,
                row.measured_ms));
    }
    fit.rmse_ms = std::sqrt(sse / n);
    fit.median_abs_pct_before = summarize("", "", before).median_pct;
    fit.median_abs_pct_after = summarize("", "", after).median_pct;
    return fit;
}

TableTimingOptions forward_only(TableTimingOptions o) {
    o.step_overhead_us = o.per_seq_overhead_us = o.per_prefill_token_overhead_ns = 0;
    o.cache_entries = 0;
    return o;
}

}  // namespace

OverheadFit fit_overhead_sim2real(const std::filesystem::path& data_dir, const TableTimingOptions& base) {
    const auto file = data_dir / "serving" / "sim2real-trainval" / "experiments.csv";
    CsvReader r(file);
    const int c_model = r.column("model"), c_hw = r.column("hardware"), c_prec = r.column("precision"),
              c_tp = r.column("tp"), c_sys = r.column("sys_prompt_len"), c_q = r.column("question_len"),
              c_out = r.column("output_len"), c_stages = r.column("stages_rate_rps_x_duration");
    std::vector<FitRow> rows;
    BatchShape shape;
    while (r.next()) {
        std::string id(r.field(c_model));
        if (const auto slash = id.find('/'); slash != std::string::npos) id.replace(slash, 1, "--");
        const hw::ModelSpec model = hw::resolve_model((data_dir / "models" / id).string());
        const hw::GpuSpec& gpu = hw::find_gpu(std::string(r.field(c_hw)));
        TableTimingOptions o = forward_only(base);
        o.tp = static_cast<int>(r.integer(c_tp));
        o.weight_dtype = r.field(c_prec) == "FP8" ? "fp8" : "bf16";
        TableTimingModel m(model, gpu, o);
        const double out = r.number(c_out);
        const auto ctx = static_cast<std::int32_t>(r.number(c_sys) + r.number(c_q) + 22 + out / 2);
        // Stages "5x600s;10x600s": rate of stage i and its measured mean ITL / E2E (s0_, s1_ columns).
        std::string stages(r.field(c_stages));
        for (int s = 0; s < 2 && !stages.empty(); ++s) {
            const auto semi = stages.find(';');
            const std::string stage = stages.substr(0, semi);
            stages = semi == std::string::npos ? "" : stages.substr(semi + 1);
            const double rate = std::strtod(stage.c_str(), nullptr);
            const int c_itl = r.column(fmt::format("s{}_itl_mean_ms", s)),
                      c_e2e = r.column(fmt::format("s{}_e2e_mean_ms", s));
            if (r.field(c_itl).empty() || r.field(c_e2e).empty()) continue;
            const double itl = r.number(c_itl), e2e = r.number(c_e2e);
            const double batch = std::max(1.0, std::round(rate * e2e * 1e-3));
            shape.clear();
            shape.decode_context.assign(static_cast<std::size_t>(batch), ctx);
            rows.push_back({batch, m.step_seconds(shape) * 1e3, itl});
        }
    }
    return least_squares(rows, base,
                         fmt::format("{} ({} run stages, vLLM 0.15.1)", file.string(), rows.size()));
}

OverheadFit fit_overhead_splitwise(const std::filesystem::path& data_dir, const std::string& hardware,
                                   const TableTimingOptions& base) {
    const auto file = data_dir / "gpu" / "splitwise_sim" / "perf_model.csv";
    const hw::ModelSpec model =
        hw::resolve_model((data_dir / "models" / "meta-llama--Llama-2-70b-hf").string());
    const hw::GpuSpec& gpu = hw::find_gpu(hardware == "a100-80gb" ? "A100-80GB" : "H100-SXM");
    CsvReader r(file);
    const int c_model = r.column("model"), c_hw = r.column("hardware"), c_p = r.column("prompt_size"),
              c_b = r.column("batch_size"), c_t = r.column("token_size"), c_tt = r.column("token_time"),
              c_tp = r.column("tensor_parallel");
    std::vector<FitRow> rows;
    std::map<int, std::unique_ptr<TableTimingModel>> models;
    BatchShape shape;
    while (r.next()) {
        if (r.field(c_model) != "llama2-70b" || r.field(c_hw) != hardware) continue;
        const int tp = static_cast<int>(r.integer(c_tp));
        auto& m = models[tp];
        if (!m) {
            TableTimingOptions o = forward_only(base);
            o.tp = tp;
            m = std::make_unique<TableTimingModel>(model, gpu, o);
        }
        const double b = r.number(c_b);
        // Mean KV length over the generation: prompt plus half the output.
        const auto ctx = static_cast<std::int32_t>(r.number(c_p) + r.number(c_t) / 2);
        shape.clear();
        shape.decode_context.assign(static_cast<std::size_t>(b), ctx);
        rows.push_back({b, m->step_seconds(shape) * 1e3, r.number(c_tt)});
    }
    return least_squares(
        rows, base, fmt::format("{} ({} rows of llama2-70b on {})", file.string(), rows.size(), hardware));
}

}  // namespace dynosim::sim::timing
