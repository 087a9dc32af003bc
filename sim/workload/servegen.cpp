// ServeGen multi-client generation (see servegen.hpp).
#include "sim/workload/servegen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/workload/arrival.hpp"

namespace dynosim::sim::workload {

namespace fs = std::filesystem;
using core::InputError;

namespace {

constexpr double kDay = 86400.0;
constexpr std::uint64_t kStreamClientArrivals = 0x5347'0000'0000ULL;
constexpr std::uint64_t kStreamClientLengths = 0x5347'0001'0000ULL;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool parse_double(std::string_view s, double& out) {
    s = trim(s);
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot open file", p.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

fs::path trace_csv(const fs::path& dir, std::int32_t k) {
    return dir / fmt::format("chunk-{}-trace.csv", k);
}
fs::path dataset_json(const fs::path& dir, std::int32_t k) {
    return dir / fmt::format("chunk-{}-dataset.json", k);
}

// An empirical probability mass function over token counts.
struct Pmf {
    std::vector<std::int32_t> values;
    std::vector<double> cdf;
    bool empty() const { return values.empty(); }
    std::int32_t sample(core::Rng& rng) const {
        const double u = rng.uniform() * cdf.back();
        const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
        return values[std::min(static_cast<std::size_t>(it - cdf.begin()), values.size() - 1)];
    }
};

// ServeGen stores each pmf as Python's str() of a dict: "{45: 0.0096, 46: 0.0117, ...}" ("{}" when
// the client was idle for the whole dataset window). Keys are token counts; a count of 0 (not present
// in the published data) would be raised to 1 because a request needs at least one token.
Pmf parse_pmf(std::string_view s, const fs::path& file, const std::string& window, const char* field) {
    auto fail = [&](const std::string& what) -> void {
        throw InputError(fmt::format("{}: window '{}' field '{}': {}", file.string(), window, field, what));
    };
    Pmf pmf;
    s = trim(s);
    if (s.size() < 2 || s.front() != '{' || s.back() != '}')
        fail("expected a string-ified dict like \"{45: 0.01, ...}\"");
    s = s.substr(1, s.size() - 2);
    double total = 0;
    while (!trim(s).empty()) {
        const std::size_t colon = s.find(':');
        if (colon == std::string_view::npos) fail("entry without ':'");
        std::size_t comma = s.find(',', colon);
        if (comma == std::string_view::npos) comma = s.size();
        double key = 0, prob = 0;
        if (!parse_double(s.substr(0, colon), key) || key < 0 || key != std::floor(key) || key > 2.0e9)
            fail(fmt::format("key '{}' is not a token count", trim(s.substr(0, colon))));
        if (!parse_double(s.substr(colon + 1, comma - colon - 1), prob) || prob < 0)
            fail(fmt::format("probability '{}' of {} is not a number >= 0",
                             trim(s.substr(colon + 1, comma - colon - 1)), key));
        if (prob > 0) {
            total += prob;
            pmf.values.push_back(std::max<std::int32_t>(1, static_cast<std::int32_t>(key)));
            pmf.cdf.push_back(total);
        }
        s = comma < s.size() ? s.substr(comma + 1) : std::string_view{};
    }
    return pmf;
}

// A client's length distributions per dataset window (window start in the day -> pmfs).
struct ClientLengths {
    std::vector<double> starts;  // ascending
    std::vector<Pmf> input, output;

    // The latest non-empty window at or before `day_t`, searching backwards around the day.
    std::size_t window_for(double day_t) const {
        const auto it = std::upper_bound(starts.begin(), starts.end(), day_t);
        std::size_t i =
            it == starts.begin() ? starts.size() - 1 : static_cast<std::size_t>(it - starts.begin()) - 1;
        for (std::size_t n = 0; n < starts.size(); ++n) {
            if (!input[i].empty() && !output[i].empty()) return i;
            i = i == 0 ? starts.size() - 1 : i - 1;
        }
        return starts.size();  // no data at all
    }
};

ClientLengths load_client_lengths(const fs::path& file) {
    if (!fs::exists(file))
        throw InputError(fmt::format("{}: ServeGen dataset file not found", file.string()));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_text(file));
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(fmt::format("{}: invalid JSON: {}", file.string(), e.what()));
    }
    if (!j.is_object())
        throw InputError(fmt::format("{}: expected an object keyed by window start", file.string()));
    std::vector<std::pair<double, std::string>> keys;
    for (auto it = j.begin(); it != j.end(); ++it) {
        double t = 0;
        if (!parse_double(it.key(), t) || t < 0)
            throw InputError(fmt::format("{}: window '{}': key is not a window start in seconds",
                                         file.string(), it.key()));
        keys.emplace_back(t, it.key());
    }
    std::sort(keys.begin(), keys.end());
    ClientLengths cl;
    for (const auto& [t, key] : keys) {
        const auto& win = j[key];
        Pmf pmfs[2];
        const char* fields[2] = {"input_tokens", "output_tokens"};
        for (int f = 0; f < 2; ++f) {
            if (!win.is_object() || !win.contains(fields[f]))
                throw InputError(
                    fmt::format("{}: window '{}' field '{}': missing", file.string(), key, fields[f]));
            const auto& v = win[fields[f]];
            if (!v.is_string())
                throw InputError(fmt::format("{}: window '{}' field '{}': expected a string-ified dict",
                                             file.string(), key, fields[f]));
            pmfs[f] = parse_pmf(v.get_ref<const std::string&>(), file, key, fields[f]);
        }
        cl.starts.push_back(t);
        cl.input.push_back(std::move(pmfs[0]));
        cl.output.push_back(std::move(pmfs[1]));
    }
    if (cl.starts.empty()) throw InputError(fmt::format("{}: no dataset windows", file.string()));
    return cl;
}

GapSampler sampler_for(const ServeGenWindow& w) {
    if (w.cv > 0 && w.pattern == "Gamma") return GapSampler(GapShape::Gamma, w.cv);
    if (w.cv > 0 && w.pattern == "Weibull") return GapSampler(GapShape::Weibull, w.cv);
    return GapSampler();  // Exponential, or no fit (too few arrivals in the window)
}

// The client's rate over [start, start + duration) as segments relative to `start`, one per (piece
// of a) window, with the gap shape of each.
void client_schedule(const std::vector<ServeGenWindow>& wins, const ServeGenOptions& o,
                     std::vector<RateSegment>& segs, std::vector<GapSampler>& gaps) {
    segs.clear();
    gaps.clear();
    const double end = o.start_s + o.duration_s;
    double t = o.start_s;
    while (t < end - 1e-9) {
        const double day_t = std::fmod(t, kDay);
        const double day_base = t - day_t;
        // Window holding day_t: last with start <= day_t.
        auto it = std::upper_bound(wins.begin(), wins.end(), day_t,
                                   [](double x, const ServeGenWindow& w) { return x < w.start_s; });
        double rate = 0, win_end = 0;
        const ServeGenWindow* w = nullptr;
        if (it == wins.begin()) {
            win_end = wins.front().start_s;  // before the first window: no data, idle
        } else {
            w = &*(it - 1);
            rate = w->rate * o.rate_scale;
            win_end = it == wins.end() ? kDay : it->start_s;
        }
        double seg_end = std::min(end, day_base + win_end);
        if (!(seg_end > t)) seg_end = std::min(end, t + 1e-6);  // rounding at a boundary: always advance
        segs.push_back({seg_end - t, rate, rate});
        gaps.push_back(w ? sampler_for(*w) : GapSampler());
        t = seg_end;
    }
}

double expected_requests(const std::vector<ServeGenWindow>& wins, const ServeGenOptions& o) {
    std::vector<RateSegment> segs;
    std::vector<GapSampler> gaps;
    client_schedule(wins, o, segs, gaps);
    double n = 0;
    for (const RateSegment& s : segs) n += s.rate_start * s.duration_s;
    return n;
}

}  // namespace

