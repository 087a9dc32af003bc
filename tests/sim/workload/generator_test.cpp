#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "sim/core/errors.hpp"
#include "sim/workload/generator.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::workload;
using dynosim::sim::core::InputError;
using dynosim::sim::core::ns_to_seconds;

namespace {
// Mean and coefficient of variation of the inter-arrival gaps.
std::pair<double, double> gap_stats(const Workload& w) {
    std::vector<double> g;
    for (std::size_t i = 1; i < w.requests.size(); ++i)
        g.push_back(ns_to_seconds(w.requests[i].arrival_ns - w.requests[i - 1].arrival_ns));
    double m = 0;
    for (double x : g) m += x;
    m /= static_cast<double>(g.size());
    double v = 0;
    for (double x : g) v += (x - m) * (x - m);
    v /= static_cast<double>(g.size() - 1);
    return {m, std::sqrt(v) / m};
}

bool same(const Workload& a, const Workload& b) {
    if (a.requests.size() != b.requests.size()) return false;
    for (std::size_t i = 0; i < a.requests.size(); ++i) {
        const Request &x = a.requests[i], &y = b.requests[i];
        if (x.arrival_ns != y.arrival_ns || x.input_tokens != y.input_tokens ||
            x.output_tokens != y.output_tokens || x.block_hashes != y.block_hashes ||
            x.session_id != y.session_id)
            return false;
    }
    return true;
}
}  // namespace

TEST_CASE("Poisson arrivals have the asked mean rate and a gap CV near 1", "[workload]") {
    GeneratorOptions o;
    o.arrival.rate = 50;
    o.duration_s = 200;
    const Workload w = generate(o, 7);
    const double rate = static_cast<double>(w.requests.size()) / o.duration_s;
    CHECK(rate == Approx(50).epsilon(0.03));  // 10000 expected, sd 100
    CHECK(gap_stats(w).second == Approx(1.0).epsilon(0.05));
    CHECK(ns_to_seconds(w.requests.back().arrival_ns) < 200);
    CHECK(w.requests.front().input_tokens == 512);
    CHECK(w.requests.front().output_tokens == 128);
}

TEST_CASE("gamma and Weibull arrivals have the asked rate and CV", "[workload]") {
    for (const std::string process : {"gamma", "weibull"}) {
        for (const double cv : {0.5, 2.0}) {
            GeneratorOptions o;
            o.arrival.process = process;
            o.arrival.rate = 100;
            o.arrival.cv = cv;
            o.duration_s = 200;
            const Workload w = generate(o, 11);
            INFO(process << " cv " << cv);
            const auto [mean_gap, got_cv] = gap_stats(w);
            // Sample CVs of heavy-tailed gaps are noisy: +-15% covers 40 seeds at cv 2 (gamma stays within
            // 3%).
            CHECK(1.0 / mean_gap == Approx(100).epsilon(0.07));
            CHECK(got_cv == Approx(cv).epsilon(cv > 1 ? 0.15 : 0.05));
        }
    }
}

TEST_CASE("weibull_shape_for_cv inverts the Weibull CV", "[workload]") {
    CHECK(weibull_shape_for_cv(1.0) == Approx(1.0).epsilon(1e-9));  // exponential
    CHECK(weibull_shape_for_cv(0.5) == Approx(2.101).epsilon(1e-3));
    CHECK(weibull_shape_for_cv(2.0) == Approx(0.5427).epsilon(1e-3));
}

TEST_CASE("a rate schedule ramps and bursts: arrivals per segment follow the integral of the rate",
          "[workload]") {
    GeneratorOptions o;
    // 0 -> 100 req/s over 100 s (5000 expected), then a 10 s burst at 400 (4000), then idle for 50 s.
    o.arrival.schedule = {{100, 0, 100}, {10, 400, 400}, {50, 0, 0}};
    o.duration_s = 0;  // until the schedule ends
    const Workload w = generate(o, 3);
    std::size_t first_half = 0, ramp = 0, burst = 0, idle = 0;
    for (const Request& r : w.requests) {
        const double t = ns_to_seconds(r.arrival_ns);
        if (t < 50) ++first_half;
        if (t < 100)
            ++ramp;
        else if (t < 110)
            ++burst;
        else
            ++idle;
    }
    CHECK(static_cast<double>(ramp) == Approx(5000).epsilon(0.05));
    CHECK(static_cast<double>(first_half) == Approx(1250).epsilon(0.1));  // 1/4 of the ramp's mass
    CHECK(static_cast<double>(burst) == Approx(4000).epsilon(0.05));
    CHECK(idle == 0);
}

