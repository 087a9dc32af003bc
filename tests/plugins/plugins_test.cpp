// The plugin ABI end to end: the loader's checks and messages, answers a plugin must not give, crash and
// hang isolation through the evaluator's forked trials, policies/ plugins against the built-ins on a real
// trace, hot-loading a rebuilt plugin, and the optimizer plugin driven by the study runner.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "framework/evaluator.hpp"
#include "framework/study.hpp"
#include "plugins/adapters.hpp"
#include "plugins/optimizer_host.hpp"
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
    return {"kv.cache_policy.plugin=" + q(path), "kv.cache_policy.plugin_params=" + params};
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
    const std::string study = std::string("[study]\nbudget = 2\n[study.optimizer]\nplugin = ") + q(DS_POLICY_LFU) +
                              "\n[[dimension]]\nkey = \"fleet.workers\"\ntype = \"int\"\nmin = 1\nmax = 2\n"
                              "[[objective]]\nmetric = \"ttft.p90\"\n";
    CHECK_THROWS_WITH(fw::Study(fw::parse_study(study, "s.toml", ".")),
                      Catch::Contains("optimizer.plugin: ") &&
                          Catch::Contains("is a cache_policy plugin ('lfu'), not an optimizer"));
}

TEST_CASE("plugin settings are checked with the rest of the config", "[plugins]") {
    CHECK_THAT(error_of(kSmall, {"router.policy=plugin"}),
               Catch::Contains("router.policy = plugin: set router.plugin to the router's shared library"));
    CHECK_THAT(error_of(kSmall, {"router.policy=least_loaded", "router.plugin=\"x.so\""}),
               Catch::Contains("router.plugin = x.so: only read when router.policy = \"plugin\""));
    CHECK_THAT(error_of(kSmall, {"engine.cache_policy=lru", "kv.cache_policy.plugin=\"x.so\""}),
               Catch::Contains("kv.cache_policy.plugin = x.so: only read when engine.cache_policy = \"plugin\""));
    CHECK_THAT(error_of(kSmall, {"engine.cache_policy=plugin"}),
               Catch::Contains("set kv.cache_policy.plugin to the policy's shared library"));
    CHECK_THAT(error_of(kSmall, {"kv.cache_policy.plugin=\"x.so\"", "kv.cache_policy.plugin_params=[\"cap\"]"}),
               Catch::Contains("kv.cache_policy.plugin_params = cap: each entry must be \"key=value\""));
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
    // One trial at a time: under AddressSanitizer (GCC 12) a trial forked while a sibling thread runs another
    // has been seen to time out (cause not found); the isolation under test is per child either way.
    fw::EvaluatorOptions o = forked(10);
    o.threads = 1;
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
        INFO(got[id].error);
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

TEST_CASE("plugins are named under router.plugin and kv.cache_policy.plugin with parameter tables", "[plugins]") {
    // The issue's names in a config file: the library alone selects the plugin policy, and the parameter
    // tables give what the "key=value" arrays give.
    const std::string tables = std::string(kSmall) + "[router]\nplugin = " + q(DS_POLICY_PREFIX_AFFINITY) +
                               "\n[router.plugin_params]\ncap = 1\n[kv.cache_policy]\nplugin = " + q(DS_POLICY_SLRU) +
                               "\n[kv.cache_policy.plugin_params]\npromote_uses = 3\n";
    const auto with_tables = run(tables, {"engine.num_gpu_blocks_override=400"});
    const auto with_arrays = run(kSmall, {"router.policy=plugin", "router.plugin=" + q(DS_POLICY_PREFIX_AFFINITY),
                                          "router.plugin_params=[\"cap=1\"]", "engine.cache_policy=plugin",
                                          "kv.cache_policy.plugin=" + q(DS_POLICY_SLRU),
                                          "kv.cache_policy.plugin_params=[\"promote_uses=3\"]",
                                          "engine.num_gpu_blocks_override=400"});
    CHECK(outputs(with_tables, tables, {"engine.num_gpu_blocks_override=400"}, "tables") ==
          outputs(with_arrays, kSmall, {"engine.num_gpu_blocks_override=400"}, "arrays"));
    // The parameters reach the plugins: another cap routes differently.
    const auto cap4 = run(kSmall, {"router.plugin=" + q(DS_POLICY_PREFIX_AFFINITY), "router.plugin_params.cap=4",
                                   "kv.cache_policy.plugin=" + q(DS_POLICY_SLRU), "kv.cache_policy.plugin_params.promote_uses=3",
                                   "engine.num_gpu_blocks_override=400"});
    CHECK(outputs(cap4, kSmall, {}, "cap4") != outputs(with_tables, tables, {}, "tables2"));
    const sc::ScenarioOptions o = sc::load_scenario_text(tables, "<test>", {});
    CHECK(o.router.policy == "plugin");
    CHECK(o.router.plugin_params == std::vector<std::string>{"cap=1"});
    CHECK(o.engine.cache_policy == "plugin");
    CHECK(o.engine.cache_policy_plugin_params == std::vector<std::string>{"promote_uses=3"});
    CHECK_THAT(error_of(kSmall, {"router.plugin=" + q(DS_POLICY_PREFIX_AFFINITY), "router.plugin_params.cap=[1]"}),
               Catch::Contains("router.plugin_params.cap: expected a string, number or bool, got an array"));
}

TEST_CASE("a cache policy plugin that crashes, hangs or names a block that is not free fails its own trial",
          "[plugins]") {
    // A timeout that a good trial meets even on a loaded machine; one at a time (see the test of crashing
    // and hanging routers above for why not at once).
    fw::EvaluatorOptions o = forked(10);
    o.threads = 1;
    fw::Evaluator ev(o);
    ev.submit({0, cache(DS_TEST_BAD_CACHE_SEGFAULT, "[\"after=3\"]")});
    ev.submit({1, cache(DS_TEST_BAD_CACHE_LOOP, "[\"after=3\"]")});
    ev.submit({2, cache(DS_TEST_BAD_CACHE_GARBAGE, "[\"after=3\"]")});
    ev.submit({3, cache(DS_POLICY_LFU)});
    std::map<std::uint64_t, fw::EvalResult> got;
    for (int i = 0; i < 4; ++i) {
        fw::EvalResult r = ev.wait();
        got[r.id] = r;
    }
    CHECK_THAT(got[0].error, Catch::Contains("killed by signal 11"));
    CHECK_THAT(got[1].error, Catch::Contains("timed out after 10 s"));
    CHECK_THAT(got[2].error, Catch::Contains("cache_policy plugin 'bad_cache_policy'") &&
                                 Catch::Contains("pop_victim returned block -7, which is not a free block"));
    CHECK(got[3].ok);
    CHECK(got[3].metrics["finished"] == 120);
}

namespace {
std::string bad_optimizer_study(const std::string& optimizer_tables, std::int64_t budget) {
    return fmt::format(R"([study]
budget = {}
seed = 5
parallelism = 1
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=40", "workload.generator.arrival.rate=8"]
{}
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 4
[[objective]]
metric = "ttft.p90"
)",
                       budget, optimizer_tables);
}
}  // namespace

