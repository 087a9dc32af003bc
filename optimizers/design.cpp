#include "optimizers/design.hpp"

#include <algorithm>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace dynosim::optimizers {

InitialDesign::InitialDesign(std::string kind, std::size_t dims, std::size_t count, std::uint64_t seed)
    : kind_(std::move(kind)), dims_(dims), count_(count), rng_(seed) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (kind_ == "sobol") {
        shift_.resize(dims_);
        for (auto& s : shift_) s = u(rng_);
    } else if (kind_ == "lhs") {
        lhs_.assign(count_, std::vector<double>(dims_));
        std::vector<std::size_t> perm(count_);
        for (std::size_t d = 0; d < dims_; ++d) {
            std::iota(perm.begin(), perm.end(), 0);
            std::shuffle(perm.begin(), perm.end(), rng_);
            for (std::size_t k = 0; k < count_; ++k)
                lhs_[k][d] = (static_cast<double>(perm[k]) + u(rng_)) / static_cast<double>(count_);
        }
    } else if (kind_ != "uniform") {
        throw std::invalid_argument("initial design must be sobol, lhs or uniform, got '" + kind_ + "'");
    }
}

std::vector<double> InitialDesign::next() {
    std::vector<double> x(dims_);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const bool planned = drawn_ < count_;
    ++drawn_;
    if (planned && kind_ == "lhs") return lhs_[drawn_ - 1];
    if (planned && kind_ == "sobol" && dims_ > 0) {
        // Boost's engine is cheap to rebuild; discard() keeps this class copyable without holding it.
        boost::random::sobol eng(static_cast<unsigned>(dims_));
        eng.discard(sobol_index_ * dims_);
        ++sobol_index_;
        const double scale = std::ldexp(1.0, -static_cast<int>(std::numeric_limits<boost::random::sobol::result_type>::digits));
        for (std::size_t d = 0; d < dims_; ++d) {
            const double v = static_cast<double>(eng()) * scale + shift_[d];
            x[d] = v - std::floor(v);
        }
        return x;
    }
    for (auto& v : x) v = u(rng_);
    return x;
}

}  // namespace dynosim::optimizers
