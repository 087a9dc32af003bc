// The plugin ABI end to end: the loader's checks and messages, answers a plugin must not give, crash and
// hang isolation through the evaluator's forked trials, policies/ plugins against the built-ins on a real
// trace, hot-loading a rebuilt plugin, and the optimizer plugin driven by the study runner.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <set>

#include "framework/evaluator.hpp"
#include "framework/study.hpp"
#include "plugins/adapters.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"

namespace {

namespace sc = dynosim::sim::scenario;
namespace fw = dynosim::framework;
namespace pl = dynosim::plugins;

const bool g_installed = [] {
    pl::install_plugin_factories();
    return true;
}();

std::string q(const std::string& path) { return "\"" + path + "\""; }

// 120 s of the Mooncake conversation trace on 2 workers with a small KV pool, so blocks are evicted.
const char* kTraceSlice = R"(
fleet.workers = 2
engine.num_gpu_blocks_override = 3000
[workload]
kind = "trace"
path = "data:traces/mooncake/conversation_trace.jsonl"
[workload.transform]
window_end_s = 120
)";

// A small generated workload that queues on 3 workers.
const char* kSmall = R"(
fleet.workers = 3
[workload]
kind = "generator"
[workload.generator]
num_requests = 120
arrival.rate = 30
prefix.num_groups = 6
prefix.prefix_tokens = 512
)";

sc::Result run(const std::string& text, const std::vector<std::string>& sets) {
    sc::ScenarioOptions o = sc::load_scenario_text(text, "<test>", sets);
    o.base_dir = dynosim::test::source_dir();
    return sc::run_scenario(o);
}

// requests.csv and summary.json of a run, as written.
std::string outputs(const sc::Result& r, const std::string& text, const std::vector<std::string>& sets,
                    const std::string& name) {
    const auto dir = dynosim::test::temp_dir("plugins-" + name);
    sc::ScenarioOptions o = sc::load_scenario_text(text, "<test>", sets);
    sc::write_outputs(r, o, dir);
    return dynosim::test::read_file(dir / "requests.csv");
}