TEST_CASE("an optimizer plugin's NaN or error fails that ask alone and the study goes on", "[plugins]") {
    // The issue's names: [study.optimizer] plugin with a [study.optimizer.plugin_params] table.
    const std::string text = bad_optimizer_study(
        "[study.optimizer]\nplugin = " + q(DS_TEST_BAD_OPTIMIZER) + "\n[study.optimizer.plugin_params]\nnan_at = 1\nthrow_at = 3\n",
        6);
    const fw::Study study(fw::parse_study(text, "bad.toml", "."));
    CHECK(study.spec().optimizer == "plugin");
    const auto dir = dynosim::test::temp_dir("plugins-bad-optimizer");
    const auto db_path = dir / "bad.sqlite";
    std::filesystem::remove(db_path);
    {
        fw::StudyStorage db(db_path);
        const fw::RunSummary s = fw::run_study(study, db);
        CHECK(s.trials == 6);
        CHECK(s.simulated == 4);
    }
    fw::StudyStorage db(db_path);
    const auto t = db.trials();
    REQUIRE(t.size() == 6);
    for (std::size_t i : {0u, 2u, 4u, 5u}) CHECK(t[i].status == "feasible");
    CHECK(t[1].status == "failed");
    CHECK_THAT(t[1].error, Catch::Contains("optimizer proposal rejected") &&
                               Catch::Contains("ask gave a non-finite value (nan) for dimension 0 (fleet.workers)"));
    CHECK(t[3].status == "failed");
    CHECK_THAT(t[3].error, Catch::Contains("ask failed") && Catch::Contains("the proposal table is corrupt"));
    // Resume replays the failed asks from storage as they were: nothing is simulated again.
    const fw::RunSummary again = fw::run_study(study, db);
    CHECK(again.simulated == 0);
    CHECK(again.reused == 6);
    // The [optimizer] spelling is the same optimizer.
    const fw::Study old_names(fw::parse_study(
        bad_optimizer_study("[optimizer]\nplugin = " + q(DS_TEST_BAD_OPTIMIZER) + "\n[optimizer.options]\nnan_at = 1\n", 3),
        "bad.toml", "."));
    fw::StudyStorage mem(":memory:");
    fw::run_study(old_names, mem);
    CHECK(mem.trials().at(1).status == "failed");
    CHECK(mem.trials().at(0).point == t[0].point);
    // Both spellings at once is an error naming them.
    CHECK_THROWS_WITH(fw::parse_study(bad_optimizer_study("[optimizer]\nplugin = \"a.so\"\n[study.optimizer]\nplugin = \"b.so\"\n", 2),
                                      "bad.toml", "."),
                      Catch::Contains("study.optimizer.plugin and optimizer.plugin: give one"));
}

