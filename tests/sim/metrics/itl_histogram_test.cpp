#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sim/metrics/itl_histogram.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"

using namespace dynosim::sim;

namespace {

// The exact order statistic of sorted values, interpolated as summarize_ms does.
double exact_percentile(const std::vector<double>& sorted, double q) {
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

TEST_CASE("ITL histogram percentiles stay within its relative error and its mean is exact", "[metrics][itl]") {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(std::log(20e6), 0.8);  // ~20 ms gaps, heavy tail
    metrics::ItlHistogram h(0.005);
    std::vector<double> v;
    std::uint64_t sum = 0;
    for (int i = 0; i < 200000; ++i) {
        const auto g = static_cast<core::TimeNs>(dist(rng));
        h.add(g);
        v.push_back(static_cast<double>(g));
        sum += static_cast<std::uint64_t>(g);
    }
    v.push_back(0);  // a same-instant gap
    h.add(0);
    std::sort(v.begin(), v.end());
    CHECK(h.count() == v.size());
    CHECK(h.sum_ns() == sum);
    CHECK(h.min() == 0);
    CHECK(static_cast<double>(h.max()) == v.back());
    for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
        const double exact = exact_percentile(v, q), approx = h.percentile_ns(q);
        CHECK(std::abs(approx - exact) <= 0.0051 * exact);
    }
    CHECK(h.percentile_ns(0) == 0);
    CHECK(h.percentile_ns(1) == v.back());
}

TEST_CASE("ITL histogram rejects a relative error outside 0 to 0.5", "[metrics][itl]") {
    CHECK_THROWS(metrics::ItlHistogram(0));
    CHECK_THROWS(metrics::ItlHistogram(0.5));
}

TEST_CASE("metrics.itl_histogram on matches exact storage within 0.5% and keeps everything else", "[metrics][itl][scenario]") {
    const std::string text = R"(
[model]
name = "Llama-3.1-8B"
[hardware]
gpu = "H100-SXM"
[workload]
kind = "generator"
[workload.generator]
duration_s = 30
[workload.generator.arrival]
rate = 10
[workload.generator.input]
kind = "fixed"
value = 1024
[workload.generator.output]
kind = "lognormal"
mean = 200
)";
    const auto off = scenario::run_scenario(scenario::load_scenario_text(text, "t.toml", {"metrics.itl_histogram=\"off\""}));
    const auto on = scenario::run_scenario(scenario::load_scenario_text(text, "t.toml", {"metrics.itl_histogram=\"on\""}));
    const auto autom = scenario::run_scenario(scenario::load_scenario_text(text, "t.toml", {}));
    REQUIRE(on.recorder->itl_histogram() != nullptr);
    CHECK(on.recorder->itl_counts().empty());
    CHECK(off.recorder->itl_histogram() == nullptr);
    CHECK(autom.recorder->itl_histogram() == nullptr);  // small run: exact by default
    CHECK(metrics::summary_json(autom.summary) == metrics::summary_json(off.summary));
    const auto &a = off.summary.itl, &b = on.summary.itl;
    REQUIRE(a.count > 1000);
    CHECK(b.count == a.count);
    CHECK(b.mean == a.mean);
    CHECK(b.min == a.min);
    CHECK(b.max == a.max);
    CHECK(std::abs(b.p50 - a.p50) <= 0.0051 * a.p50);
    CHECK(std::abs(b.p90 - a.p90) <= 0.0051 * a.p90);
    CHECK(std::abs(b.p99 - a.p99) <= 0.0051 * a.p99);
    CHECK(on.summary.ttft.p99 == off.summary.ttft.p99);
    CHECK(on.summary.tpot.mean == off.summary.tpot.mean);
}

TEST_CASE("metrics.itl_histogram rejects an unknown value naming the key", "[metrics][itl][scenario]") {
    try {
        scenario::load_scenario_text("[model]\nname = \"Llama-3.1-8B\"\n", "t.toml", {"metrics.itl_histogram=\"maybe\""});
        FAIL("accepted");
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find("metrics.itl_histogram") != std::string::npos);
    }
}
