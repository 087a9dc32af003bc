// Replicates over traces (study.traces), the column labels of `dynosim study show`, and hypervolume beyond
// three objectives.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "framework/compare.hpp"
#include "framework/evaluator.hpp"
#include "framework/pareto.hpp"
#include "framework/study.hpp"
#include "test_support.hpp"

using namespace dynosim::framework;
namespace sc = dynosim::sim::scenario;

namespace {
// A Mooncake-format trace of `n` requests, `gap_ms` apart, prompts of `isl` tokens.
std::filesystem::path write_trace(const std::filesystem::path& dir, const std::string& name, int n, int gap_ms,
                                  int isl) {
    std::string text;
    for (int i = 0; i < n; ++i) {
        std::string ids;
        for (int b = 0; b < (isl + 511) / 512; ++b) ids += fmt::format("{}{}", b ? ", " : "", i * 100 + b);
        text += fmt::format("{{\"timestamp\": {}, \"input_length\": {}, \"output_length\": {}, \"hash_ids\": [{}]}}\n",
                            i * gap_ms, isl, 40 + i % 7, ids);
    }
    dynosim::test::write_file(dir / name, text);
    return dir / name;
}

EvaluatorOptions base(std::vector<std::string> traces, std::int64_t replicates) {
    EvaluatorOptions o;
    o.scenario_text = "fleet.workers = 1\n";
    o.scenario_source = "<test>";
    o.traces = std::move(traces);
    o.replicates = replicates;
    return o;
}
}  // namespace

TEST_CASE("a trial replicated over traces reports the mean over every trace and seed", "[framework][study]") {
    const auto dir = dynosim::test::temp_dir("study-traces-mean");
    const auto a = write_trace(dir, "a.jsonl", 30, 50, 1500).string();
    const auto b = write_trace(dir, "b.jsonl", 30, 20, 3000).string();
    const EvalResult ra = evaluate_trial(base({a}, 2), {0, {}});
    const EvalResult rb = evaluate_trial(base({b}, 2), {0, {}});
    const EvalResult both = evaluate_trial(base({a, b}, 2), {0, {}});
    REQUIRE(ra.ok);
    REQUIRE(rb.ok);
    REQUIRE(both.ok);
    CHECK(ra.metrics.at("ttft.p90") != rb.metrics.at("ttft.p90"));  // the traces differ
    for (const char* m : {"ttft.p90", "itl.p90", "finished", "tokens_per_s_per_gpu"})
        CHECK(both.metrics.at(m) == Approx((ra.metrics.at(m) + rb.metrics.at(m)) / 2).epsilon(1e-12));
    CHECK(both.metrics.at("finished") == 30);
}

TEST_CASE("study.traces runs every trial on each trace and names a missing one", "[framework][study]") {
    const auto dir = dynosim::test::temp_dir("study-traces");
    const auto a = write_trace(dir, "a.jsonl", 30, 50, 1500);
    const auto b = write_trace(dir, "b.jsonl", 30, 20, 3000);
    const std::string dims = R"(
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 2
[[objective]]
metric = "ttft.p90"
)";
    const Study study(parse_study("[study]\nbudget = 2\nparallelism = 1\ntraces = [\"a.jsonl\", \"b.jsonl\"]\n" + dims,
                                  (a.parent_path() / "s.toml").string(), a.parent_path()));
    REQUIRE(study.spec().traces.size() == 2);
    StudyStorage db(":memory:");
    run_study(study, db);
    for (const auto& t : db.trials()) {
        std::vector<std::string> ov;
        for (const auto& [k, v] : t.params) ov.push_back(k + "=" + v);
        const double mean = (evaluate_trial(base({a.string()}, 1), {0, ov}).metrics.at("ttft.p90") +
                             evaluate_trial(base({b.string()}, 1), {0, ov}).metrics.at("ttft.p90")) / 2;
        CHECK(t.metrics.at("ttft.p90") == Approx(mean).epsilon(1e-12));
    }
    try {
        (void)parse_study("[study]\nbudget = 2\ntraces = [\"a.jsonl\", \"missing.jsonl\"]\n" + dims, "s.toml", a.parent_path());
        FAIL("no error");
    } catch (const sc::ConfigError& e) {
        CHECK_THAT(e.what(), Catch::Contains("s.toml:3: study.traces[1] = \"missing.jsonl\": no such file"));
    }
}

TEST_CASE("study show labels each dimension by its shortest unambiguous key suffix", "[framework]") {
    CHECK(key_labels({"disagg.prefill.tp", "disagg.decode.tp", "hardware.tp", "fleet.workers"}) ==
          std::vector<std::string>{"prefill.tp", "decode.tp", "hardware.tp", "workers"});
    CHECK(key_labels({"disagg.prefill.workers", "fleet.workers"}) ==
          std::vector<std::string>{"prefill.workers", "fleet.workers"});
    CHECK(key_labels({"engine.max_num_seqs"}) == std::vector<std::string>{"max_num_seqs"});
}

TEST_CASE("hypervolume beyond three objectives counts overlapping boxes once", "[framework][pareto]") {
    // 4-D through pagmo2: boxes [0,2]^3x[1,2] and [1,2]x[0,2]^3 (8 each) overlap in [1,2]x[0,2]^2x[1,2] (4).
    CHECK(hypervolume({{0, 0, 0, 1}, {1, 0, 0, 0}}, {2, 2, 2, 2}) == Approx(12));
    // 5-D: a point and one it dominates add only the first box.
    CHECK(hypervolume({{1, 1, 1, 1, 1}, {1.5, 1.5, 1.5, 1.5, 1.5}}, {2, 2, 2, 2, 2}) == Approx(1));
}
