// `dynosim watch`: ticks follow trace time over a folder of recorded traces; a drifting trace (short prompts,
// then long prompts with shared prefixes) moves the recommended deployment; bad and partial files are
// skipped with a warning; recommendations come with launch settings.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "framework/deployment.hpp"
#include "framework/study.hpp"
#include "framework/watch.hpp"
#include "framework/warm_start.hpp"
#include "optimizers/registry.hpp"
#include "test_support.hpp"

using namespace dynosim;
using dynosim::test::read_file;
using dynosim::test::write_file;

namespace {

// `seconds` of traffic at `rps` (evenly spaced), prompts of `input` tokens; with `groups` > 0 each prompt
// starts with one of `groups` shared prefixes of `shared_blocks` 512-token blocks, the rest unique.
std::string trace(double seconds, double rps, int input, int groups, int shared_blocks, std::uint64_t salt) {
    std::string out;
    const int n = static_cast<int>(seconds * rps), blocks = (input + 511) / 512;
    for (int i = 0; i < n; ++i) {
        out += fmt::format("{{\"timestamp\": {:.1f}, \"input_length\": {}, \"output_length\": 32, \"hash_ids\": [",
                           1000.0 * i / rps, input);
        for (int b = 0; b < blocks; ++b) {
            const std::uint64_t h = groups > 0 && b < shared_blocks ? 1000 * static_cast<std::uint64_t>(i % groups) + b
                                                                    : salt + static_cast<std::uint64_t>(i) * 100 + b;
            out += fmt::format("{}{}", b ? ", " : "", h);
        }
        out += "]}\n";
    }
    return out;
}

const char* kStudy = R"([study]
name = "drift"
budget = 10
seed = 1
parallelism = 2
set = ["fleet.workers=2", "router.policy=\"round_robin\""]

[scenario.model]
name = "Llama-3.1-8B"
[scenario.hardware]
gpu = "H100-SXM"
[scenario.sla]
ttft_ms = 1000
tpot_ms = 100

[optimizer]
name = "grid"

[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 4

[[dimension]]
key = "router.policy"
type = "categorical"
values = ["round_robin", "kv"]

[[constraint]]
metric = "ttft.p90"
max = 1000

[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
)";

int workers(const framework::TickResult& t) { return std::stoi(t.deployment.at("fleet.workers")); }

}  // namespace

TEST_CASE("watch follows a drifting trace from short prompts to long shared-prefix prompts", "[framework][watch]") {
    const auto dir = test::temp_dir("watch");
    const auto traces = dir / "traces";
    std::filesystem::create_directories(traces);
    write_file(traces / "00-short.jsonl", trace(130, 6, 256, 0, 0, 1'000'000));
    // Long prompts (8 K tokens, half of it one of four shared prefixes, 9 requests/s), the file cut mid-line at the end as
    // a recorder still writing it would leave it.
    write_file(traces / "01-long.jsonl", trace(130, 9, 8192, 4, 8, 9'000'000) + "{\"timestamp\": 130000.0, \"inp");
    write_file(traces / "02-garbage.jsonl", "this is not a trace\n");
    write_file(dir / "study.toml", kStudy);

    framework::WatchOptions o;
    o.traces_dir = traces;
    o.study_file = dir / "study.toml";
    o.out_dir = dir / "out";
    o.window_s = 60;
    o.every_s = 60;
    const auto ticks = framework::run_watch(o);
    REQUIRE(ticks.size() == 4);  // t = 60, 120, 180, 240 s of the ~260 s the two files cover
    for (const auto& t : ticks) INFO(t.tick << " " << t.decision << " " << t.deployment.at("fleet.workers"));
    // Short prompts: one worker keeps the SLA, and per-GPU throughput doubles from the running two.
    CHECK(ticks[0].decision == "switch");
    CHECK(workers(ticks[0]) == 1);
    CHECK(ticks[0].best.value() > ticks[0].current.value() * 1.5);
    CHECK(ticks[1].decision == "keep");
    CHECK(workers(ticks[1]) == 1);
    // Long prompts (and 1.5x the rate): one worker breaks the TTFT SLA; the recommendation grows the fleet,
    // then holds.
    CHECK(!ticks[2].current.has_value());
    CHECK(ticks[2].decision == "switch");
    CHECK(workers(ticks[2]) >= 2);
    // At two workers round-robin already splits the four prefix groups two and two (i % 4 over i % 2), so
    // the KV router ties with it: the running router is kept rather than changed for nothing.
    CHECK(ticks[2].deployment.at("router.policy") == "\"round_robin\"");
    CHECK(ticks[3].decision == "keep");
    CHECK(workers(ticks[3]) == workers(ticks[2]));
    CHECK(ticks[3].requests == 540);

    // Warm start: each tick's study starts from the running deployment (trial 0), then the previous front.
    for (std::size_t k = 1; k < ticks.size(); ++k) {
        framework::StudyStorage db(dir / "out" / fmt::format("tick-{:04}", k + 1) / "study.sqlite");
        const auto trials = db.trials();
        REQUIRE(!trials.empty());
        CHECK(trials[0].params == ticks[k - 1].deployment);
    }

    // The log names every tick and decision and the skipped files; ticks.csv has one row per tick.
    const std::string log = read_file(dir / "out" / "watch.log");
    CHECK(log.find("02-garbage.jsonl: no request in it; skipped") != std::string::npos);
    CHECK(log.find("01-long.jsonl: skipped 1 malformed line(s)") != std::string::npos);
    CHECK(log.find("tick 4 at t=") != std::string::npos);
    const std::string csv = read_file(dir / "out" / "ticks.csv");
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);