TEST_CASE("compare drives optimizer plugins: the study's own and one given by path", "[plugins]") {
    const auto dir = dynosim::test::temp_dir("plugins-compare");
    const auto study = dir / "study.toml";
    {
        std::ofstream(study) << bad_optimizer_study("[study.optimizer]\nplugin = " + q(DS_POLICY_ONE_PLUS_ONE_ES) + "\n", 4);
    }
    const auto r = dynosim::test::run_cli(fmt::format("compare --study {} --optimizers plugin,{},random --budget 4 --repeats 2",
                                                      study.string(), DS_TEST_BAD_OPTIMIZER));
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("plugin") && Catch::Contains("bad_optimizer") && Catch::Contains("random"));
    const auto missing = dynosim::test::run_cli(fmt::format("compare --study {} --optimizers /nonexistent/opt.so --budget 2",
                                                            study.string()));
    CHECK(missing.exit_code != 0);
    CHECK_THAT(missing.output, Catch::Contains("plugin file not found: /nonexistent/opt.so"));
}

TEST_CASE("with process isolation an optimizer plugin that crashes or hangs fails its ask and the study ends cleanly",
          "[plugins]") {
    auto isolated = [](std::string text) {
        return text.replace(text.find("parallelism = 1"), 15, "parallelism = 1\nisolation = \"process\"\ntrial_timeout_s = 10");
    };
    const std::string opt = "[study.optimizer]\nplugin = " + q(DS_TEST_BAD_OPTIMIZER) + "\n[study.optimizer.plugin_params]\n";
    SECTION("a segfault in ask") {
        const fw::Study study(fw::parse_study(isolated(bad_optimizer_study(opt + "segfault_at = 2\n", 6)), "bad.toml", "."));
        fw::StudyStorage db(":memory:");
        const fw::RunSummary s = fw::run_study(study, db);
        CHECK(s.exhausted);
        const auto t = db.trials();
        REQUIRE(t.size() == 3);
        CHECK(t[0].status == "feasible");
        CHECK(t[1].status == "feasible");
        CHECK(t[2].status == "failed");
        CHECK_THAT(t[2].error, Catch::Contains("its process was killed by signal 11") && Catch::Contains("in ask"));
        // Resume: the same asks, the same failure, nothing simulated again.
        const fw::RunSummary again = fw::run_study(study, db);
        CHECK(again.simulated == 0);
        CHECK(db.trials().size() == 3);
    }
    SECTION("an endless loop in ask") {
        const fw::Study study(fw::parse_study(isolated(bad_optimizer_study(opt + "loop_at = 1\n", 6)), "bad.toml", "."));
        fw::StudyStorage db(":memory:");
        fw::run_study(study, db);
        const auto t = db.trials();
        REQUIRE(t.size() == 2);
        CHECK(t[0].status == "feasible");
        CHECK_THAT(t[1].error, Catch::Contains("ask timed out after 10 s"));
    }
    SECTION("NaN and errors fail one ask each and the study goes on, as without isolation") {
        const std::string text = bad_optimizer_study(opt + "nan_at = 1\nthrow_at = 3\n", 6);
        const fw::Study inproc(fw::parse_study(text, "bad.toml", "."));
        const fw::Study study(fw::parse_study(isolated(text), "bad.toml", "."));
        fw::StudyStorage a(":memory:"), b(":memory:");
        fw::run_study(inproc, a);
        fw::run_study(study, b);
        const auto ta = a.trials(), tb = b.trials();
        REQUIRE(tb.size() == 6);
        for (std::size_t i = 0; i < 6; ++i) {
            CHECK(ta[i].point == tb[i].point);
            CHECK(ta[i].status == tb[i].status);
        }
        CHECK(tb[1].status == "failed");
        CHECK(tb[3].status == "failed");
        // A copy replays the history into a server of its own and goes on from the same state.
        const dynosim::optimizers::Problem& p = study.problem();
        auto o1 = pl::make_plugin_optimizer(DS_POLICY_ONE_PLUS_ONE_ES, p, {}, true, 5);
        for (int i = 0; i < 3; ++i) {
            dynosim::optimizers::Trial t;
            t.id = static_cast<std::uint64_t>(i);
            t.x = *o1.ask();
            t.status = dynosim::optimizers::TrialStatus::Feasible;
            t.objectives = {static_cast<double>(10 - i)};
            o1.tell(t);
        }
        auto o2 = o1;
        CHECK(o1.ask() == o2.ask());
    }
}

