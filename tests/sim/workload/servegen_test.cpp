#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "sim/core/errors.hpp"
#include "sim/workload/servegen.hpp"
#include "sim/workload/trace_stats.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::workload;
using dynosim::sim::core::InputError;

namespace {
std::filesystem::path servegen_dir() {
    return dynosim::test::data_dir() / "traces" / "servegen_deepseek_r1";
}
}  // namespace

TEST_CASE("ServeGen window CSV rows are read as published", "[workload]") {
    const auto wins = load_servegen_windows(servegen_dir() / "chunk-0-trace.csv");
    REQUIRE(wins.size() == 144);
    CHECK(wins[0].rate == 0);
    CHECK(wins[0].pattern.empty());
    CHECK(wins[4].start_s == 2400);
    CHECK(wins[4].rate == Approx(0.085));
    CHECK(wins[4].cv == Approx(6.69324386291654));
    CHECK(wins[4].pattern == "Gamma");
    CHECK(wins[15].pattern == "Weibull");
    CHECK(wins[15].param1 == Approx(1.1167491378227001));
}

TEST_CASE("ServeGen generation of one 10-minute window mixes several clients at their summed rate",
          "[workload]") {
    ServeGenOptions o;
    o.start_s = 43200;  // noon
    o.duration_s = 600;
    o.top_clients = 12;
    const auto ids = servegen_selected_clients(servegen_dir(), o);
    REQUIRE(ids.size() == 12);
    double expected = 0;
    for (std::int32_t k : ids) {
        const auto wins =
            load_servegen_windows(servegen_dir() / ("chunk-" + std::to_string(k) + "-trace.csv"));
        expected += wins[72].rate * 600;  // window 72 = 43200 s
    }
    REQUIRE(expected > 1000);
    const Workload w = generate_servegen(servegen_dir(), o, 1);
    CHECK(static_cast<double>(w.requests.size()) == Approx(expected).epsilon(0.15));
    std::map<std::int32_t, int> per_client;
    for (const Request& r : w.requests) {
        ++per_client[r.client_id];
        CHECK(r.arrival_ns >= 0);
        CHECK(r.arrival_ns < 600'000'000'000);
        CHECK(r.input_tokens >= 1);
        CHECK(r.output_tokens >= 1);
        CHECK(r.block_hashes.empty());
    }
    CHECK(per_client.size() >= 5);
    for (const auto& [k, n] : per_client) CHECK(std::find(ids.begin(), ids.end(), k) != ids.end());
    CHECK(compute_trace_stats(w).num_clients == per_client.size());
    // Reasoning model: outputs are long on average.
    CHECK(compute_trace_stats(w).output.mean > 300);
}

TEST_CASE("ServeGen rate_scale multiplies the traffic and the seed fixes it", "[workload]") {
    ServeGenOptions o;
    o.start_s = 36000;
    o.duration_s = 600;
    o.clients = {35, 48};
    const Workload a = generate_servegen(servegen_dir(), o, 4);
    const Workload b = generate_servegen(servegen_dir(), o, 4);
    REQUIRE(a.requests.size() == b.requests.size());
    for (std::size_t i = 0; i < a.requests.size(); ++i) {
        CHECK(a.requests[i].arrival_ns == b.requests[i].arrival_ns);
        CHECK(a.requests[i].input_tokens == b.requests[i].input_tokens);
    }
    o.rate_scale = 2;
    const Workload c = generate_servegen(servegen_dir(), o, 4);
    CHECK(static_cast<double>(c.requests.size()) / static_cast<double>(a.requests.size()) ==
          Approx(2).epsilon(0.2));
    std::set<std::int32_t> seen;
    for (const Request& r : c.requests) seen.insert(r.client_id);
    CHECK(seen == std::set<std::int32_t>{35, 48});
}

TEST_CASE("ServeGen errors name the missing directory, client or bad field", "[workload]") {
    ServeGenOptions o;
    CHECK_THROWS_WITH(generate_servegen("/nonexistent/servegen", o, 1),
                      Catch::Contains("/nonexistent/servegen"));
    o.clients = {999};
    CHECK_THROWS_WITH(generate_servegen(servegen_dir(), o, 1), Catch::Contains("client 999 not found"));
    const auto dir = dynosim::test::temp_dir("wl-servegen-bad");
    dynosim::test::write_file(dir / "chunk-0-trace.csv", "0,1.5,1,Gamma,1,1\n600,x,1,Gamma,1,1\n");
    CHECK_THROWS_WITH(load_servegen_windows(dir / "chunk-0-trace.csv"),
                      (dir / "chunk-0-trace.csv").string() + ":2: field 'rate': expected a number, got 'x'");
    dynosim::test::write_file(dir / "chunk-0-trace.csv", "0,1.5,1,Pareto,1,1\n");
    CHECK_THROWS_WITH(load_servegen_windows(dir / "chunk-0-trace.csv"),
                      Catch::Contains("field 'pattern': unknown pattern 'Pareto'"));
    dynosim::test::write_file(dir / "chunk-0-trace.csv", "0,1.5,1,Gamma,1,1\n");
    dynosim::test::write_file(dir / "chunk-0-dataset.json",
                              R"({"0": {"input_tokens": "{5: 0.5, 7: x}", "output_tokens": "{}"}})");
    CHECK_THROWS_WITH(generate_servegen(dir, {}, 1),
                      (dir / "chunk-0-dataset.json").string() +
                          ": window '0' field 'input_tokens': probability 'x' of 7 is not a number >= 0");
    dynosim::test::write_file(dir / "chunk-0-dataset.json",
                              R"({"0": {"input_tokens": "{5: 0.5, 7: 0.5}", "output_tokens": "{9: 1.0}"}})");
    const Workload w = generate_servegen(dir, {.duration_s = 100}, 1);
    CHECK(static_cast<double>(w.requests.size()) == Approx(150).epsilon(0.3));
    for (const Request& r : w.requests) {
        CHECK((r.input_tokens == 5 || r.input_tokens == 7));
        CHECK(r.output_tokens == 9);
        CHECK(r.client_id == 0);
    }
    ServeGenOptions bad{.start_s = 90000, .duration_s = 0, .top_clients = -1, .rate_scale = 0};
    CHECK(bad.validate().size() == 4);
}