std::string error_of(const std::string& text, const std::vector<std::string>& sets) {
    try {
        run(text, sets);
    } catch (const sc::ConfigError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        return all;
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

std::vector<std::string> router(const char* path, const std::string& params = "[]") {
    return {"router.policy=plugin", "router.plugin=" + q(path), "router.plugin_params=" + params};
}
std::vector<std::string> cache(const char* path, const std::string& params = "[]") {
    return {"engine.cache_policy=plugin", "engine.cache_policy_plugin=" + q(path),
            "engine.cache_policy_plugin_params=" + params};
}

fw::EvaluatorOptions forked(double timeout_s) {
    fw::EvaluatorOptions o;
    o.scenario_text = kSmall;
    o.scenario_source = "<test>";
    o.process_isolation = true;
    o.trial_timeout_s = timeout_s;
    return o;
}

}  // namespace

TEST_CASE("a plugin built for another ABI version is refused naming both versions", "[plugins]") {
    CHECK_THROWS_WITH(pl::load_library(DS_TEST_WRONG_ABI, DS_KIND_ROUTER, "router.plugin"),
                      Catch::Contains("was built for plugin ABI version 999, but this dynosim speaks version 1"));
}

TEST_CASE("a library without the entry symbol is refused as not a dynosim plugin", "[plugins]") {
    CHECK_THROWS_WITH(pl::load_library(DS_TEST_NO_ENTRY),
                      Catch::Contains("is not a dynosim plugin: it does not export the entry symbol "
                                      "dynosim_plugin_entry()"));
    CHECK_THROWS_WITH(pl::load_library("/nonexistent/router.so", 0, "router.plugin"),
                      Catch::Contains("router.plugin: plugin file not found: /nonexistent/router.so"));
}

TEST_CASE("a plugin of the wrong kind is refused naming both kinds", "[plugins]") {
    CHECK_THAT(error_of(kSmall, router(DS_POLICY_LRU)),
               Catch::Contains("router.plugin: ") && Catch::Contains("is a cache_policy plugin ('lru'), not a router"));
    CHECK_THAT(error_of(kSmall, cache(DS_POLICY_LEAST_LOADED)),
               Catch::Contains("is a router plugin ('least_loaded'), not a cache_policy"));
}

TEST_CASE("plugin settings are checked with the rest of the config", "[plugins]") {
    CHECK_THAT(error_of(kSmall, {"router.policy=plugin"}),
               Catch::Contains("router.policy = plugin: set router.plugin to the router's shared library"));
    CHECK_THAT(error_of(kSmall, {"router.plugin=\"x.so\""}),
               Catch::Contains("router.plugin = x.so: only read when router.policy = \"plugin\""));
    CHECK_THAT(error_of(kSmall, {"engine.cache_policy=plugin"}),
               Catch::Contains("set engine.cache_policy_plugin to the policy's shared library"));
    CHECK_THAT(error_of(kSmall, router(DS_POLICY_PREFIX_AFFINITY, "[\"cap\"]")),
               Catch::Contains("router.plugin_params = cap: each entry must be \"key=value\""));
    CHECK_THAT(error_of(kSmall, router(DS_POLICY_PREFIX_AFFINITY, "[\"bogus=1\"]")),
               Catch::Contains("create failed (invalid argument): unknown parameter 'bogus'; known: cap, prefix_blocks"));
    CHECK_THAT(error_of(kSmall, router(DS_POLICY_PREFIX_AFFINITY, "[\"cap=many\"]")),
               Catch::Contains("parameter cap = many: expected an integer"));
}

TEST_CASE("a router answering an out-of-range worker fails the run naming the plugin and the answer", "[plugins]") {
    CHECK_THAT(error_of(kSmall, router(DS_TEST_BAD_OUT_OF_RANGE, "[\"after=5\"]")),
               Catch::Contains("router plugin 'bad_router'") &&
                   Catch::Contains("choose returned worker 3 for request 5, but there are 3 workers (valid: 0..2)"));
}

TEST_CASE("a router scoring a worker NaN fails the run", "[plugins]") {
    CHECK_THAT(error_of(kSmall, router(DS_TEST_BAD_NAN)),
               Catch::Contains("score gave worker 2 a non-finite score (nan) for request 0"));
}

TEST_CASE("an exception inside a plugin comes back as its error text", "[plugins]") {
    CHECK_THAT(error_of(kSmall, router(DS_TEST_BAD_THROW, "[\"after=2\"]")),
               Catch::Contains("choose failed (internal error): the routing table is empty"));
}

TEST_CASE("a segfault in choose fails its forked trial with the signal", "[plugins]") {
    const fw::EvalResult r = fw::evaluate_trial_forked(forked(60), {0, router(DS_TEST_BAD_SEGFAULT, "[\"after=3\"]")});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.error, Catch::Contains("killed by signal 11"));
}

TEST_CASE("an endless loop in choose fails its forked trial on the timeout", "[plugins]") {
    const fw::EvalResult r = fw::evaluate_trial_forked(forked(1), {0, router(DS_TEST_BAD_LOOP)});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.error, Catch::Contains("timed out after 1 s"));
}

