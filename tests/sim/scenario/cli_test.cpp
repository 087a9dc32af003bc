#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace dynosim::test;
using Catch::Matchers::Contains;

TEST_CASE("the same config and seed give byte-identical outputs; another seed differs", "[cli][determinism]") {
    const auto dir = temp_dir("determinism");
    const std::string cfg = (source_dir() / "examples" / "quickstart.toml").string();
    const std::string gen = " --set workload.kind=generator --set workload.generator.duration_s=20"
                            " --set workload.generator.arrival.rate=8 --set workload.generator.arrival.process=gamma"
                            " --set workload.generator.arrival.cv=3 --set router.policy=random --quiet";
    REQUIRE(run_cli("run " + cfg + gen + " --seed 7 --out " + (dir / "a").string()).exit_code == 0);
    REQUIRE(run_cli("run " + cfg + gen + " --seed 7 --out " + (dir / "b").string()).exit_code == 0);
    REQUIRE(run_cli("run " + cfg + gen + " --seed 8 --out " + (dir / "c").string()).exit_code == 0);
    for (const char* f : {"summary.json", "requests.csv", "config.toml"}) {
        const std::string a = read_file(dir / "a" / f);
        CHECK_FALSE(a.empty());
        CHECK(a == read_file(dir / "b" / f));
    }
    CHECK(read_file(dir / "a" / "requests.csv") != read_file(dir / "c" / "requests.csv"));
}

TEST_CASE("dynosim run with an unknown key exits non-zero naming the key and line", "[cli]") {
    const auto dir = temp_dir("cli-bad-key");
    write_file(dir / "bad.toml", "[fleet]\nworkers = 2\n[router]\npolicyy = \"random\"\n");
    const auto r = run_cli("run " + (dir / "bad.toml").string());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Contains("bad.toml:4"));
    CHECK_THAT(r.output, Contains("router.policyy"));
    CHECK_THAT(r.output, Contains("did you mean 'router.policy'"));
}

TEST_CASE("dynosim config defaults prints every section", "[cli]") {
    const auto r = run_cli("config defaults");
    CHECK(r.exit_code == 0);
    for (const char* k : {"engine.max_num_batched_tokens", "fleet.workers", "workload.kind", "sla.ttft_ms", "sim.seed"})
        CHECK_THAT(r.output, Contains(k));
}

TEST_CASE("dynosim trace stats summarizes a real trace", "[cli][workload]") {
    const auto r = run_cli("trace stats " + (data_dir() / "traces" / "azure_llm_2023" / "AzureLLMInferenceTrace_code.csv").string());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Contains("requests        8819"));
}

TEST_CASE("a malformed trace line stops dynosim run naming file, line and field unless skipped", "[cli][workload]") {
    const auto dir = temp_dir("cli-bad-trace");
    write_file(dir / "t.jsonl",
               "{\"timestamp\": 0, \"input_length\": 100, \"output_length\": 5, \"hash_ids\": [1]}\n"
               "{\"timestamp\": 10, \"input_length\": \"lots\", \"output_length\": 5}\n"
               "{\"timestamp\": 20, \"input_length\": 50, \"output_length\": 5}\n");
    write_file(dir / "s.toml", "[workload]\nkind = \"trace\"\npath = \"t.jsonl\"\n");
    const auto bad = run_cli("run " + (dir / "s.toml").string());
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.output, Contains("t.jsonl:2"));
    CHECK_THAT(bad.output, Contains("input_length"));
    const auto skipped = run_cli("run " + (dir / "s.toml").string() + " --skip-bad-lines");
    CHECK(skipped.exit_code == 0);
    CHECK_THAT(skipped.output, Contains("finished 2"));
    CHECK_THAT(skipped.output, Contains("skipped 1 malformed"));
}