TEST_CASE("the cache policy plugin's old key names still work", "[plugins]") {
    const std::vector<std::string> common = {"engine.num_gpu_blocks_override=400"};
    auto with = [&](std::vector<std::string> sets) {
        sets.insert(sets.end(), common.begin(), common.end());
        return outputs(run(kSmall, sets), kSmall, {}, "old-names");
    };
    CHECK(with({"engine.cache_policy=plugin", "engine.cache_policy_plugin=" + q(DS_POLICY_SLRU),
                "engine.cache_policy_plugin_params=[\"promote_uses=3\"]"}) ==
          with({"kv.cache_policy.plugin=" + q(DS_POLICY_SLRU), "kv.cache_policy.plugin_params.promote_uses=3"}));
}

TEST_CASE("plugin check runs an optimizer plugin in a process of its own: a crash or NaN fails the check",
          "[plugins]") {
    const auto crash = dynosim::test::run_cli(std::string("plugin check ") + DS_TEST_BAD_OPTIMIZER + " --param segfault_at=3");
    CHECK(crash.exit_code == 1);
    CHECK_THAT(crash.output, Catch::Contains("smoke run: ask 3 FAILED: optimizer plugin") &&
                                 Catch::Contains("killed by signal 11") && Catch::Contains("check FAILED"));
    const auto nan = dynosim::test::run_cli(std::string("plugin check ") + DS_TEST_BAD_OPTIMIZER + " --param nan_at=5");
    CHECK(nan.exit_code == 1);
    CHECK_THAT(nan.output, Catch::Contains("ask 5 FAILED") && Catch::Contains("non-finite value (nan) for dimension 0 (x)"));
    const auto ok = dynosim::test::run_cli(std::string("plugin check ") + DS_TEST_BAD_OPTIMIZER);
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.output, Catch::Contains("40 points") && Catch::Contains("check passed"));
}

