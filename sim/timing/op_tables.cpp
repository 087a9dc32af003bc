#include "sim/timing/op_tables.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "sim/core/errors.hpp"
#include "sim/timing/csv_reader.hpp"

namespace dynosim::sim::timing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Positive, finite latency or an error naming file, row and column.
double read_latency(const CsvReader& r, int col) {
    const double v = r.number(col);
    if (!(v > 0)) throw core::InputError(fmt::format("{} = {}: latency must be > 0 ms", r.where(col), v));
    return v;
}

double read_positive(const CsvReader& r, int col) {
    const double v = static_cast<double>(r.integer(col));
    if (!(v > 0)) throw core::InputError(fmt::format("{} = {}: must be > 0", r.where(col), v));
    return v;
}

std::vector<double> sorted_unique(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

std::size_t index_of(const std::vector<double>& axis, double x) {
    return static_cast<std::size_t>(std::lower_bound(axis.begin(), axis.end(), x) - axis.begin());
}

// Duplicate measurements of one cell are averaged in log space (geometric mean).
struct LogMean {
    double sum = 0;
    int count = 0;
    void add(double v) {
        sum += std::log(v);
        ++count;
    }
    double value() const { return std::exp(sum / count); }
};

struct Point2 {
    double a, b, ms;
};

RawGrid build_raw(const std::vector<Point2>& pts) {
    RawGrid g;
    std::vector<double> as, bs;
    for (const auto& p : pts) {
        as.push_back(p.a);
        bs.push_back(p.b);
    }
    g.a = sorted_unique(std::move(as));
    g.b = sorted_unique(std::move(bs));
    std::vector<LogMean> cells(g.a.size() * g.b.size());
    for (const auto& p : pts) cells[index_of(g.a, p.a) * g.b.size() + index_of(g.b, p.b)].add(p.ms);
    g.ms.assign(cells.size(), kNaN);
    for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i].count > 0) {
            g.ms[i] = cells[i].value();
            ++g.measured;
        }
    return g;
}

// A 1-D curve from (x, ms) points, duplicates averaged.
void build_curve(std::vector<std::pair<double, double>> pts, double above_exponent, Interp interp,
                 bool envelope, std::vector<double>& xs, std::vector<double>& ms, LogCurve& curve) {
    std::sort(pts.begin(), pts.end());
    xs.clear();
    ms.clear();
    LogMean acc;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        acc.add(pts[i].second);
        if (i + 1 == pts.size() || pts[i + 1].first != pts[i].first) {
            xs.push_back(pts[i].first);
            ms.push_back(acc.value());
            acc = {};
        }
    }
    std::vector<double> vals = ms;
    if (envelope) nondecreasing_envelope(vals);
    curve = LogCurve(LogAxis(xs, above_exponent), vals, interp);
}

// Numeric-aware version order: "0.5.10" > "0.5.9", "1.3.0rc20" > "1.3.0rc3".
bool version_less(const std::string& x, const std::string& y) {
    std::size_t i = 0, j = 0;
    while (i < x.size() && j < y.size()) {
        if (std::isdigit(static_cast<unsigned char>(x[i])) &&
            std::isdigit(static_cast<unsigned char>(y[j]))) {
            std::size_t i2 = i, j2 = j;
            while (i2 < x.size() && std::isdigit(static_cast<unsigned char>(x[i2]))) ++i2;
            while (j2 < y.size() && std::isdigit(static_cast<unsigned char>(y[j2]))) ++j2;
            const long a = std::stol(x.substr(i, i2 - i)), b = std::stol(y.substr(j, j2 - j));
            if (a != b) return a < b;
            i = i2;
            j = j2;
        } else {
            if (x[i] != y[j]) return x[i] < y[j];
            ++i;
            ++j;
        }
    }
    return x.size() - i < y.size() - j;
}

std::optional<std::filesystem::path> newest_with(const std::filesystem::path& dir, std::string_view version,
                                                 const std::string& file) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
    if (!version.empty()) {
        auto p = dir / std::string(version) / file;
        if (std::filesystem::exists(p, ec)) return p;
        return std::nullopt;
    }
    std::vector<std::string> versions;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_directory() && std::filesystem::exists(e.path() / file))
            versions.push_back(e.path().filename().string());
    if (versions.empty()) return std::nullopt;
    std::sort(versions.begin(), versions.end(), version_less);
    return dir / versions.back() / file;
}

}  // namespace

