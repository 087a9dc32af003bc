#include "optimizers/scalarize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dynosim::optimizers {

Normalizer Normalizer::from(const std::vector<Trial>& trials, std::size_t m) {
    Normalizer n;
    const double inf = std::numeric_limits<double>::infinity();
    n.ideal.assign(m, inf);
    n.nadir.assign(m, -inf);
    std::size_t seen = 0;
    for (const Trial& t : trials) {
        if (t.objectives.size() != m) continue;
        ++seen;
        for (std::size_t i = 0; i < m; ++i) {
            n.ideal[i] = std::min(n.ideal[i], t.objectives[i]);
            n.nadir[i] = std::max(n.nadir[i], t.objectives[i]);
        }
    }
    if (seen < 2) return {};
    return n;
}

double Normalizer::normalize(std::size_t i, double f) const {
    if (ideal.empty()) return f;
    const double span = nadir[i] - ideal[i];
    return span > 0 ? (f - ideal[i]) / span : f - ideal[i];
}

double chebyshev(const std::vector<double>& objectives, const std::vector<double>& weights, const Normalizer& n,
                 double rho) {
    if (objectives.size() == 1) return objectives[0];  // one objective: no rescaling, keep its units
    double worst = -std::numeric_limits<double>::infinity(), sum = 0;
    for (std::size_t i = 0; i < objectives.size(); ++i) {
        const double v = weights[i] * n.normalize(i, objectives[i]);
        worst = std::max(worst, v);
        sum += v;
    }
    return worst + rho * sum;
}

bool deb_better(double va, double sa, double vb, double sb) {
    const bool fa = va <= 0, fb = vb <= 0;
    if (fa != fb) return fa;
    if (!fa) return va < vb;
    return sa < sb;
}

std::vector<double> equal_weights(std::size_t m) { return std::vector<double>(m, 1.0 / static_cast<double>(m)); }

}  // namespace dynosim::optimizers