TEST_CASE("trials with plugins where one crashes and one hangs: the others complete", "[plugins]") {
    fw::EvaluatorOptions o = forked(2);
    o.threads = 2;
    fw::Evaluator ev(o);
    ev.submit({0, router(DS_POLICY_LEAST_LOADED)});
    ev.submit({1, router(DS_TEST_BAD_SEGFAULT)});
    ev.submit({2, router(DS_POLICY_POWER_OF_TWO)});
    ev.submit({3, router(DS_TEST_BAD_LOOP)});
    ev.submit({4, cache(DS_POLICY_SLRU)});
    std::map<std::uint64_t, fw::EvalResult> got;
    for (int i = 0; i < 5; ++i) {
        fw::EvalResult r = ev.wait();
        got[r.id] = r;
    }
    for (std::uint64_t id : {0u, 2u, 4u}) {
        CHECK(got[id].ok);
        CHECK(got[id].metrics["finished"] == 120);
    }
    CHECK_THAT(got[1].error, Catch::Contains("signal 11"));
    CHECK_THAT(got[3].error, Catch::Contains("timed out"));
}

TEST_CASE("the LRU plugin gives byte-identical results to the built-in LRU on a Mooncake slice", "[plugins]") {
    const auto builtin = run(kTraceSlice, {});
    const auto plugin = run(kTraceSlice, cache(DS_POLICY_LRU));
    const auto lfu = run(kTraceSlice, cache(DS_POLICY_LFU));
    REQUIRE(builtin.summary.finished > 300);
    REQUIRE(builtin.recorder->counters().evictions > 1000);  // the policy decides something
    CHECK(plugin.recorder->counters().evictions == builtin.recorder->counters().evictions);
    CHECK(outputs(plugin, kTraceSlice, cache(DS_POLICY_LRU), "lru-plugin") ==
          outputs(builtin, kTraceSlice, {}, "lru-builtin"));
    // Another policy on the same slice evicts other blocks: the comparison can tell policies apart.
    CHECK(outputs(lfu, kTraceSlice, cache(DS_POLICY_LFU), "lfu") != outputs(builtin, kTraceSlice, {}, "lru-builtin"));
}

TEST_CASE("the least_loaded plugin routes as the built-in least_loaded", "[plugins]") {
    const auto builtin = run(kTraceSlice, {"router.policy=least_loaded"});
    const auto plugin = run(kTraceSlice, router(DS_POLICY_LEAST_LOADED));
    CHECK(outputs(plugin, kTraceSlice, router(DS_POLICY_LEAST_LOADED), "ll-plugin") ==
          outputs(builtin, kTraceSlice, {"router.policy=least_loaded"}, "ll-builtin"));
}

TEST_CASE("the kv_router plugin gives byte-identical results to the built-in KV router on a Mooncake slice",
          "[plugins]") {
    // The host runs the KV indexer and active loads (plugin_kv_indexer) and lends its random stream; the
    // plugin ports the cost and the tie-breaks, so every choice and every random draw is the built-in's.
    for (const char* temp : {"0", "0.5"}) {
        const std::vector<std::string> kv = {"router.policy=kv", std::string("router.temperature=") + temp};
        std::vector<std::string> plug = router(DS_POLICY_KV_ROUTER, std::string("[\"temperature=") + temp + "\"]");
        plug.push_back("router.plugin_kv_indexer=true");
        const auto builtin = run(kTraceSlice, kv);
        const auto plugin = run(kTraceSlice, plug);
        REQUIRE(builtin.summary.finished > 300);
        CHECK(outputs(plugin, kTraceSlice, plug, std::string("kv-plugin-") + temp) ==
              outputs(builtin, kTraceSlice, kv, std::string("kv-builtin-") + temp));
    }
    // Load balancing alone (weight 0) routes differently: the comparison can tell the costs apart.
    std::vector<std::string> lb = router(DS_POLICY_KV_ROUTER, "[\"overlap_score_weight=0\"]");
    lb.push_back("router.plugin_kv_indexer=true");
    CHECK(outputs(run(kTraceSlice, lb), kTraceSlice, lb, "kv-plugin-lb") !=
          outputs(run(kTraceSlice, {"router.policy=kv"}), kTraceSlice, {"router.policy=kv"}, "kv-builtin-0"));
    // Without the host's figures the plugin says what it needs; the key is only read for plugins.
    CHECK_THAT(error_of(kTraceSlice, router(DS_POLICY_KV_ROUTER)), Catch::Contains("router.plugin_kv_indexer = true"));
    CHECK_THAT(error_of(kTraceSlice, {"router.plugin_kv_indexer=true"}),
               Catch::Contains("only read when router.policy = \"plugin\""));
}

