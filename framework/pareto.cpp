#include "framework/pareto.hpp"

#include <pagmo/utils/hypervolume.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace dynosim::framework {

bool dominates(const Vec& a, const Vec& b) {
    bool better = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i]) return false;
        if (a[i] < b[i]) better = true;
    }
    return better;
}

std::vector<std::size_t> non_dominated_ranks(const std::vector<Vec>& points) {
    const std::size_t n = points.size();
    std::vector<std::vector<std::size_t>> dominated(n);
    std::vector<std::size_t> count(n, 0), rank(n, 0), current;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            if (i == j) continue;
            if (dominates(points[i], points[j])) dominated[i].push_back(j);
            else if (dominates(points[j], points[i])) ++count[i];
        }
    for (std::size_t i = 0; i < n; ++i)
        if (count[i] == 0) current.push_back(i);
    for (std::size_t r = 0; !current.empty(); ++r) {
        std::vector<std::size_t> next;
        for (std::size_t i : current) {
            rank[i] = r;
            for (std::size_t j : dominated[i])
                if (--count[j] == 0) next.push_back(j);
        }
        current = std::move(next);
    }
    return rank;
}

std::vector<std::size_t> pareto_front(const std::vector<Vec>& points) {
    std::vector<std::size_t> out;
    const auto r = non_dominated_ranks(points);
    for (std::size_t i = 0; i < points.size(); ++i)
        if (r[i] == 0) out.push_back(i);
    return out;
}

namespace {
// 2-D staircase area of (x, y) points below (rx, ry).
double hv2(std::vector<std::pair<double, double>> p, double rx, double ry) {
    std::sort(p.begin(), p.end());
    double area = 0, ymin = ry;
    for (const auto& [x, y] : p) {
        if (x >= rx || y >= ymin) continue;
        area += (rx - x) * (ymin - y);
        ymin = y;
    }
    return area;
}
}  // namespace

double hypervolume(const std::vector<Vec>& points, const Vec& ref) {
    std::vector<Vec> pts;
    for (const Vec& p : points) {
        if (p.size() != ref.size()) throw std::invalid_argument("hypervolume: point and reference sizes differ");
        bool inside = true;
        for (std::size_t i = 0; i < p.size(); ++i) inside = inside && p[i] < ref[i];
        if (inside) pts.push_back(p);
    }
    if (pts.empty()) return 0;
    const std::size_t m = ref.size();
    if (m == 1) {
        double best = pts[0][0];
        for (const Vec& p : pts) best = std::min(best, p[0]);
        return ref[0] - best;
    }
    if (m == 2) {
        std::vector<std::pair<double, double>> p;
        for (const Vec& v : pts) p.emplace_back(v[0], v[1]);
        return hv2(std::move(p), ref[0], ref[1]);
    }
    if (m == 3) {
        std::sort(pts.begin(), pts.end(), [](const Vec& a, const Vec& b) { return a[2] < b[2]; });
        double vol = 0;
        std::vector<std::pair<double, double>> slice;
        for (std::size_t i = 0; i < pts.size(); ++i) {
            slice.emplace_back(pts[i][0], pts[i][1]);
            const double z_next = i + 1 < pts.size() ? pts[i + 1][2] : ref[2];
            if (z_next > pts[i][2]) vol += hv2(slice, ref[0], ref[1]) * (z_next - pts[i][2]);
        }
        return vol;
    }
    pagmo::hypervolume hv(pts, false);
    return hv.compute(ref);
}

Vec default_reference(const std::vector<Vec>& points) {
    if (points.empty()) return {};
    const std::size_t m = points[0].size();
    Vec lo(m, std::numeric_limits<double>::infinity()), hi(m, -std::numeric_limits<double>::infinity());
    for (const Vec& p : points)
        for (std::size_t i = 0; i < m; ++i) {
            lo[i] = std::min(lo[i], p[i]);
            hi[i] = std::max(hi[i], p[i]);
        }
    Vec ref(m);
    for (std::size_t i = 0; i < m; ++i) ref[i] = hi[i] + (hi[i] > lo[i] ? 0.1 * (hi[i] - lo[i]) : 1.0);
    return ref;
}

}  // namespace dynosim::framework
