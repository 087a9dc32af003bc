#include "sim/fleet/planner_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "sim/core/errors.hpp"

namespace dynosim::sim::fleet {

namespace {
constexpr const char* kHeader = "isl,osl,rate_rps,ttft_ms,itl_ms";
constexpr const char* kFormat = "dynosim-planner-profile-1";

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return {};
    const auto b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
}

bool parse_double(const std::string& s, double& out) {
    std::size_t used = 0;
    try {
        out = std::stod(s, &used);
    } catch (const std::exception&) {
        return false;
    }
    return used == s.size() && std::isfinite(out);
}
}  // namespace

namespace {
// One pool's rows as read, before the grid is built.
struct Section {
    std::string pool = "aggregated";
    int first_line = 0;
    bool header = false, have_gpus = false;
    std::int32_t gpus = 1;
    std::vector<ProfilePoint> pts;
};
}  // namespace

PlannerProfile PlannerProfile::build(std::int32_t gpus, std::vector<ProfilePoint> pts, const std::string& where) {
    PlannerProfile p;
    p.gpus_ = gpus;
    for (const auto& q : pts) {
        p.isls_.push_back(q.isl);
        p.osls_.push_back(q.osl);
    }
    for (auto* v : {&p.isls_, &p.osls_}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    p.curves_.resize(p.isls_.size() * p.osls_.size());
    for (const auto& q : pts) {
        const auto i = static_cast<std::size_t>(std::lower_bound(p.isls_.begin(), p.isls_.end(), q.isl) - p.isls_.begin());
        const auto j = static_cast<std::size_t>(std::lower_bound(p.osls_.begin(), p.osls_.end(), q.osl) - p.osls_.begin());
        p.curves_[i * p.osls_.size() + j].pts.push_back(q);
    }
    for (std::size_t i = 0; i < p.isls_.size(); ++i)
        for (std::size_t j = 0; j < p.osls_.size(); ++j) {
            auto& c = p.curves_[i * p.osls_.size() + j].pts;
            std::sort(c.begin(), c.end(), [](const ProfilePoint& a, const ProfilePoint& b) { return a.rate_rps < b.rate_rps; });
            bool dup = false;
            for (std::size_t k = 1; k < c.size(); ++k) dup = dup || c[k].rate_rps == c[k - 1].rate_rps;
            if (c.size() < 2 || dup)
                throw core::InputError(fmt::format(
                    "{}: isl = {}, osl = {}: needs at least two rows with distinct rate_rps (every isl x osl pair of "
                    "the grid must be profiled), has {}{}",
                    where, p.isls_[i], p.osls_[j], c.size(), dup ? " with a repeated rate" : ""));
        }
    return p;
}

ProfileSet ProfileSet::parse(const std::string& text, const std::string& source) {
    ProfileSet set;
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    bool have_format = false;
    std::vector<Section> sections(1);
    auto fail = [&](const std::string& msg) -> void {
        throw core::InputError(fmt::format("{}:{}: {}", source, lineno, msg));
    };
    while (std::getline(in, line)) {
        ++lineno;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        Section* sec = &sections.back();
        const auto eq = line.find('=');
        // `pool = NAME` opens the next pool's section (the rows before the first one are the aggregated pool).
        if (eq != std::string::npos && trim(line.substr(0, eq)) == "pool") {
            const std::string value = trim(line.substr(eq + 1));
            if (value != "aggregated" && value != "prefill" && value != "decode")
                fail(fmt::format("pool = {}: must be aggregated, prefill or decode", value));
            for (const auto& s : sections)
                if (s.pool == value && (s.header || s.have_gpus || !s.pts.empty()))
                    fail(fmt::format("pool = {}: the pool appears twice (first at line {})", value, s.first_line));
            if (sec->header || sec->have_gpus) sections.emplace_back();
            sections.back().pool = value;
            sections.back().first_line = lineno;
            continue;
        }
        if (!sec->header) {
            if (line == kHeader) {
                sec->header = true;
                if (!sec->first_line) sec->first_line = lineno;
                continue;
            }
            if (eq == std::string::npos)
                fail(fmt::format("expected `key = value` or the header `{}`, got '{}'", kHeader, line));
            const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
            if (key == "format") {
                if (value != kFormat) fail(fmt::format("format = {}: must be {}", value, kFormat));
                have_format = true;
            } else if (key == "gpus_per_worker") {
                double g = 0;
                if (!parse_double(value, g) || g < 1 || g != std::floor(g))
                    fail(fmt::format("gpus_per_worker = {}: must be an integer >= 1", value));
                sec->gpus = static_cast<std::int32_t>(g);
                sec->have_gpus = true;
                if (!sec->first_line) sec->first_line = lineno;
            } else {
                fail(fmt::format("unknown key '{}' (format, gpus_per_worker, pool)", key));
            }
            continue;
        }
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) cells.push_back(trim(c));
        if (cells.size() != 5) fail(fmt::format("expected 5 fields ({}), got {}", kHeader, cells.size()));
        double v[5];
        static const char* names[] = {"isl", "osl", "rate_rps", "ttft_ms", "itl_ms"};
        for (int k = 0; k < 5; ++k)
            if (!parse_double(cells[static_cast<std::size_t>(k)], v[k]) || v[k] <= 0)
                fail(fmt::format("{} = '{}': must be a number > 0", names[k], cells[static_cast<std::size_t>(k)]));
        sec->pts.push_back({v[0], v[1], v[2], v[3], v[4]});
    }
    if (!have_format) throw core::InputError(fmt::format("{}: missing `format = {}` (not a planner profile)", source, kFormat));
    for (auto& s : sections) {
        // An empty leading section (the file starts with `pool = ...`) holds no aggregated pool.
        if (s.pool == "aggregated" && &s == &sections.front() && !s.header && !s.have_gpus && sections.size() > 1)
            continue;
        const std::string where = s.pool == "aggregated" ? source : fmt::format("{}: pool = {}", source, s.pool);
        if (!s.have_gpus) throw core::InputError(fmt::format("{}: missing `gpus_per_worker = N`", where));
        if (!s.header) throw core::InputError(fmt::format("{}: missing the header line `{}`", where, kHeader));
        PlannerProfile p = PlannerProfile::build(s.gpus, std::move(s.pts), where);
        (s.pool == "prefill" ? set.prefill : s.pool == "decode" ? set.decode : set.aggregated) = std::move(p);
    }
    return set;
}