// ---- GEMM ------------------------------------------------------------------------------------------------

double GemmGrid::median_stream_bandwidth(double weight_bytes, double max_m, double min_weight_bytes) const {
    std::vector<double> bw;
    for (std::size_t im = 0; im < m.size() && m[im] <= max_m; ++im)
        for (std::size_t in = 0; in < n.size(); ++in)
            for (std::size_t ik = 0; ik < k.size(); ++ik) {
                const std::size_t i = (im * n.size() + in) * k.size() + ik;
                const double weights = n[in] * k[ik] * weight_bytes;
                if (weights < min_weight_bytes || (i < was_measured.size() && !was_measured[i]) ||
                    !(ms[i] > 0))
                    continue;
                bw.push_back((weights + m[im] * (n[in] + k[ik]) * 2) / (ms[i] * 1e-3));
            }
    if (bw.empty()) return 0;
    const auto mid = bw.begin() + static_cast<std::ptrdiff_t>(bw.size() / 2);
    std::nth_element(bw.begin(), mid, bw.end());
    if (bw.size() % 2 == 1) return *mid;
    return 0.5 * (*mid + *std::max_element(bw.begin(), mid));
}

LogCurve GemmGrid::curve_over_m(double n_val, double k_val, bool* outside) const {
    const LogAxis an(n, 1.0), ak(k, 1.0);
    const auto wn = an.locate(n_val);
    const auto wk = ak.locate(k_val);
    if ((wn.outside || wk.outside) && outside) *outside = true;
    const std::size_t nn = n.size(), nk = k.size();
    const std::size_t in1 = std::min(wn.i + 1, nn - 1), ik1 = std::min(wk.i + 1, nk - 1);
    const double corner_w[4] = {(1 - wn.t) * (1 - wk.t), (1 - wn.t) * wk.t, wn.t * (1 - wk.t), wn.t * wk.t};
    const std::size_t cn[4] = {wn.i, wn.i, in1, in1};
    const std::size_t ck[4] = {wk.i, ik1, wk.i, ik1};
    std::vector<double> vals;
    vals.reserve(m.size());
    for (std::size_t im = 0; im < m.size(); ++im) {
        double lv = 0, w = 0;
        for (int pass = 0; pass < 2 && w <= 0; ++pass) {
            // Pass 0: bilinear weights; pass 1 (every weighted corner unmeasured): the measured corners
            // alike.
            for (int c = 0; c < 4; ++c) {
                const double cw = pass == 0 ? corner_w[c] : 1.0;
                if (cw <= 0) continue;
                const double v = ms[(im * nn + cn[c]) * nk + ck[c]];
                if (std::isnan(v)) continue;
                lv += cw * std::log(v);
                w += cw;
            }
        }
        if (w <= 0) return {};
        vals.push_back(std::exp(lv / w + wn.log_scale + wk.log_scale));
    }
    return LogCurve(LogAxis(m, 1.0), vals, kGemmInterp);
}

const GemmGrid* GemmTable::find(std::string_view dtype) const {
    const GemmGrid* best = nullptr;
    for (const auto& g : grids)
        if (g.dtype == dtype && (best == nullptr || g.measured > best->measured)) best = &g;
    return best;
}