// One trial at a time: under AddressSanitizer (GCC 12) with six forked at once, the out-of-range plugin's
// trial timed out instead of failing (cause not found; see the test above).
TEST_CASE("a study over router plugins where some crash, hang or answer garbage completes the others", "[plugins]") {
    const std::string text = fmt::format(R"([study]
budget = 6
parallelism = 1
isolation = "process"
trial_timeout_s = 10
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=120", "workload.generator.arrival.rate=30",
       "fleet.workers=3"]
[optimizer]
name = "grid"
[optimizer.options]
levels = 6
[[dimension]]
key = "router.plugin"
type = "categorical"
values = [{}, {}, {}, {}, {}, {}]
[[objective]]
metric = "ttft.p90"
)",
                                         q(DS_POLICY_LEAST_LOADED), q(DS_TEST_BAD_SEGFAULT), q(DS_TEST_BAD_LOOP),
                                         q(DS_TEST_BAD_NAN), q(DS_TEST_BAD_OUT_OF_RANGE), q(DS_POLICY_POWER_OF_TWO));
    const fw::Study study(fw::parse_study(text, "routers.toml", "."));
    fw::StudyStorage db(":memory:");
    const fw::RunSummary s = fw::run_study(study, db);
    CHECK(s.trials == 6);
    std::map<std::string, fw::TrialRecord> by_plugin;
    for (const auto& t : db.trials()) by_plugin[t.params.at("router.plugin")] = t;
    REQUIRE(by_plugin.size() == 6);
    CHECK(by_plugin[q(DS_POLICY_LEAST_LOADED)].status == "feasible");
    CHECK(by_plugin[q(DS_POLICY_POWER_OF_TWO)].status == "feasible");
    CHECK(by_plugin[q(DS_POLICY_LEAST_LOADED)].metrics.at("finished") == 120);
    CHECK(by_plugin[q(DS_TEST_BAD_SEGFAULT)].status == "failed");
    CHECK_THAT(by_plugin[q(DS_TEST_BAD_SEGFAULT)].error, Catch::Contains("killed by signal 11"));
    CHECK_THAT(by_plugin[q(DS_TEST_BAD_LOOP)].error, Catch::Contains("timed out after 10 s"));
    CHECK_THAT(by_plugin[q(DS_TEST_BAD_NAN)].error, Catch::Contains("non-finite score (nan)"));
    CHECK_THAT(by_plugin[q(DS_TEST_BAD_OUT_OF_RANGE)].error, Catch::Contains("but there are 3 workers"));
}

TEST_CASE("an optimizer plugin server that dies between calls fails the next ask, not the study's process",
          "[plugins]") {
    dynosim::optimizers::Problem p;
    p.space = dynosim::optimizers::Space({{"x", dynosim::optimizers::DimKind::Float, 0, 1, false, {}}});
    pl::IsolatedPluginOptimizer opt(DS_POLICY_ONE_PLUS_ONE_ES, p, {}, 5);
    CHECK(opt.ask().has_value());
    REQUIRE(opt.server_pid() > 0);
    ::kill(opt.server_pid(), SIGKILL);
    dynosim::optimizers::Trial t;
    t.x = {0.5};
    t.status = dynosim::optimizers::TrialStatus::Feasible;
    t.objectives = {1.0};
    opt.tell(t);  // the write fails (no SIGPIPE); the next ask reports it
    CHECK_THROWS_WITH(opt.ask(), Catch::Contains("its process was killed by signal 9") && Catch::Contains("in tell"));
    CHECK_FALSE(opt.ask().has_value());  // nothing more to propose
    CHECK(opt.server_pid() == -1);
}