ProfileSet ProfileSet::load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw core::InputError(fmt::format("planner.profile = {}: cannot open the file", path));
    std::stringstream ss;
    ss << f.rdbuf();
    return parse(ss.str(), path);
}

std::string ProfileSet::format_pool(const std::string& pool, std::int32_t gpus_per_worker,
                                    const std::vector<ProfilePoint>& points) {
    std::string out = fmt::format("pool = {}\ngpus_per_worker = {}\n{}\n", pool, gpus_per_worker, kHeader);
    for (const auto& p : points)
        out += fmt::format("{:g},{:g},{:.6g},{:.4f},{:.4f}\n", p.isl, p.osl, p.rate_rps, p.ttft_ms, p.itl_ms);
    return out;
}

PlannerProfile PlannerProfile::parse(const std::string& text, const std::string& source) {
    ProfileSet set = ProfileSet::parse(text, source);
    if (!set.aggregated)
        throw core::InputError(fmt::format("{}: holds no aggregated profile (only pool = prefill / decode sections)",
                                           source));
    return std::move(*set.aggregated);
}

PlannerProfile PlannerProfile::load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw core::InputError(fmt::format("planner.profile = {}: cannot open the file", path));
    std::stringstream ss;
    ss << f.rdbuf();
    return parse(ss.str(), path);
}

std::string PlannerProfile::format(std::int32_t gpus_per_worker, const std::vector<ProfilePoint>& points,
                                   const std::string& comment) {
    std::string out;
    std::istringstream c(comment);
    for (std::string l; std::getline(c, l);) out += "# " + l + "\n";
    out += fmt::format("format = {}\ngpus_per_worker = {}\n{}\n", kFormat, gpus_per_worker, kHeader);
    for (const auto& p : points)
        out += fmt::format("{:g},{:g},{:.6g},{:.4f},{:.4f}\n", p.isl, p.osl, p.rate_rps, p.ttft_ms, p.itl_ms);
    return out;
}