std::shared_ptr<const GemmTable> read_gemm_table(const std::filesystem::path& file) {
    CsvReader r(file);
    const int c_dtype = r.column("gemm_dtype"), c_kernel = r.column("kernel_source"), c_m = r.column("m"),
              c_n = r.column("n"), c_k = r.column("k"), c_lat = r.column("latency");
    struct Row {
        double m, n, k, ms;
    };
    std::map<std::pair<std::string, std::string>, std::vector<Row>> groups;
    while (r.next()) {
        Row row{read_positive(r, c_m), read_positive(r, c_n), read_positive(r, c_k), read_latency(r, c_lat)};
        groups[{std::string(r.field(c_dtype)), std::string(r.field(c_kernel))}].push_back(row);
    }
    auto t = std::make_shared<GemmTable>();
    t->file = file.string();
    for (auto& [key, rows] : groups) {
        GemmGrid g;
        g.dtype = key.first;
        g.kernel = key.second;
        std::vector<double> ms_, ns_, ks_;
        for (const auto& row : rows) {
            ms_.push_back(row.m);
            ns_.push_back(row.n);
            ks_.push_back(row.k);
        }
        g.m = sorted_unique(std::move(ms_));
        g.n = sorted_unique(std::move(ns_));
        g.k = sorted_unique(std::move(ks_));
        const std::size_t nn = g.n.size(), nk = g.k.size();
        std::vector<LogMean> cells(g.m.size() * nn * nk);
        for (const auto& row : rows)
            cells[(index_of(g.m, row.m) * nn + index_of(g.n, row.n)) * nk + index_of(g.k, row.k)].add(row.ms);
        g.ms.assign(cells.size(), kNaN);
        g.was_measured.assign(cells.size(), false);
        for (std::size_t i = 0; i < cells.size(); ++i)
            if (cells[i].count > 0) {
                g.ms[i] = cells[i].value();
                g.was_measured[i] = true;
                ++g.measured;
            }
        const std::span<const double> axes[3] = {g.m, g.n, g.k};
        g.filled = fill_missing_cells(axes, g.ms, kGemmInterp, kGemmCombine);
        g.filled += fill_missing_along_rows(g.m, nn * nk, 1.0, g.ms);
        t->grids.push_back(std::move(g));
    }
    if (t->grids.empty()) throw core::InputError(fmt::format("{}: no data rows", file.string()));
    return t;
}

// ---- attention -------------------------------------------------------------------------------------------

const AttentionSlice* AttentionTable::find(int heads, int kv_heads, int head_dim, std::string_view kv_dtype,
                                           int window) const {
    for (const auto& s : slices)
        if (s.heads == heads && s.kv_heads == kv_heads && s.head_dim == head_dim && s.kv_dtype == kv_dtype &&
            s.window == window)
            return &s;
    return nullptr;
}

const AttentionSlice* AttentionTable::nearest(int heads, int kv_heads, int head_dim,
                                              std::string_view kv_dtype, int window) const {
    const AttentionSlice* best = nullptr;
    double best_d = 0;
    for (const auto& s : slices) {
        if (s.head_dim != head_dim || s.kv_dtype != kv_dtype || s.window != window) continue;
        const double d =
            std::abs(std::log(double(s.heads) / heads)) + std::abs(std::log(double(s.kv_heads) / kv_heads));
        if (best == nullptr || d < best_d) {
            best = &s;
            best_d = d;
        }
    }
    return best;
}