std::vector<std::string> ServeGenOptions::validate(const std::string& prefix) const {
    std::vector<std::string> errs;
    if (!(start_s >= 0 && start_s < kDay))
        errs.push_back(fmt::format("{}start_s = {}: must be in [0, 86400) s", prefix, start_s));
    if (!(duration_s > 0 && duration_s <= kDay))
        errs.push_back(fmt::format("{}duration_s = {}: must be in (0, 86400] s", prefix, duration_s));
    if (top_clients < 0)
        errs.push_back(
            fmt::format("{}top_clients = {}: must be >= 0 (0 = all clients)", prefix, top_clients));
    for (std::size_t i = 0; i < clients.size(); ++i)
        if (clients[i] < 0)
            errs.push_back(fmt::format("{}clients[{}] = {}: must be >= 0", prefix, i, clients[i]));
    if (!(rate_scale > 0) || !std::isfinite(rate_scale))
        errs.push_back(fmt::format("{}rate_scale = {}: must be > 0", prefix, rate_scale));
    return errs;
}

std::vector<ServeGenWindow> load_servegen_windows(const fs::path& csv_path) {
    if (!fs::exists(csv_path))
        throw InputError(fmt::format("{}: ServeGen trace file not found", csv_path.string()));
    const std::string text = read_text(csv_path);
    std::vector<ServeGenWindow> out;
    std::istringstream in(text);
    std::string line;
    std::uint64_t line_no = 0;
    static constexpr const char* kFields[6] = {"window_start_s", "rate", "cv", "pattern", "p1", "p2"};
    while (std::getline(in, line)) {
        ++line_no;
        const std::string_view l = trim(line);
        if (l.empty()) continue;
        auto fail = [&](int f, const std::string& what) -> void {
            throw InputError(
                fmt::format("{}:{}: field '{}': {}", csv_path.string(), line_no, kFields[f], what));
        };
        std::vector<std::string_view> cells;
        std::size_t start = 0;
        for (;;) {
            const std::size_t c = l.find(',', start);
            cells.push_back(
                trim(l.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start)));
            if (c == std::string_view::npos) break;
            start = c + 1;
        }
        if (cells.size() < 6)
            fail(static_cast<int>(cells.size()),
                 fmt::format("missing (row has {} columns, expected 6)", cells.size()));
        ServeGenWindow w;
        double* nums[5] = {&w.start_s, &w.rate, &w.cv, &w.param1, &w.param2};
        const int idx[5] = {0, 1, 2, 4, 5};
        for (int i = 0; i < 5; ++i)
            if (!parse_double(cells[static_cast<std::size_t>(idx[i])], *nums[i]))
                fail(idx[i],
                     fmt::format("expected a number, got '{}'", cells[static_cast<std::size_t>(idx[i])]));
        w.pattern = std::string(cells[3]);
        if (w.start_s < 0 || w.start_s >= kDay)
            fail(0, fmt::format("must be in [0, 86400), got {}", w.start_s));
        if (!out.empty() && w.start_s <= out.back().start_s)
            fail(0, fmt::format("windows must be in increasing order ({} after {})", w.start_s,
                                out.back().start_s));
        if (w.rate < 0) fail(1, fmt::format("must be >= 0, got {}", w.rate));
        if (w.cv < 0) fail(2, fmt::format("must be >= 0, got {}", w.cv));
        if (!w.pattern.empty() && w.pattern != "Gamma" && w.pattern != "Weibull" &&
            w.pattern != "Exponential")
            fail(3, fmt::format("unknown pattern '{}' (expected Gamma, Weibull, Exponential or empty)",
                                w.pattern));
        out.push_back(std::move(w));
    }
    if (out.empty()) throw InputError(fmt::format("{}: no windows", csv_path.string()));
    return out;
}

