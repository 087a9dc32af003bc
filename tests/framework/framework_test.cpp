// Studies end to end on tiny generator scenarios: fronts and hypervolumes on hand-computed points, the
// study file's errors, storage and resume after SIGKILL, determinism, process isolation.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "framework/expression.hpp"
#include "framework/metrics.hpp"
#include "framework/pareto.hpp"
#include "framework/study.hpp"
#include "test_support.hpp"

using namespace dynosim::framework;
namespace sc = dynosim::sim::scenario;

namespace {
// A tiny scenario (40 generated requests) and a 2-D space: workers x max_num_seqs, plus the router.
std::string study_text(const std::string& optimizer, int budget, const std::string& extra = "") {
    return R"([study]
budget = )" + std::to_string(budget) + R"(
seed = 4
parallelism = 2
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=40", "workload.generator.duration_s=10",
       "workload.generator.arrival.rate=6", "workload.generator.input.value=2048", "workload.generator.output.value=64"]
[optimizer]
name = ")" + optimizer + R"("
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 4
[[dimension]]
key = "engine.max_num_seqs"
type = "int"
min = 1
max = 64
log = true
[[dimension]]
key = "router.policy"
type = "categorical"
values = ["round_robin", "least_loaded"]
[[constraint]]
expr = "fleet.workers * hardware.tp <= 3"
[[constraint]]
metric = "ttft.p90"
max = 400
[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
[[objective]]
metric = "ttft.p90"
)" + extra;
}

std::string errors_of(const std::string& text) {
    try {
        (void)Study(parse_study(text, "bad.toml", "."));
    } catch (const sc::ConfigError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        return all;
    }
    return "";
}
}  // namespace

TEST_CASE("non-dominated sort and hypervolume match hand-computed fronts", "[framework][pareto]") {
    const std::vector<Vec> pts = {{1, 5}, {2, 3}, {4, 1}, {3, 4}, {5, 5}};
    CHECK(pareto_front(pts) == std::vector<std::size_t>{0, 1, 2});
    CHECK(non_dominated_ranks(pts) == std::vector<std::size_t>{0, 0, 0, 1, 2});
    // Staircase under (6, 6): 5*1 + 4*2 + 2*2 = 17.
    CHECK(hypervolume(pts, {6, 6}) == Approx(17));
    // 3-D: two boxes [1,3]x[1,3]x[1,3] (8) and [2,3]x[2,3]x[0,3] (3), overlap [2,3]^2x[1,3] (2): 9.
    CHECK(hypervolume({{1, 1, 1}, {2, 2, 0}}, {3, 3, 3}) == Approx(9));
    // 4-D through pagmo: one point is a box.
    CHECK(hypervolume({{0, 0, 0, 0}}, {1, 2, 3, 4}) == Approx(24));
    CHECK(hypervolume({{0, 0, 0, 0}, {0.5, 0.5, 0.5, 0.5}}, {1, 1, 1, 1}) == Approx(1));
    CHECK(hypervolume({{7, 7}}, {6, 6}) == 0);  // beyond the reference: adds nothing
    CHECK(default_reference(pts) == Vec{5.4, 5.4});
}

TEST_CASE("constraint expressions evaluate and measure violations", "[framework]") {
    const Expression e("fleet.workers * hardware.tp <= 8 and router.policy != 'random'");
    auto vals = [](const std::string& n) -> ExprValue {
        if (n == "fleet.workers") return 3.0;
        if (n == "hardware.tp") return 4.0;
        return std::string("round_robin");
    };
    CHECK(std::get<double>(e.eval(vals)) == 0);
    CHECK(Expression("fleet.workers * hardware.tp <= 8").violation(vals) == Approx(0.5));
    CHECK(Expression("32 % hardware.tp == 0").violation(vals) == 0);
    CHECK_THROWS_WITH(Expression("fleet.workers <= "), Catch::Contains("expected a value"));
}