std::shared_ptr<const AttentionTable> read_attention_table(const std::filesystem::path& file,
                                                           bool generation) {
    CsvReader r(file);
    const int c_b = r.column("batch_size"), c_isl = r.column("isl"), c_h = r.column("num_heads"),
              c_kv = r.column("num_key_value_heads"), c_hd = r.column("head_dim"),
              c_kvd = r.column("kv_cache_dtype"), c_win = r.find_column("window_size"),
              c_step = r.find_column("step"), c_lat = r.column("latency");
    if (generation && c_step < 0)
        throw core::InputError(fmt::format("{}: header has no column 'step'", file.string()));
    std::map<std::tuple<int, int, int, std::string, int>, std::vector<Point2>> groups;
    while (r.next()) {
        const double b = read_positive(r, c_b), isl = read_positive(r, c_isl);
        const int h = static_cast<int>(read_positive(r, c_h)), kv = static_cast<int>(read_positive(r, c_kv)),
                  hd = static_cast<int>(read_positive(r, c_hd));
        const double lat = read_latency(r, c_lat);
        const double step = c_step >= 0 ? static_cast<double>(r.integer(c_step)) : 0.0;
        const std::int64_t win = c_win >= 0 ? r.integer(c_win) : 0;
        if (win < 0 || win > std::numeric_limits<int>::max())
            throw core::InputError(fmt::format("{} = {}: must be >= 0", r.where(c_win), win));
        // Generation: the KV length attended over is the prompt plus the tokens generated so far.
        const double len = generation ? isl + step : isl;
        groups[{h, kv, hd, std::string(r.field(c_kvd)), static_cast<int>(win)}].push_back({b, len, lat});
    }
    auto t = std::make_shared<AttentionTable>();
    t->file = file.string();
    t->generation = generation;
    for (auto& [key, pts] : groups) {
        AttentionSlice s;
        std::tie(s.heads, s.kv_heads, s.head_dim, s.kv_dtype, s.window) = key;
        s.raw = build_raw(pts);
        std::vector<double> vals = s.raw.ms;
        const std::span<const double> axes[2] = {s.raw.a, s.raw.b};
        s.filled = fill_missing_cells(axes, vals, kAttentionInterp, kAttentionCombine);
        s.filled += fill_missing_along_rows(s.raw.a, s.raw.b.size(), 1.0, vals);
        // Columns (lengths) measured at no batch size: drop them from the interpolation grid.
        std::vector<double> cols;
        std::vector<std::size_t> keep;
        for (std::size_t j = 0; j < s.raw.b.size(); ++j)
            if (!std::isnan(vals[j])) {
                cols.push_back(s.raw.b[j]);
                keep.push_back(j);
            }
        if (cols.empty()) continue;
        std::vector<double> packed;
        packed.reserve(s.raw.a.size() * cols.size());
        for (std::size_t i = 0; i < s.raw.a.size(); ++i)
            for (const std::size_t j : keep) packed.push_back(vals[i * s.raw.b.size() + j]);
        // Beyond the longest measured length: full attention grows with the KV read (decode) and the causal
        // square (prefill); past the window a query attends to `window` keys whatever the length, so decode
        // is flat and prefill grows with the queries only.
        const bool past_window = s.window > 0 && cols.back() >= s.window;
        const double above = generation ? (past_window ? 0.0 : 1.0) : (past_window ? 1.0 : 2.0);
        s.grid = LogGrid2(LogAxis(s.raw.a, 1.0), LogAxis(cols, above), packed, kAttentionInterp);
        t->slices.push_back(std::move(s));
    }
    if (std::none_of(t->slices.begin(), t->slices.end(),
                     [](const AttentionSlice& s) { return s.window == 0; }))
        throw core::InputError(fmt::format("{}: no full-attention data rows", file.string()));
    return t;
}

// ---- collectives -----------------------------------------------------------------------------------------

const CommCurve* CommTable::find(std::string_view op, int num_gpus, std::string_view kernel_contains) const {
    for (const auto& c : curves)
        if (c.op == op && c.num_gpus == num_gpus && c.kernel.find(kernel_contains) != std::string::npos &&
            c.dtype != "int8")
            return &c;
    return nullptr;
}

std::shared_ptr<const CommTable> read_comm_table(const std::filesystem::path& file) {
    CsvReader r(file);
    const int c_op = r.column("op_name"), c_kernel = r.column("kernel_source"), c_n = r.column("num_gpus"),
              c_size = r.column("message_size"), c_lat = r.column("latency");
    int c_dtype = r.find_column("nccl_dtype");
    if (c_dtype < 0) c_dtype = r.column("allreduce_dtype");
    std::map<std::tuple<std::string, std::string, std::string, int>, std::vector<std::pair<double, double>>>
        groups;
    while (r.next()) {
        const int n = static_cast<int>(read_positive(r, c_n));
        const double size = read_positive(r, c_size), lat = read_latency(r, c_lat);
        groups[{std::string(r.field(c_op)), std::string(r.field(c_dtype)), std::string(r.field(c_kernel)), n}]
            .emplace_back(size, lat);
    }
    auto t = std::make_shared<CommTable>();
    t->file = file.string();
    for (auto& [key, pts] : groups) {
        CommCurve c;
        std::tie(c.op, c.dtype, c.kernel, c.num_gpus) = key;
        build_curve(std::move(pts), 1.0, kCommInterp, true, c.elements, c.ms, c.curve);
        t->curves.push_back(std::move(c));
    }
    if (t->curves.empty()) throw core::InputError(fmt::format("{}: no data rows", file.string()));
    return t;
}

// ---- MoE -------------------------------------------------------------------------------------------------