    // Launch settings of the latest recommendation: a deployment YAML with the recommended replicas.
    const YAML::Node y = YAML::LoadFile((dir / "out" / "recommended" / "deployment.yaml").string());
    CHECK(y["kind"].as<std::string>() == "DynamoGraphDeployment");
    CHECK(y["spec"]["services"]["VllmWorker"]["replicas"].as<int>() == workers(ticks[3]));
    const std::string args = read_file(dir / "out" / "recommended" / "engine-args.sh");
    CHECK(args.find("vllm serve meta-llama/Llama-3.1-8B-Instruct --tensor-parallel-size 1") != std::string::npos);

    // Same traces, same decisions.
    o.out_dir = dir / "out2";
    const auto again = framework::run_watch(o);
    REQUIRE(again.size() == ticks.size());
    for (std::size_t i = 0; i < ticks.size(); ++i) {
        CHECK(again[i].decision == ticks[i].decision);
        CHECK(again[i].deployment == ticks[i].deployment);
    }
    CHECK(read_file(dir / "out2" / "ticks.csv") == csv);

    // --once: one tick on the most recent window; --ticks caps the count.
    o.out_dir = dir / "out3";
    o.once = true;
    const auto once = framework::run_watch(o);
    REQUIRE(once.size() == 1);
    CHECK(workers(once[0]) >= 2);
}