TEST_CASE("study file errors name the file, line, field and rule", "[framework]") {
    std::string t = study_text("random", 5);
    auto replace = [&](const std::string& from, const std::string& to) {
        std::string s = t;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    CHECK_THAT(errors_of(replace("key = \"fleet.workers\"", "key = \"fleet.worker\"")),
               Catch::Contains("bad.toml:9: dimension.key = \"fleet.worker\": not a scenario config key; did you mean 'fleet.workers'?"));
    CHECK_THAT(errors_of(replace("min = 1\nmax = 4", "min = 5\nmax = 4")),
               Catch::Contains("dimension fleet.workers: empty bounds: min = 5 must be <= max = 4"));
    CHECK_THAT(errors_of(replace("budget = 5", "budget = 0")), Catch::Contains("bad.toml:2: study.budget = 0: must be >= 1"));
    CHECK_THAT(errors_of(replace("name = \"random\"", "name = \"annealing\"")),
               Catch::Contains("bad.toml:8: optimizer.name = \"annealing\": unknown optimizer"));
    CHECK_THAT(errors_of(replace("metric = \"ttft.p90\"\nmax", "metric = \"ttft.p95\"\nmax")),
               Catch::Contains("constraint.metric = \"ttft.p95\": unknown metric"));
    CHECK_THAT(errors_of(replace("max = 64", "max = 0")), Catch::Contains("engine.max_num_seqs"));
    CHECK_THAT(errors_of(study_text("bayes", 5, "[optimizer.options]\nxi = -1\n")),
               Catch::Contains("optimizer.options.xi: optimizer bayes: option xi = -1: must be in [0, 100]"));
}

TEST_CASE("a study stores every trial, keeps infeasible ones out of the front, and repeats for its seed",
          "[framework][study]") {
    const Study study(parse_study(study_text("random", 14), "s.toml", "."));
    StudyStorage a(":memory:"), b(":memory:");
    const RunSummary s = run_study(study, a);
    CHECK(s.trials == 14);
    run_study(study, b);
    const auto ta = a.trials(), tb = b.trials();
    REQUIRE(ta.size() == 14);
    std::size_t feasible = 0, infeasible = 0;
    for (std::size_t i = 0; i < ta.size(); ++i) {
        CHECK(ta[i].point == tb[i].point);
        CHECK(ta[i].objectives == tb[i].objectives);
        CHECK(std::stoi(ta[i].params.at("fleet.workers")) <= 3);  // the a-priori constraint held
        if (ta[i].status == "feasible") ++feasible;
        if (ta[i].status == "infeasible") {
            ++infeasible;
            CHECK(ta[i].objectives.at(1) > 400);  // only the SLA can make a simulated trial infeasible here
        }
    }
    CHECK(feasible > 0);
    CHECK(infeasible > 0);
    std::vector<Vec> pts;
    for (const auto& t : ta)
        if (t.status == "feasible") pts.push_back(study.minimized(t));
    for (std::size_t i : pareto_front(pts)) CHECK(-pts[i][0] >= 0);
    // Another optimizer seed gives another sequence.
    StudyStorage c(":memory:");
    RunOptions ro;
    ro.seed = 99;
    run_study(study, c, ro);
    bool differs = false;
    for (std::size_t i = 0; i < ta.size(); ++i) differs = differs || c.trials()[i].point != ta[i].point;
    CHECK(differs);
}

TEST_CASE("a study killed with SIGKILL resumes with every finished trial intact", "[framework][study]") {
    const auto dir = dynosim::test::temp_dir("study-kill");
    const auto db_path = dir / "s.sqlite";
    const std::string text = study_text("bayes", 12);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            const Study study(parse_study(text, "s.toml", "."));
            StudyStorage db(db_path);
            RunOptions ro;
            // Slow every trial from the fifth on, so the parent kills the child mid-study.
            ro.before_trial = [](const EvalRequest& r) {
                if (r.id >= 4) std::this_thread::sleep_for(std::chrono::seconds(30));
            };
            run_study(study, db, ro);
        } catch (...) {
        }
        _exit(0);
    }
    std::vector<TrialRecord> before;
    for (int i = 0; i < 200; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        StudyStorage peek(db_path);
        before = peek.trials();
        std::size_t done = 0;
        for (const auto& t : before) done += t.finished();
        if (done >= 4 && before.size() > done) break;
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    StudyStorage db(db_path);
    before = db.trials();
    std::size_t finished = 0, running = 0;
    for (const auto& t : before) (t.finished() ? finished : running) += 1;
    REQUIRE(finished >= 4);
    REQUIRE(running >= 1);
    const Study study = study_from_storage(db);
    const RunSummary s = run_study(study, db);
    CHECK(s.reused == finished);
    const auto after = db.trials();
    REQUIRE(after.size() == 12);
    for (const auto& t : before)
        if (t.finished()) {
            CHECK(after[t.id].point == t.point);
            CHECK(after[t.id].metrics == t.metrics);
        }
    for (const auto& t : after) CHECK(t.finished());
    // The resumed study is the study that would have run uninterrupted.
    StudyStorage fresh(":memory:");
    run_study(Study(parse_study(text, "s.toml", ".")), fresh);
    for (const auto& t : fresh.trials()) CHECK(after[t.id].point == t.point);
}