TEST_CASE("policy plugins serve every request, repeat for a seed, and prefix affinity finds more prefixes",
          "[plugins]") {
    for (const char* p : {DS_POLICY_POWER_OF_TWO, DS_POLICY_PREFIX_AFFINITY}) {
        const auto a = run(kSmall, router(p)), b = run(kSmall, router(p));
        CHECK(a.summary.finished == 120);
        CHECK(a.summary.ttft.p90 == b.summary.ttft.p90);
    }
    for (const char* p : {DS_POLICY_LFU, DS_POLICY_SLRU}) CHECK(run(kTraceSlice, cache(p)).summary.conserved);
    // 60 system prompts of 4,096 tokens do not fit one worker's 6,000 blocks; spread by load alone, every
    // worker thrashes through all of them, while keeping each prompt on one worker partitions them
    // (80% vs 29% of prompt tokens hit when this was written).
    const std::string groups = R"(
fleet.workers = 4
engine.num_gpu_blocks_override = 6000
[workload]
kind = "generator"
[workload.generator]
num_requests = 400
duration_s = 0
arrival.rate = 20
input = { kind = "fixed", value = 256 }
output = { kind = "fixed", value = 32 }
prefix = { num_groups = 60, prefix_tokens = 4096 }
)";
    const auto ll = run(groups, {"router.policy=least_loaded"});
    const auto affinity = run(groups, router(DS_POLICY_PREFIX_AFFINITY, "[\"cap=16\"]"));
    CHECK(affinity.summary.finished == 400);
    CHECK(affinity.summary.prefix_hit_rate > 2 * ll.summary.prefix_hit_rate);
}

TEST_CASE("a rebuilt plugin at the same path loads side by side with the old build", "[plugins]") {
    const auto dir = dynosim::test::temp_dir("plugins-hotload");
    const auto path = dir / "my_router.so";
    std::filesystem::copy_file(DS_TEST_VERSIONED_V1, path);
    const auto v1 = pl::load_library(path, DS_KIND_ROUTER);
    // Objects made from v1 keep it loaded; the v1 router is built before the file is replaced.
    auto v1_router = pl::make_plugin_router({"plugin", path.string(), {}}, dynosim::sim::core::Rng(1));
    const auto v1_alone = run(kSmall, router(path.c_str()));
    std::filesystem::copy_file(DS_TEST_VERSIONED_V2, path, std::filesystem::copy_options::overwrite_existing);
    const auto v2 = pl::load_library(path, DS_KIND_ROUTER);
    CHECK(v1->version() == "1");
    CHECK(v2->version() == "2");
    CHECK(v1->build_hash() != v2->build_hash());
    CHECK(pl::load_library(path).get() == v2.get());  // same bytes: the same library
    const auto v2_alone = run(kSmall, router(path.c_str()));
    // Each build gives what its behaviour gives alone (v1 = least_loaded, v2 = round_robin).
    CHECK(v1_alone.summary.ttft.p90 == run(kSmall, {"router.policy=least_loaded"}).summary.ttft.p90);
    CHECK(v2_alone.summary.ttft.p90 == run(kSmall, {"router.policy=round_robin"}).summary.ttft.p90);
    CHECK(v1_alone.summary.ttft.p90 != v2_alone.summary.ttft.p90);
    // The v1 object still runs v1 code after v2 was loaded: least loaded of these is worker 1.
    dynosim::sim::workload::Request req;
    std::vector<dynosim::sim::engine::WorkerLoad> loads(3);
    loads[0].waiting = 2;
    loads[2].running = 1;
    for (int i = 0; i < 3; ++i) CHECK(v1_router->choose(req, loads) == 1);
}