double PlannerProfile::curve_capacity(const Curve& c, double ttft_t, double itl_t) {
    const auto& q = c.pts;
    auto ok = [&](const ProfilePoint& p) { return p.ttft_ms <= ttft_t && p.itl_ms <= itl_t; };
    if (!ok(q[0])) return q[0].rate_rps * std::min(ttft_t / q[0].ttft_ms, itl_t / q[0].itl_ms);
    for (std::size_t k = 1; k < q.size(); ++k) {
        if (ok(q[k])) continue;
        // The crossing between q[k-1] (within) and q[k] (over): the first target crossed, linearly.
        const auto& a = q[k - 1];
        const auto& b = q[k];
        double f = 1.0;
        if (b.ttft_ms > ttft_t) f = std::min(f, (ttft_t - a.ttft_ms) / (b.ttft_ms - a.ttft_ms));
        if (b.itl_ms > itl_t) f = std::min(f, (itl_t - a.itl_ms) / (b.itl_ms - a.itl_ms));
        return a.rate_rps + std::clamp(f, 0.0, 1.0) * (b.rate_rps - a.rate_rps);
    }
    return q.back().rate_rps;  // within both targets at every profiled rate
}

void PlannerProfile::curve_expected(const Curve& c, double rate, double& ttft, double& itl) {
    const auto& q = c.pts;
    if (rate <= q.front().rate_rps) {
        ttft = q.front().ttft_ms;
        itl = q.front().itl_ms;
        return;
    }
    for (std::size_t k = 1; k < q.size(); ++k)
        if (rate <= q[k].rate_rps) {
            const double f = (rate - q[k - 1].rate_rps) / (q[k].rate_rps - q[k - 1].rate_rps);
            ttft = q[k - 1].ttft_ms + f * (q[k].ttft_ms - q[k - 1].ttft_ms);
            itl = q[k - 1].itl_ms + f * (q[k].itl_ms - q[k - 1].itl_ms);
            return;
        }
    ttft = q.back().ttft_ms;
    itl = q.back().itl_ms;
}

void PlannerProfile::locate(double isl, double osl, std::size_t& i0, std::size_t& i1, double& wi, std::size_t& j0,
                            std::size_t& j1, double& wj) const {
    auto one = [](const std::vector<double>& g, double x, std::size_t& a, std::size_t& b, double& w) {
        if (g.size() == 1 || x <= g.front()) {
            a = b = 0;
            w = 0;
            return;
        }
        if (x >= g.back()) {
            a = b = g.size() - 1;
            w = 0;
            return;
        }
        b = static_cast<std::size_t>(std::upper_bound(g.begin(), g.end(), x) - g.begin());
        a = b - 1;
        w = (x - g[a]) / (g[b] - g[a]);
    };
    one(isls_, isl, i0, i1, wi);
    one(osls_, osl, j0, j1, wj);
}

double PlannerProfile::capacity_rps(double isl, double osl, double ttft_ms, double itl_ms) const {
    std::size_t i0, i1, j0, j1;
    double wi, wj;
    locate(isl, osl, i0, i1, wi, j0, j1, wj);
    auto c = [&](std::size_t i, std::size_t j) { return curve_capacity(at(i, j), ttft_ms, itl_ms); };
    return (1 - wi) * ((1 - wj) * c(i0, j0) + wj * c(i0, j1)) + wi * ((1 - wj) * c(i1, j0) + wj * c(i1, j1));
}

void PlannerProfile::expected(double isl, double osl, double rate, double& ttft_ms, double& itl_ms) const {
    std::size_t i0, i1, j0, j1;
    double wi, wj;
    locate(isl, osl, i0, i1, wi, j0, j1, wj);
    ttft_ms = itl_ms = 0;
    const std::size_t is[2] = {i0, i1}, js[2] = {j0, j1};
    const double wis[2] = {1 - wi, wi}, wjs[2] = {1 - wj, wj};
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
            double t = 0, l = 0;
            curve_expected(at(is[a], js[b]), rate, t, l);
            ttft_ms += wis[a] * wjs[b] * t;
            itl_ms += wis[a] * wjs[b] * l;
        }
}

}  // namespace dynosim::sim::fleet