TEST_CASE("with process isolation a crashing trial fails alone", "[framework][study]") {
    const Study study(parse_study(study_text("random", 6, "") + "", "s.toml", "."));
    StudySpec spec = study.spec();
    spec.isolation = "process";
    const Study isolated(spec);
    StudyStorage db(":memory:");
    RunOptions ro;
    ro.before_trial = [](const EvalRequest& r) {
        if (r.id == 2) raise(SIGSEGV);
    };
    run_study(isolated, db, ro);
    const auto trials = db.trials();
    REQUIRE(trials.size() == 6);
    CHECK(trials[2].status == "failed");
    CHECK_THAT(trials[2].error, Catch::Contains("signal 11"));
    for (const auto& t : trials)
        if (t.id != 2) CHECK(t.status != "failed");
}

TEST_CASE("run_scenario is re-entrant: threads give the same summaries as one thread", "[framework]") {
    const auto opts = sc::load_scenario_text("", "<t>", {"workload.generator.num_requests=40", "fleet.workers=2"});
    const auto ref = sc::run_scenario(opts).summary;
    std::vector<dynosim::sim::metrics::Summary> out(4);
    std::vector<std::thread> th;
    for (int i = 0; i < 4; ++i) th.emplace_back([&, i] { out[static_cast<std::size_t>(i)] = sc::run_scenario(opts).summary; });
    for (auto& t : th) t.join();
    for (const auto& s : out) {
        CHECK(s.ttft.p90 == ref.ttft.p90);
        CHECK(s.tokens_per_s_per_gpu == ref.tokens_per_s_per_gpu);
    }
}

TEST_CASE("the study CLI runs, shows the front and rejects a second run into the same file", "[framework][cli]") {
    const auto dir = dynosim::test::temp_dir("study-cli");
    dynosim::test::write_file(dir / "s.toml", study_text("grid", 8));
    const std::string db = (dir / "s.sqlite").string();
    auto r = dynosim::test::run_cli("study run " + (dir / "s.toml").string() + " --db " + db);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("Pareto front:"));
    r = dynosim::test::run_cli("study run " + (dir / "s.toml").string() + " --db " + db);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("already holds 8 trials"));
    r = dynosim::test::run_cli("study show " + db + " --all");
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("8 trials"));
}

TEST_CASE("a deployment that stops serving is reported stalled and its study trial fails", "[framework][study]") {
    // Decode-first disaggregation on Mooncake at its full rate with two decode workers: a 100k-token prompt
    // prefilled locally is preempted and cannot be readmitted, while the KV it needs is held by transferred
    // requests queued behind it, so the decode workers stop. (At half the rate every request finishes.)
    const auto path = dynosim::test::source_dir() / "examples/router-frontier/frontier.toml";
    auto run = [&](const std::string& rate) {
        return sc::run_scenario(sc::load_scenario(
            path, {"disagg.enabled=true", "workload.transform.window_end_s=300", "workload.transform.rate_scale=" + rate,
                   "router.policy=\"least_loaded\"", "disagg.flow=\"decode_first\"", "disagg.prefill.workers=2",
                   "disagg.decode.workers=2"}));
    };
    const sc::Result stuck = run("1");
    REQUIRE(stuck.summary.unfinished > 0);
    CHECK(stuck.summary.stalled == stuck.summary.unfinished);
    CHECK(dynosim::sim::metrics::summary_json(stuck.summary).find("\"stalled\"") != std::string::npos);
    const sc::Result ok = run("0.5");
    CHECK(ok.summary.unfinished == 0);
    CHECK(ok.summary.stalled == 0);
    CHECK(dynosim::sim::metrics::summary_json(ok.summary).find("\"stalled\"") == std::string::npos);

    const Study study(parse_study(study_text("random", 1), "s.toml", "."));
    TrialRecord t;
    t.status = "running";
    t.metrics = summary_metrics(stuck.summary, 0);
    study.score(t);
    CHECK(t.status == "failed");
    CHECK(t.error.find("stalled") != std::string::npos);
    t.status = "running";
    t.metrics = summary_metrics(ok.summary, 0);
    study.score(t);
    CHECK(t.status != "failed");
}
