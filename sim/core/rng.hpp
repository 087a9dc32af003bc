// The simulation's seeded random source. Distributions are written here rather than taken from <random>
// because the standard leaves their algorithms to the library: the same seed must give the same numbers
// on every platform, so runs are byte-identical.
#pragma once
#include <cmath>
#include <cstdint>
#include <numbers>

namespace dynosim::sim::core {

// SplitMix64: seeds sub-streams and mixes ids into hashes.
inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Combines two 64-bit values into one well-mixed value (order matters).
inline std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) {
    return splitmix64(a ^ (splitmix64(b) + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

// xoshiro256** generator with portable distributions.
class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
    void reseed(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (auto& w : s_) w = x = splitmix64(x);
    }
    // An independent generator for a named sub-stream (a component, a client): adding a component does
    // not shift the numbers another one draws.
    Rng fork(std::uint64_t stream) const { return Rng(hash_combine(s_[0] ^ s_[3], stream)); }

    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [0, n). n > 0. Lemire's multiply-shift; the tiny bias is irrelevant here.
    std::uint64_t below(std::uint64_t n) {
        __extension__ using U128 = unsigned __int128;  // GCC/Clang builtin; -Wpedantic knows it as an extension
        return static_cast<std::uint64_t>((static_cast<U128>(next_u64()) * n) >> 64);
    }
    // Exponential with the given mean.
    double exponential(double mean) { return -mean * std::log1p(-uniform()); }
    // Standard normal (Box-Muller; one value per call keeps the stream position simple).
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }
    double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
    // Gamma(shape k, scale theta), Marsaglia-Tsang; k < 1 by the boost k+1 then u^(1/k).
    double gamma(double k, double theta) {
        if (k < 1.0) {
            const double u = 1.0 - uniform();
            return gamma(k + 1.0, theta) * std::pow(u, 1.0 / k);
        }
        const double d = k - 1.0 / 3.0;
        const double c = 1.0 / std::sqrt(9.0 * d);
        for (;;) {
            double x, v;
            do {
                x = normal();
                v = 1.0 + c * x;
            } while (v <= 0.0);
            v = v * v * v;
            const double u = uniform();
            if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * theta;
            if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * theta;
        }
    }
    // Weibull(shape k, scale lambda) by inversion.
    double weibull(double k, double lambda) { return lambda * std::pow(-std::log1p(-uniform()), 1.0 / k); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4]{};
};

}  // namespace dynosim::sim::core