std::vector<std::int32_t> servegen_client_ids(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError(fmt::format("{}: ServeGen directory not found", dir.string()));
    std::vector<std::int32_t> ids;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        constexpr std::string_view pre = "chunk-", post = "-trace.csv";
        if (name.size() <= pre.size() + post.size() || name.compare(0, pre.size(), pre) != 0 ||
            name.compare(name.size() - post.size(), post.size(), post) != 0)
            continue;
        const std::string_view num(name.data() + pre.size(), name.size() - pre.size() - post.size());
        std::int32_t k = 0;
        auto [p, e] = std::from_chars(num.data(), num.data() + num.size(), k);
        if (e == std::errc() && p == num.data() + num.size() && k >= 0) ids.push_back(k);
    }
    std::sort(ids.begin(), ids.end());
    if (ids.empty())
        throw InputError(
            fmt::format("{}: no chunk-<k>-trace.csv files (not a ServeGen directory?)", dir.string()));
    return ids;
}

namespace {
// Selected clients with their windows, ascending by chunk number.
std::vector<std::pair<std::int32_t, std::vector<ServeGenWindow>>> select_clients(const fs::path& dir,
                                                                                 const ServeGenOptions& o) {
    if (auto errs = o.validate(); !errs.empty()) {
        std::string msg = "invalid ServeGen options:";
        for (const auto& e : errs) msg += "\n  " + e;
        throw InputError(msg);
    }
    std::vector<std::int32_t> ids = servegen_client_ids(dir);
    std::vector<std::pair<std::int32_t, std::vector<ServeGenWindow>>> out;
    if (!o.clients.empty()) {
        std::vector<std::int32_t> want = o.clients;
        std::sort(want.begin(), want.end());
        want.erase(std::unique(want.begin(), want.end()), want.end());
        for (std::int32_t k : want) {
            if (!std::binary_search(ids.begin(), ids.end(), k))
                throw InputError(
                    fmt::format("ServeGen client {} not found: no {}", k, trace_csv(dir, k).string()));
            out.emplace_back(k, load_servegen_windows(trace_csv(dir, k)));
        }
        return out;
    }
    std::vector<std::pair<double, std::size_t>> rank;  // (-expected, position) for a stable top-N
    for (std::int32_t k : ids) {
        out.emplace_back(k, load_servegen_windows(trace_csv(dir, k)));
        rank.emplace_back(-expected_requests(out.back().second, o), out.size() - 1);
    }
    if (o.top_clients > 0 && static_cast<std::size_t>(o.top_clients) < out.size()) {
        std::sort(rank.begin(), rank.end());
        std::vector<bool> keep(out.size(), false);
        for (std::size_t i = 0; i < static_cast<std::size_t>(o.top_clients); ++i) keep[rank[i].second] = true;
        std::vector<std::pair<std::int32_t, std::vector<ServeGenWindow>>> kept;
        for (std::size_t i = 0; i < out.size(); ++i)
            if (keep[i]) kept.push_back(std::move(out[i]));
        out = std::move(kept);
    }
    return out;
}
}  // namespace