std::shared_ptr<const MoeTable> read_moe_table(const std::filesystem::path& file) {
    CsvReader r(file);
    const int c_dtype = r.column("moe_dtype"), c_kernel = r.column("kernel_source"),
              c_t = r.column("num_tokens"), c_h = r.column("hidden_size"), c_i = r.column("inter_size"),
              c_k = r.column("topk"), c_e = r.column("num_experts"), c_tp = r.column("moe_tp_size"),
              c_ep = r.column("moe_ep_size"), c_dist = r.column("distribution"), c_lat = r.column("latency");
    using Key = std::tuple<std::string, std::string, std::string, int, int, int, int, int, int>;
    std::map<Key, std::vector<std::pair<double, double>>> groups;
    while (r.next()) {
        const double tokens = read_positive(r, c_t), lat = read_latency(r, c_lat);
        auto i = [&](int c) { return static_cast<int>(read_positive(r, c)); };
        groups[{std::string(r.field(c_dtype)), std::string(r.field(c_dist)), std::string(r.field(c_kernel)),
                i(c_h), i(c_i), i(c_k), i(c_e), i(c_tp), i(c_ep)}]
            .emplace_back(tokens, lat);
    }
    auto t = std::make_shared<MoeTable>();
    t->file = file.string();
    for (auto& [key, pts] : groups) {
        MoeCurve c;
        std::tie(c.dtype, c.distribution, c.kernel, c.hidden, c.inter, c.topk, c.experts, c.tp, c.ep) = key;
        build_curve(std::move(pts), 1.0, kMoeInterp, false, c.tokens, c.ms, c.curve);
        t->curves.push_back(std::move(c));
    }
    if (t->curves.empty()) throw core::InputError(fmt::format("{}: no data rows", file.string()));
    return t;
}

// ---- locating and caching --------------------------------------------------------------------------------

std::optional<std::filesystem::path> TableLocator::find(std::string_view family,
                                                        std::string_view stem) const {
    return newest_with(root / gpu_dir / std::string(family) / framework, version,
                       std::string(stem) + ".csv.gz");
}

std::optional<std::filesystem::path> TableLocator::find_nccl() const {
    return newest_with(root / gpu_dir / "comm" / "nccl", "", "nccl_perf.csv.gz");
}

std::string table_gpu_dir(std::string_view gpu_name) {
    if (gpu_name == "H100-SXM") return "h100_sxm";
    if (gpu_name == "H200") return "h200_sxm";
    if (gpu_name == "A100-80GB") return "a100_sxm";
    if (gpu_name == "B200") return "b200_sxm";
    if (gpu_name == "L40S") return "l40s";
    return "";
}

std::vector<std::string> table_gpu_dirs(const std::filesystem::path& root) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(root, ec))
        if (e.is_directory()) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

namespace {

template <class T, class Fn>
std::shared_ptr<const T> cached(const std::filesystem::path& file, const std::string& tag, Fn read) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const T>> cache;
    const std::string key = tag + "|" + std::filesystem::absolute(file).lexically_normal().string();
    {
        std::lock_guard lock(mu);
        if (auto it = cache.find(key); it != cache.end()) return it->second;
    }
    auto t = read();
    std::lock_guard lock(mu);
    return cache.emplace(key, std::move(t)).first->second;
}

}  // namespace

std::shared_ptr<const GemmTable> TableStore::gemm(const std::filesystem::path& file) {
    return cached<GemmTable>(file, "gemm", [&] { return read_gemm_table(file); });
}
std::shared_ptr<const AttentionTable> TableStore::attention(const std::filesystem::path& file,
                                                            bool generation) {
    return cached<AttentionTable>(file, generation ? "gen" : "ctx",
                                  [&] { return read_attention_table(file, generation); });
}
std::shared_ptr<const CommTable> TableStore::comm(const std::filesystem::path& file) {
    return cached<CommTable>(file, "comm", [&] { return read_comm_table(file); });
}
std::shared_ptr<const MoeTable> TableStore::moe(const std::filesystem::path& file) {
    return cached<MoeTable>(file, "moe", [&] { return read_moe_table(file); });
}

}  // namespace dynosim::sim::timing