TEST_CASE("a plugin library stays loaded while an object from it lives", "[plugins]") {
    std::unique_ptr<dynosim::sim::fleet::Router> r;
    std::uint64_t hash = 0;
    {
        const auto lib = pl::load_library(DS_POLICY_PREFIX_AFFINITY);
        hash = lib->build_hash();
        r = pl::make_plugin_router({"plugin", DS_POLICY_PREFIX_AFFINITY, {"cap=0"}}, dynosim::sim::core::Rng(3));
    }
    dynosim::sim::workload::Request req;
    std::vector<dynosim::sim::engine::WorkerLoad> loads(4);
    loads[0].running = 5;
    CHECK(r->choose(req, loads) == 1);  // no prefix, no session: the least loaded
    const auto again = pl::load_library(DS_POLICY_PREFIX_AFFINITY);
    CHECK(again->build_hash() == hash);
}

TEST_CASE("the (1+1)-ES optimizer plugin is driven by the study runner", "[plugins]") {
    const std::string text = std::string(R"([study]
budget = 8
seed = 2
parallelism = 1
isolation = "process"
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=60", "workload.generator.arrival.rate=8"]
[optimizer]
plugin = )") + q(DS_POLICY_ONE_PLUS_ONE_ES) + R"(
[optimizer.options]
sigma = 0.3
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 4
[[dimension]]
key = "engine.max_num_seqs"
type = "int"
min = 4
max = 256
log = true
[[objective]]
metric = "ttft.p90"
)";
    const fw::Study study(fw::parse_study(text, "es.toml", "."));
    CHECK(study.spec().optimizer == "plugin");
    fw::StudyStorage a(":memory:"), b(":memory:");
    const fw::RunSummary s = fw::run_study(study, a);
    fw::run_study(study, b);
    CHECK(s.trials == 8);
    const auto ta = a.trials(), tb = b.trials();
    REQUIRE(ta.size() == 8);
    std::set<std::vector<double>> distinct;
    for (std::size_t i = 0; i < ta.size(); ++i) {
        CHECK(ta[i].status == "feasible");
        CHECK(ta[i].point == tb[i].point);  // deterministic for the seed
        distinct.insert(ta[i].point);
    }
    CHECK(distinct.size() > 2);  // it moves
    const std::string bad = std::string("[study]\nbudget = 2\n[optimizer]\nplugin = ") + q(DS_POLICY_ONE_PLUS_ONE_ES) +
                            "\n[optimizer.options]\nsigma = 7\n[[dimension]]\nkey = \"fleet.workers\"\ntype = "
                            "\"int\"\nmin = 1\nmax = 4\n[[objective]]\nmetric = \"ttft.p90\"\n";
    CHECK_THROWS_WITH(fw::Study(fw::parse_study(bad, "es.toml", ".")),
                      Catch::Contains("parameter sigma must be in (0, 1]"));
}

TEST_CASE("plugin check describes a plugin and passes its smoke run", "[plugins]") {
    const auto ok = dynosim::test::run_cli(std::string("plugin check ") + DS_POLICY_POWER_OF_TWO);
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.output, Catch::Contains("kind:        router") && Catch::Contains("name:        power_of_two") &&
                              Catch::Contains("choices (integer, default 2)") && Catch::Contains("check passed"));
    const auto crash = dynosim::test::run_cli(std::string("plugin check ") + DS_TEST_BAD_SEGFAULT);
    CHECK(crash.exit_code != 0);
    CHECK_THAT(crash.output, Catch::Contains("FAILED: trial process killed by signal 11"));
    const auto abi = dynosim::test::run_cli(std::string("plugin check ") + DS_TEST_WRONG_ABI);
    CHECK(abi.exit_code == 2);
    CHECK_THAT(abi.output, Catch::Contains("plugin ABI version 999"));
}
