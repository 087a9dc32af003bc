// Study files: parse-time reports (unknown optimizer, inline [scenario] errors at the study file's lines),
// the `gpus` constraint name for disaggregated deployments, the compare table's columns, and the example
// studies of examples/studies/ loading cleanly.
#include <catch2/catch.hpp>

#include "framework/compare.hpp"
#include "framework/study.hpp"
#include "test_support.hpp"

using namespace dynosim::framework;
namespace sc = dynosim::sim::scenario;

namespace {
std::string problems_of(const std::string& text, const std::string& source = "s.toml") {
    try {
        (void)parse_study(text, source, ".");
    } catch (const sc::ConfigError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        return all;
    }
    return "";
}

const std::string kDims = R"([[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 2
[[objective]]
metric = "ttft.p90"
)";
}  // namespace

TEST_CASE("an unknown optimizer is reported at parse time with its file and line", "[framework]") {
    const std::string text = "[study]\nbudget = 3\n[optimizer]\nname = \"nsga\"\n[optimizer.options]\npopulation = 4\n" + kDims;
    const std::string all = problems_of(text);
    CHECK_THAT(all, Catch::Contains("s.toml:4: optimizer.name = \"nsga\": unknown optimizer; did you mean 'nsga2'?"));
    CHECK_THAT(all, Catch::Contains("known: "));
    // Reported together with the file's other problems.
    const std::string two = problems_of("[study]\nbudget = 0\n[optimizer]\nname = \"nsga\"\n" + kDims);
    CHECK_THAT(two, Catch::Contains("study.budget = 0"));
    CHECK_THAT(two, Catch::Contains("s.toml:4: optimizer.name"));
    CHECK(problems_of("[study]\nbudget = 3\n[optimizer]\nname = \"random\"\n" + kDims).empty());
}

TEST_CASE("errors inside an inline scenario table carry the study file's line numbers", "[framework]") {
    const std::string text = "[study]\nbudget = 3\n\n[scenario.fleet]\nworkers = 2\n[scenario.engine]\nblock_size = 17\n" + kDims;
    CHECK_THAT(problems_of(text, "inline.toml"), Catch::Contains("inline.toml:7"));
    // The mirrored text parses to the inline table itself, keys directly under [scenario] included.
    const std::string direct = "[study]\nbudget = 3\n[scenario]\n[scenario.model]\nname = \"Llama-3.1-8B\"\n"
                               "[[dimension]]\nkey = \"fleet.workers\"\ntype = \"int\"\nmin = 1\nmax = 2\n";
    const auto mirrored = inline_scenario_text(direct);
    REQUIRE(mirrored);
    CHECK(*mirrored == "\n\n\n[model]\nname = \"Llama-3.1-8B\"\n\n\n\n\n\n");
    CHECK_FALSE(inline_scenario_text("[study]\nbudget = 3\n"));
    // A valid inline scenario still loads, with the overrides of the points.
    CHECK(problems_of("[study]\nbudget = 3\n[scenario.fleet]\nworkers = 2\n" + kDims).empty());
}

TEST_CASE("the gpus constraint name counts both pools of a disaggregated deployment", "[framework]") {
    const std::string text = R"([study]
budget = 4
set = ["disagg.enabled=true", "hardware.tp=2", "disagg.decode.tp=0"]
[[dimension]]
key = "disagg.prefill.workers"
type = "int"
min = 1
max = 3
[[dimension]]
key = "disagg.prefill.tp"
type = "categorical"
values = [1, 4]
[[dimension]]
key = "disagg.decode.workers"
type = "int"
min = 1
max = 2
[[constraint]]
expr = "gpus <= 8"
[[objective]]
metric = "ttft.p90"
)";
    const Study study(parse_study(text, "pd.toml", "."));
    auto gpus = [&](double pw, double ptp_index, double dw) {
        return std::get<double>(study.resolve({pw, ptp_index, dw}, "gpus"));
    };
    // prefill workers x prefill TP + decode workers x decode TP (0 = hardware.tp = 2).
    CHECK(gpus(1, 0, 1) == 3);
    CHECK(gpus(3, 1, 2) == 16);
    CHECK(gpus(2, 1, 1) == 10);
    CHECK(study.known_violation({1, 0, 1}) == 0);
    CHECK(study.known_violation({2, 1, 1}) > 0);
    // Aggregated: workers x TP, as before.
    const Study agg(parse_study("[study]\nbudget = 2\nset = [\"hardware.tp=4\"]\n" + kDims, "a.toml", "."));
    CHECK(std::get<double>(agg.resolve({2}, "gpus")) == 8);
}

TEST_CASE("the compare table pads every column to its widest cell", "[framework]") {
    const std::string t = align_table({{"optimizer", "N=1", "share"},
                                       {"random", "1.234e+05 [1.234e+05, 1.234e+05]", "99.0%"},
                                       {"coord_descent_long", "1 [1, 1]", "100.0%"}});
    std::vector<std::string> lines;
    for (std::size_t at = 0, nl; (nl = t.find('\n', at)) != std::string::npos; at = nl + 1) lines.push_back(t.substr(at, nl - at));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].size() == lines[1].size());
    CHECK(lines[1].size() == lines[2].size());
    CHECK(lines[0].rfind("optimizer ", 0) == 0);
    CHECK(lines[2].rfind("coord_descent_long  ", 0) == 0);
    CHECK(lines[0].substr(lines[0].size() - 6) == " share");
}

TEST_CASE("every example study loads", "[framework]") {
    for (const char* name : {"aggregated-vllm-gpu-budget", "router-engine-knobs", "tp-when-multi-gpu", "disagg-pd-split",
                             "router-kv-knobs", "kv-tier-knobs", "planner-settings"}) {
        INFO(name);
        const auto path = dynosim::test::source_dir() / "examples" / "studies" / (std::string(name) + ".toml");
        CHECK_NOTHROW(Study(load_study(path)));
    }
}