TEST_CASE("RateSchedule inverse undoes cumulative, skipping idle stretches", "[workload]") {
    const RateSchedule s({{10, 2, 4}, {5, 0, 0}, {10, 1, 1}}, 3);
    CHECK(s.cumulative(10) == Approx(30));
    CHECK(s.cumulative(15) == Approx(30));
    CHECK(s.cumulative(25) == Approx(40));
    CHECK(s.cumulative(27) == Approx(46));
    for (const double t : {0.5, 3.0, 9.9, 16.0, 24.0, 30.0}) CHECK(s.inverse(s.cumulative(t)) == Approx(t));
    CHECK(s.inverse(30.5) == Approx(15.5));  // the idle stretch [10, 15) is jumped over
    CHECK(std::isinf(RateSchedule({{10, 1, 1}}, 0).inverse(11)));
}

TEST_CASE("prefix groups: requests of a group share their leading hashes, other blocks are unique",
          "[workload]") {
    GeneratorOptions o;
    o.arrival.rate = 20;
    o.duration_s = 20;
    o.prefix.num_groups = 4;
    o.prefix.prefix_tokens = 100;  // 6 whole 16-token blocks, the 7th mixes prefix and user text
    o.input = {.kind = "uniform", .min = 20, .max = 200};
    const Workload w = generate(o, 5);
    std::map<std::vector<std::uint64_t>, int> prefixes;
    std::multiset<std::uint64_t> rest;
    for (const Request& r : w.requests) {
        REQUIRE(r.input_tokens >= 120);
        REQUIRE(r.block_hashes.size() == static_cast<std::size_t>(r.input_tokens / 16));
        ++prefixes[{r.block_hashes.begin(), r.block_hashes.begin() + 6}];
        rest.insert(r.block_hashes.begin() + 6, r.block_hashes.end());
    }
    CHECK(prefixes.size() == 4);
    for (const auto& [p, n] : prefixes) CHECK(n > 30);  // ~100 each, uniform pick
    for (std::uint64_t h : rest) CHECK(rest.count(h) == 1);

    o.prefix.pick = "zipf";
    o.prefix.zipf_skew = 2.0;
    std::map<std::uint64_t, int> by_first;
    for (const Request& r : generate(o, 5).requests) ++by_first[r.block_hashes[0]];
    std::vector<int> counts;
    for (const auto& [h, n] : by_first) counts.push_back(n);
    std::sort(counts.rbegin(), counts.rend());
    CHECK(counts[0] > 2 * counts[1]);  // weights 1, 1/4, 1/9, 1/16
}

TEST_CASE("sessions: each later turn repeats the previous turn's prompt and output hashes", "[workload]") {
    GeneratorOptions o;
    o.arrival.rate = 2;
    o.duration_s = 100;
    o.session.turns = {.kind = "uniform", .min = 2, .max = 5};
    o.session.think_time_mean_s = 5;
    o.input = {.kind = "uniform", .min = 10, .max = 100};
    o.output = {.kind = "uniform", .min = 5, .max = 50};
    o.prefix.num_groups = 2;
    o.prefix.prefix_tokens = 64;
    const Workload w = generate(o, 9);
    std::map<std::int64_t, std::vector<const Request*>> sessions;
    for (const Request& r : w.requests) {
        REQUIRE(r.session_id >= 0);
        sessions[r.session_id].push_back(&r);
    }
    std::size_t multi = 0;
    for (const auto& [id, turns] : sessions) {
        for (std::size_t k = 1; k < turns.size(); ++k) {
            const Request& prev = *turns[k - 1];
            const Request& cur = *turns[k];
            CHECK(cur.arrival_ns > prev.arrival_ns);
            CHECK(cur.input_tokens > prev.input_tokens + prev.output_tokens);
            const std::size_t carried =
                static_cast<std::size_t>((prev.input_tokens + prev.output_tokens) / 16);
            REQUIRE(prev.block_hashes.size() == carried);
            REQUIRE(cur.block_hashes.size() >= carried);
            CHECK(std::equal(prev.block_hashes.begin(), prev.block_hashes.end(), cur.block_hashes.begin()));
            ++multi;
        }
    }
    CHECK(multi > 50);
    CHECK(sessions.size() > 100);
}