std::vector<std::int32_t> servegen_selected_clients(const fs::path& dir, const ServeGenOptions& opts) {
    std::vector<std::int32_t> ids;
    for (const auto& c : select_clients(dir, opts)) ids.push_back(c.first);
    return ids;
}

Workload generate_servegen(const fs::path& dir, const ServeGenOptions& opts, std::uint64_t seed) {
    const auto clients = select_clients(dir, opts);
    const core::Rng base(seed);
    Workload w;
    w.source = fmt::format("servegen:{}", dir.string());
    std::vector<RateSegment> segs;
    std::vector<GapSampler> gaps;
    for (const auto& [k, wins] : clients) {
        client_schedule(wins, opts, segs, gaps);
        double mass = 0;
        for (const RateSegment& s : segs) mass += s.rate_start * s.duration_s;
        if (!(mass > 0)) continue;  // idle in the whole span: its dataset file is not even read
        const ClientLengths lengths = load_client_lengths(dataset_json(dir, k));
        const RateSchedule schedule(segs, 0.0);
        core::Rng arrival_rng = base.fork(kStreamClientArrivals + static_cast<std::uint64_t>(k));
        core::Rng length_rng = base.fork(kStreamClientLengths + static_cast<std::uint64_t>(k));
        const std::vector<double> times = arrival_times(schedule, gaps, opts.duration_s, -1, arrival_rng);
        for (double t : times) {
            const double day_t = std::fmod(opts.start_s + t, kDay);
            const std::size_t wi = lengths.window_for(day_t);
            if (wi >= lengths.starts.size())
                throw InputError(
                    fmt::format("{}: client {} has traffic but no length distribution in any window",
                                dataset_json(dir, k).string(), k));
            Request r;
            r.arrival_ns = core::seconds_to_ns(t);
            r.input_tokens = lengths.input[wi].sample(length_rng);
            r.output_tokens = lengths.output[wi].sample(length_rng);
            r.client_id = k;
            w.requests.push_back(std::move(r));
        }
    }
    finalize(w);
    return w;
}

}  // namespace dynosim::sim::workload
