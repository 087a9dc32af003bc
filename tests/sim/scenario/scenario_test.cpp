#include <catch2/catch.hpp>

#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

using namespace dynosim::sim;
using Catch::Matchers::Contains;

namespace {

// A small generated scenario on one H100 worker; `extra` is appended TOML.
std::string generated(const std::string& extra) {
    return R"(
[model]
name = "Llama-3.1-8B"
[hardware]
gpu = "H100-SXM"
[workload]
kind = "generator"
[workload.generator]
duration_s = 30
[workload.generator.input]
kind = "fixed"
value = 1024
[workload.generator.output]
kind = "fixed"
value = 64
)" + extra;
}

scenario::Result run_text(const std::string& text, const std::vector<std::string>& sets = {}) {
    return scenario::run_scenario(scenario::load_scenario_text(text, "test.toml", sets));
}

}  // namespace

TEST_CASE("an unknown config key fails with its name, its line and a did-you-mean", "[scenario][config]") {
    const std::string text = "[engine]\nblock_size = 16\nmax_num_seq = 64\n";
    try {
        scenario::load_scenario_text(text, "bad.toml", {});
        FAIL("no error");
    } catch (const scenario::ConfigError& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK_THAT(e.problems()[0], Contains("bad.toml:3"));
        CHECK_THAT(e.problems()[0], Contains("unknown key 'engine.max_num_seq'"));
        CHECK_THAT(e.problems()[0], Contains("did you mean 'engine.max_num_seqs'"));
    }
}

TEST_CASE("a value of the wrong type names the key, its line and the expected type", "[scenario][config]") {
    try {
        scenario::load_scenario_text("[fleet]\n\nworkers = \"many\"\n", "bad.toml", {});
        FAIL("no error");
    } catch (const scenario::ConfigError& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK_THAT(e.problems()[0], Contains("bad.toml:3: fleet.workers: expected an integer, got a string"));
    }
}

TEST_CASE("an out-of-range value names file, line, key, value and rule", "[scenario][config]") {
    try {
        scenario::load_scenario_text("[engine]\ngpu_memory_utilization = 1.5\n", "bad.toml", {});
        FAIL("no error");
    } catch (const scenario::ConfigError& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK_THAT(e.problems()[0], Contains("bad.toml:2: engine.gpu_memory_utilization = 1.5: must be in (0, 1]"));
    }
}

TEST_CASE("a --set override beats the file value and unknown --set keys are errors", "[scenario][config]") {
    const auto o = scenario::load_scenario_text("[fleet]\nworkers = 2\n", "a.toml", {"fleet.workers=5", "router.policy=random"});
    CHECK(o.fleet.workers == 5);
    CHECK(o.router.policy == "random");
    CHECK_THROWS_WITH(scenario::load_scenario_text("", "a.toml", {"fleet.worker=5"}),
                      Contains("unknown key 'fleet.worker'"));
}

TEST_CASE("the defaults are a valid runnable scenario", "[scenario][config]") {
    const auto o = scenario::load_scenario({}, {});
    CHECK(o.validate().empty());
}

TEST_CASE("docs/config.md lists every key with its current default", "[scenario][config][docs]") {
    const std::string doc = dynosim::test::read_file(dynosim::test::source_dir() / "docs" / "config.md");
    CHECK(doc == scenario::describe_config(true));  // regenerate: dynosim config defaults --markdown
}

TEST_CASE("TTFT grows with the arrival rate", "[scenario][engine]") {
    double last_ttft = 0;
    for (double rate : {2.0, 10.0, 20.0}) {
        const auto r = run_text(generated("[workload.generator.arrival]\nrate = " + std::to_string(rate) + "\n"));
        CHECK(r.summary.conserved);
        CHECK(r.summary.finished == r.summary.submitted);
        CHECK(r.summary.ttft.mean > last_ttft);
        last_ttft = r.summary.ttft.mean;
    }
}

TEST_CASE("TPOT grows with the decode batch size", "[scenario][engine]") {
    double last_tpot = 0;
    for (int batch : {1, 16, 128}) {
        // `batch` requests all arriving at once decode together.
        const auto r = run_text(generated(""), {"workload.generator.num_requests=" + std::to_string(batch),
                                                "workload.generator.arrival.rate=1000000"});
        CHECK(r.summary.finished == static_cast<std::uint64_t>(batch));
        CHECK(r.summary.tpot.mean > last_tpot);
        last_tpot = r.summary.tpot.mean;
    }
}

TEST_CASE("a time limit reports in-flight requests as unfinished and still conserves them", "[scenario]") {
    const auto r = run_text(generated("[sim]\nmax_time_s = 10\n[workload.generator.arrival]\nrate = 50\n"));
    CHECK(r.summary.unfinished > 0);
    CHECK(r.summary.conserved);
    CHECK(r.summary.arrived < r.summary.submitted);
}

TEST_CASE("fewer workers on a real trace raise queueing and TTFT", "[scenario][fleet]") {
    const std::string base = R"(
[workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"
[workload.transform]
window_end_s = 120
[router]
policy = "least_loaded"
)";
    const auto four = run_text(base, {"fleet.workers=4"});
    const auto one = run_text(base, {"fleet.workers=1"});
    CHECK(four.summary.conserved);
    CHECK(one.summary.conserved);
    CHECK(four.summary.finished == four.summary.arrived);
    CHECK(one.summary.ttft.p90 > four.summary.ttft.p90);
    // Mooncake prompts share system prompts and conversation histories; spreading a session's turns over
    // more workers (a load-only router) finds fewer of them cached.
    CHECK(four.summary.prefix_hit_rate > 0.01);
    CHECK(one.summary.prefix_hit_rate > four.summary.prefix_hit_rate);
}

TEST_CASE("every built-in router serves every request of a small workload", "[scenario][fleet]") {
    for (const auto& e : fleet::builtin_routers().entries()) {
        DYNAMIC_SECTION("router " << e.name) {
            const auto r = run_text(generated(""), {"fleet.workers=3", "router.policy=" + std::string(e.name)});
            CHECK(r.summary.finished == r.summary.submitted);
        }
    }
}