TEST_CASE("the same seed gives the same workload, another seed a different one", "[workload]") {
    GeneratorOptions o;
    o.arrival = {.process = "gamma", .rate = 10, .cv = 3};
    o.duration_s = 30;
    o.input = {.kind = "lognormal", .mean = 800, .cv = 1.5};
    o.output = {.kind = "table", .table = {{10, 0.5}, {100, 0.3}, {1000, 0.2}}};
    o.prefix.num_groups = 3;
    o.prefix.prefix_tokens = 48;
    const Workload a = generate(o, 42), b = generate(o, 42), c = generate(o, 43);
    CHECK(same(a, b));
    CHECK_FALSE(same(a, c));
    std::set<std::int32_t> outs;
    for (const Request& r : a.requests) outs.insert(r.output_tokens);
    CHECK(outs == std::set<std::int32_t>{10, 100, 1000});
}

TEST_CASE("length distributions: fixed, uniform bounds, lognormal mean and clamp, empirical from a trace",
          "[workload]") {
    dynosim::sim::core::Rng rng(1);
    const LengthSampler u({.kind = "uniform", .min = 3, .max = 5});
    std::set<std::int32_t> seen;
    for (int i = 0; i < 200; ++i) seen.insert(u.sample(rng));
    CHECK(seen == std::set<std::int32_t>{3, 4, 5});

    const LengthSampler ln({.kind = "lognormal", .max = 1'000'000, .mean = 1000, .cv = 0.5});
    double sum = 0;
    for (int i = 0; i < 20000; ++i) sum += ln.sample(rng);
    CHECK(sum / 20000 == Approx(1000).epsilon(0.02));
    const LengthSampler clamped({.kind = "lognormal", .min = 900, .max = 1100, .mean = 1000, .sigma = 2.0});
    for (int i = 0; i < 1000; ++i) {
        const auto x = clamped.sample(rng);
        REQUIRE(x >= 900);
        REQUIRE(x <= 1100);
    }

    const auto dir = dynosim::test::temp_dir("wl-empirical");
    dynosim::test::write_file(dir / "t.csv",
                              "arrived_at,num_prefill_tokens,num_decode_tokens\n0,11,1\n1,22,2\n2,33,3\n");
    GeneratorOptions o;
    o.duration_s = 50;
    o.arrival.rate = 4;
    o.input = {.kind = "empirical", .path = (dir / "t.csv").string()};
    o.output = o.input;
    for (const Request& r : generate(o, 1).requests)
        CHECK(r.input_tokens == 11 * r.output_tokens);  // pairs kept
}

TEST_CASE("num_requests stops generation at the earliest N", "[workload]") {
    GeneratorOptions o;
    o.arrival.rate = 100;
    o.duration_s = -1;
    o.num_requests = 250;
    const Workload w = generate(o, 2);
    CHECK(w.requests.size() == 250);
    CHECK(w.requests.back().id == 249);
}

TEST_CASE("generator options are validated with the field, the value and the rule", "[workload]") {
    GeneratorOptions o;
    o.arrival.process = "lomax";
    o.arrival.rate = -2;
    o.input.kind = "normal";
    o.prefix.num_groups = 2;
    o.hash_block_tokens = 0;
    o.num_requests = 0;
    const auto errs = o.validate();
    auto has = [&](const std::string& m) { return std::find(errs.begin(), errs.end(), m) != errs.end(); };
    CHECK(has("workload.arrival.process = \"lomax\": must be one of poisson, gamma, weibull"));
    CHECK(has("workload.arrival.rate = -2: must be > 0 req/s"));
    CHECK(
        has("workload.input.kind = \"normal\": must be one of fixed, uniform, lognormal, empirical, table"));
    CHECK(has("workload.prefix.prefix_tokens = 0: must be >= 1 when num_groups > 0"));
    CHECK(has("workload.hash_block_tokens = 0: must be >= 1"));
    CHECK(has("workload.num_requests = 0: must be >= 1, or -1 for no limit"));
    CHECK_THROWS_AS(generate(o, 1), InputError);
    CHECK(GeneratorOptions{}.validate().empty());
}
