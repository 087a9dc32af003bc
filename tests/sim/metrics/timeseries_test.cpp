// The run's time series (metrics.timeseries_interval_s): sampling leaves the simulation unchanged, rows
// come every interval, and the columns agree with the run's own counts.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "sim/scenario/scenario.hpp"

namespace sc = dynosim::sim::scenario;

namespace {
const std::vector<std::string> kGen = {
    "workload.kind=generator", "workload.generator.num_requests=120", "workload.generator.duration_s=20",
    "workload.generator.arrival.rate=6", "workload.generator.input.value=1024", "workload.generator.output.value=64",
    "fleet.workers=2"};

std::vector<std::vector<double>> rows(const std::string& csv, std::string* header) {
    std::istringstream in(csv);
    std::string line;
    std::getline(in, *header);
    std::vector<std::vector<double>> out;
    while (std::getline(in, line)) {
        std::vector<double> r;
        std::istringstream cells(line);
        std::string c;
        while (std::getline(cells, c, ',')) r.push_back(std::stod(c));
        out.push_back(r);
    }
    return out;
}
}  // namespace

TEST_CASE("the time series samples every interval without changing the run", "[metrics][timeseries]") {
    for (const char* disagg : {"false", "true"}) {
        INFO("disagg " << disagg);
        auto base = kGen;
        base.push_back(std::string("disagg.enabled=") + disagg);
        const auto plain = sc::run_scenario(sc::load_scenario("", base));
        CHECK(plain.timeseries == nullptr);
        auto with = base;
        with.push_back("metrics.timeseries_interval_s=2");
        const auto sampled = sc::run_scenario(sc::load_scenario("", with));
        REQUIRE(sampled.timeseries != nullptr);
        CHECK(dynosim::sim::metrics::summary_json(sampled.summary) == dynosim::sim::metrics::summary_json(plain.summary));
        CHECK(dynosim::sim::metrics::requests_csv(*sampled.recorder) == dynosim::sim::metrics::requests_csv(*plain.recorder));
        std::string header;
        const auto r = rows(sampled.timeseries->csv(), &header);
        CHECK(header.starts_with("t_s,arrival_rate_rps,queue_depth,running,kv_used_frac,replicas"));
        // One row per 2 s until the run ended (the last one at or after the end).
        REQUIRE(!r.empty());
        CHECK(r.size() == static_cast<std::size_t>(std::ceil(plain.stats.simulated_seconds / 2)));
        double arrivals = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
            CHECK(r[i][0] == Approx(2.0 * static_cast<double>(i + 1)));
            arrivals += r[i][1] * 2;
            CHECK(r[i][4] >= 0);
            CHECK(r[i][4] <= 1);
            CHECK(r[i][5] == plain.summary.num_workers);
        }
        CHECK(arrivals == Approx(static_cast<double>(plain.summary.arrived)));
        CHECK(plain.summary.arrived > 100);
        // Requests were in the engines at some point; none at the end.
        double busiest = 0;
        for (const auto& row : r) busiest = std::max(busiest, row[3]);
        CHECK(busiest > 0);
        CHECK(r.back()[2] + r.back()[3] == 0);
    }
}

TEST_CASE("a negative time series interval is refused naming the key", "[metrics][timeseries]") {
    try {
        (void)sc::load_scenario("", {"metrics.timeseries_interval_s=-1"});
        FAIL("accepted");
    } catch (const sc::ConfigError& e) {
        CHECK(e.problems().at(0).find("metrics.timeseries_interval_s") != std::string::npos);
        CHECK(e.problems().at(0).find("must be >= 0") != std::string::npos);
    }
}