TEST_CASE("deployment files carry disaggregated pools router weights and planner targets", "[framework][watch]") {
    auto so = sim::scenario::load_scenario(
        "", {"disagg.enabled=true", "disagg.prefill.workers=2", "disagg.decode.workers=3", "disagg.decode.tp=2",
             "router.policy=\"kv\"", "router.overlap_score_weight=0.5", "router.temperature=0.2", "sla.ttft_ms=800",
             "sla.tpot_ms=40", "engine.max_num_seqs=128", "engine.enable_prefix_caching=false"});
    const auto d = framework::make_deployment(so);
    const YAML::Node y = YAML::Load(d.yaml);
    const auto svc = y["spec"]["services"];
    CHECK(svc["VllmPrefillWorker"]["replicas"].as<int>() == 2);
    CHECK(svc["VllmPrefillWorker"]["subComponentType"].as<std::string>() == "prefill");
    CHECK(svc["VllmDecodeWorker"]["replicas"].as<int>() == 3);
    CHECK(svc["VllmDecodeWorker"]["resources"]["limits"]["gpu"].as<std::string>() == "2");
    auto args = [&](const char* s) {
        std::string all;
        for (const auto& a : svc[s]["extraPodSpec"]["mainContainer"]["args"]) all += a.as<std::string>() + " ";
        return all;
    };
    CHECK(args("Frontend") == "--router-mode kv --kv-overlap-score-weight 0.5 --router-temperature 0.2 ");
    CHECK(args("VllmPrefillWorker").find("--is-prefill-worker") != std::string::npos);
    CHECK(args("VllmDecodeWorker").find("--tensor-parallel-size 2 ") != std::string::npos);
    CHECK(args("VllmDecodeWorker").find("--max-num-seqs 128 ") != std::string::npos);
    CHECK(args("VllmDecodeWorker").find("--no-enable-prefix-caching") != std::string::npos);
    CHECK(args("Planner").find("--ttft=800 --itl=40") != std::string::npos);
    CHECK(args("Planner").find("--max-gpu-budget=8") != std::string::npos);
    // SGLang: its own flag names.
    so = sim::scenario::load_scenario("", {"engine.backend=\"sglang\"", "hardware.tp=2", "router.policy=\"least_loaded\""});
    const auto s = framework::make_deployment(so);
    CHECK(s.engine_args.find("python3 -m sglang.launch_server --model-path meta-llama/Llama-3.1-8B-Instruct --tp-size 2") !=
          std::string::npos);
    REQUIRE(s.notes.size() == 1);
    CHECK(s.notes[0].find("least_loaded") != std::string::npos);
}

TEST_CASE("watch names a bad window a missing folder and a bad duration", "[framework][watch]") {
    const auto dir = test::temp_dir("watch-bad");
    write_file(dir / "study.toml", kStudy);
    auto r = test::run_cli(fmt::format("watch --traces {0}/none --study {0}/study.toml --out {0}/o", dir.string()));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("/none: no such folder") != std::string::npos);
    std::filesystem::create_directories(dir / "t");
    r = test::run_cli(fmt::format("watch --traces {0}/t --study {0}/study.toml --window 10x --out {0}/o", dir.string()));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("--window 10x: expected a positive duration") != std::string::npos);
    r = test::run_cli(fmt::format("watch --traces {0}/t --study {0}/study.toml --once --out {0}/o", dir.string()));
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("no traffic in the traces") != std::string::npos);
}

TEST_CASE("a warm-started optimizer proposes the seeds once each and then its own points", "[framework][watch]") {
    optimizers::Dimension d;
    d.name = "a";
    d.kind = optimizers::DimKind::Int;
    d.low = 0;
    d.high = 9;
    optimizers::Space space({d});
    optimizers::Problem p;
    p.space = space;
    p.budget = 10;
    auto inner = optimizers::builtin_optimizers().make("grid", p, {});
    framework::WarmStart w(std::move(inner), space, {{7}, {7.2}, {3}});
    std::vector<double> asked;
    for (int i = 0; i < 4; ++i) {
        auto x = w.ask();
        REQUIRE(x);
        asked.push_back(x->at(0));
        optimizers::Trial t;
        t.id = static_cast<std::uint64_t>(i);
        t.x = *x;
        t.status = optimizers::TrialStatus::Feasible;
        t.objectives = {x->at(0)};
        w.tell(t);
    }
    CHECK(asked[0] == 7);  // 7.2 rounds to 7: proposed once
    CHECK(asked[1] == 3);
    // Then the grid's own points, as a fresh grid proposes them.
    auto fresh = optimizers::builtin_optimizers().make("grid", p, {});
    CHECK(asked[2] == fresh.ask()->at(0));
    CHECK(asked[3] == fresh.ask()->at(0));
}
