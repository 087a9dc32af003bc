// The planner: predictors, the profile file, and the planned fleet's lifecycle, bounds and bill.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sim/fleet/planner.hpp"
#include "sim/fleet/planner_profile.hpp"
#include "sim/fleet/predictor.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"
#include "tests/sim/fleet/planner_fixture.hpp"

using namespace dynosim::sim;
using namespace dynosim::sim::test_planner;
using Catch::Matchers::Contains;

namespace {

// One worker of Llama-3.1-8B on an H100 at ISL 1024 / OSL 64, roughly as `dynosim profile` measures it;
// at the 500 ms / 50 ms targets it sustains 8 + 8 x (500 - 200) / (5000 - 200) = 8.5 req/s.
const char* kProfile = R"(# test profile
format = dynosim-planner-profile-1
gpus_per_worker = 1
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,1,60,8
1024,64,2,70,10
1024,64,4,90,14
1024,64,8,200,20
1024,64,16,5000,40
)";

// Fixed 1024 / 64 requests on Llama-3.1-8B / H100 at a rate schedule, under `planner`.
std::string planned(const std::string& schedule, const std::string& planner) {
    return fixed_workload(schedule) + "[planner]\nprofile = \"" + write_profile("planner-profile", kProfile).string() +
           "\"\n" + planner;
}

// The life (from the report) of the worker in `slot` at time t_s, or null.
const metrics::WorkerLife* life_at(const metrics::PlannerReport& r, std::int32_t slot, double t_s) {
    const metrics::WorkerLife* best = nullptr;
    for (const auto& w : r.workers)
        if (w.slot == slot && w.requested_s <= t_s && (!best || w.requested_s >= best->requested_s)) best = &w;
    return best;
}

// Every routed request went to a worker that was ready, and not draining, when it arrived.
void check_routed_to_ready(const scenario::Result& res) {
    const auto& r = *res.summary.planner;
    for (const auto& rec : res.recorder->records()) {
        if (!rec.arrived || rec.worker < 0) continue;
        const double t = core::ns_to_seconds(rec.arrival_ns);
        const metrics::WorkerLife* w = life_at(r, rec.worker, t);
        REQUIRE(w != nullptr);
        CHECK(w->ready_s >= 0);
        CHECK(w->ready_s <= t);
        if (w->drain_s >= 0) CHECK(t < w->drain_s);
    }
}

}  // namespace

TEST_CASE("Each predictor tracks a linear ramp within its stated error", "[planner]") {
    // y_k = 100 + 10 k. Constant lags one step (error = the slope, 10); a 5-interval moving average lags
    // (5 - 1) / 2 + 1 = 3 steps (30); Holt and Kalman learn the trend: within 2% after 10 points.
    for (const char* kind : {"constant", "moving_average", "holt", "kalman"}) {
        fleet::PredictorOptions o;
        o.kind = kind;
        o.window = 5;
        auto p = fleet::make_predictor(o);
        double worst_late = 0;
        for (int k = 0; k < 40; ++k) {
            p->observe(100 + 10.0 * k);
            const double next = 100 + 10.0 * (k + 1);
            if (k >= 10) worst_late = std::max(worst_late, std::abs(p->predict() - next));
        }
        INFO(kind);
        if (std::string(kind) == "constant") CHECK(worst_late == Approx(10.0));
        else if (std::string(kind) == "moving_average") CHECK(worst_late == Approx(30.0));
        else CHECK(worst_late < 0.02 * 200);
    }
}

TEST_CASE("Predictors skip leading zeros and hold a constant series", "[planner]") {
    for (const char* kind : {"constant", "moving_average", "holt", "kalman"}) {
        fleet::PredictorOptions o;
        o.kind = kind;
        auto p = fleet::make_predictor(o);
        p->observe(0);
        p->observe(0);
        CHECK(p->predict() == 0);
        for (int k = 0; k < 20; ++k) p->observe(50);
        INFO(kind);
        CHECK(p->observations() == 20);
        CHECK(p->predict() == Approx(50).margin(1e-6));
    }
}

TEST_CASE("The profile gives the rate one worker sustains within the targets", "[planner]") {
    const auto p = fleet::PlannerProfile::parse(kProfile, "p.csv");
    CHECK(p.gpus_per_worker() == 1);
    CHECK(p.capacity_rps(1024, 64, 500, 50) == Approx(8.5));
    // ITL binds first: 15 ms is crossed between 4 (14 ms) and 8 (20 ms) req/s.
    CHECK(p.capacity_rps(1024, 64, 500, 15) == Approx(4 + 4.0 / 6));
    // Below the lowest profiled rate: scaled down in proportion.
    CHECK(p.capacity_rps(1024, 64, 30, 50) == Approx(0.5));
    double ttft = 0, itl = 0;
    p.expected(1024, 64, 6, ttft, itl);
    CHECK(ttft == Approx(145));
    CHECK(itl == Approx(17));
}

TEST_CASE("A malformed or missing profile file is an error naming the file and line", "[planner]") {
    CHECK_THROWS_WITH(fleet::PlannerProfile::load("/nonexistent/profile.csv"),
                      Contains("/nonexistent/profile.csv") && Contains("planner.profile"));
    CHECK_THROWS_WITH(fleet::PlannerProfile::parse("format = dynosim-planner-profile-1\ngpus_per_worker = 1\n"
                                                   "isl,osl,rate_rps,ttft_ms,itl_ms\n1024,64,1,abc,8\n",
                                                   "bad.csv"),
                      Contains("bad.csv:4") && Contains("ttft_ms"));
    CHECK_THROWS_WITH(fleet::PlannerProfile::parse("gpus_per_worker = 1\nisl,osl,rate_rps,ttft_ms,itl_ms\n", "x.csv"),
                      Contains("x.csv") && Contains("format"));
    CHECK_THROWS_WITH(fleet::PlannerProfile::parse("format = dynosim-planner-profile-1\ngpus_per_worker = 1\n"
                                                   "isl,osl,rate_rps,ttft_ms,itl_ms\n1024,64,1,60,8\n",
                                                   "one.csv"),
                      Contains("one.csv") && Contains("at least two rows"));
    // A missing profile through a scenario names the key's file too.
    auto o = scenario::load_scenario_text(planned("[{ duration_s = 10, rate_start = 1 }]", "kind = \"sla\"\n"),
                                          "t.toml", {"planner.profile=/nonexistent/p.csv"});
    CHECK_THROWS_WITH(scenario::run_scenario(o), Contains("planner.profile = /nonexistent/p.csv"));
}

TEST_CASE("Bad planner settings are config errors naming the key", "[planner]") {
    const std::string base = planned("[{ duration_s = 10, rate_start = 1 }]", "kind = \"sla\"\n");
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.ttft_ms=0"}),
                      Contains("planner.ttft_ms = 0") && Contains("> 0"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.itl_ms=-5"}), Contains("planner.itl_ms"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.min_replicas=4", "planner.max_replicas=2"}),
                      Contains("planner.max_replicas = 2"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.interval_s=0"}), Contains("planner.interval_s"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.predictor=arima"}), Contains("planner.predictor"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.profile=\"\""}), Contains("planner.profile"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.gpu_budget=1", "hardware.tp=2"}),
                      Contains("planner.gpu_budget = 1"));
    CHECK_THROWS_WITH(scenario::load_scenario_text(base, "t.toml", {"planner.kv_down=0.95"}), Contains("planner.kv_down"));
}

TEST_CASE("A step burst makes the SLA planner add workers that take requests only after the cold start", "[planner]") {
    // 2 req/s for 60 s, then 30 req/s for 120 s: one worker sustains 8.5 req/s, so the planner wants 4.
    const auto res = run_text(planned(
        "[{ duration_s = 60, rate_start = 2 }, { duration_s = 120, rate_start = 30 }]",
        "kind = \"sla\"\ninterval_s = 10\npredictor = \"constant\"\ncold_start_s = 45\nmax_replicas = 6\n"
        "initial_replicas = 1\ncorrection = false\n"));
    REQUIRE(res.summary.planner);
    const auto& r = *res.summary.planner;
    CHECK(res.summary.conserved);
    CHECK(r.scale_up_events >= 1);
    CHECK(r.max_ready >= 4);  // ceil(30 / 8.5), give or take the Poisson count of an interval
    CHECK(r.max_ready <= 5);
    bool added = false;
    for (const auto& w : r.workers) {
        if (w.requested_s == 0) continue;  // the initial worker
        added = true;
        CHECK(w.requested_s >= 60);  // nothing before the burst
        if (w.ready_s >= 0) CHECK(w.ready_s - w.requested_s == Approx(45));
    }
    CHECK(added);
    check_routed_to_ready(res);
    // During the cold start the lone worker was overloaded; once the others are ready the queue drains.
    CHECK(r.intervals.size() >= 18);
}

TEST_CASE("The KV router follows the changing set of ready workers", "[planner]") {
    const auto res = run_text(planned(
        "[{ duration_s = 40, rate_start = 2 }, { duration_s = 80, rate_start = 25 }, { duration_s = 100, rate_start = 1 }]",
        "kind = \"sla\"\ninterval_s = 10\ncold_start_s = 20\nmax_replicas = 5\n"), {"router.policy=kv"});
    CHECK(res.summary.conserved);
    CHECK(res.summary.finished == res.summary.arrived);
    CHECK(res.summary.planner->workers_ready > 1);
    CHECK(res.summary.planner->workers_drained >= 1);
    check_routed_to_ready(res);
}

TEST_CASE("A drained worker gets no new request and finishes the ones it has", "[planner]") {
    // Busy at 24 req/s on 4 workers, then almost idle: the planner drains down to min_replicas.
    const auto res = run_text(planned("[{ duration_s = 60, rate_start = 24 }, { duration_s = 120, rate_start = 0.5 }]",
                                      "kind = \"sla\"\ninterval_s = 15\ncold_start_s = 30\nmax_replicas = 4\n"
                                      "initial_replicas = 4\n"));
    const auto& r = *res.summary.planner;
    CHECK(res.summary.conserved);
    CHECK(res.summary.finished == res.summary.arrived);
    REQUIRE(r.workers_drained >= 1);
    check_routed_to_ready(res);
    for (const auto& w : r.workers) {
        if (w.drain_s < 0) continue;
        // It ends when its last request finishes (or at once when it had none), never before.
        double last_finish = w.drain_s;
        bool had = false;
        for (const auto& rec : res.recorder->records())
            if (rec.worker == w.slot && core::ns_to_seconds(rec.arrival_ns) >= w.requested_s &&
                core::ns_to_seconds(rec.arrival_ns) < w.drain_s) {
                CHECK(rec.status == metrics::RequestStatus::Finished);
                if (rec.finish_ns >= 0 && core::ns_to_seconds(rec.finish_ns) > w.drain_s) {
                    last_finish = std::max(last_finish, core::ns_to_seconds(rec.finish_ns));
                    had = true;
                }
            }
        CHECK(w.end_s == Approx(last_finish).margin(1e-9));
        (void)had;
    }
    CHECK(r.min_ready >= 1);
}

TEST_CASE("Min and max replicas and the GPU budget hold", "[planner]") {
    const std::string sched = "[{ duration_s = 60, rate_start = 1 }, { duration_s = 60, rate_start = 60 }, { duration_s = 60, rate_start = 0.2 }]";
    for (const char* kind : {"sla", "load"}) {
        INFO(kind);
        const auto res = run_text(planned(sched, std::string("kind = \"") + kind +
                                                     "\"\ninterval_s = 10\nsample_interval_s = 2\ncold_start_s = 5\n"
                                                     "min_replicas = 2\nmax_replicas = 5\ngpu_budget = 4\nkv_up = 0.02\nkv_down = 0.01\n"));
        const auto& r = *res.summary.planner;
        CHECK(res.summary.conserved);
        for (const auto& p : r.timeline) {
            CHECK(p.ready + p.starting <= 4);  // the budget (4 GPUs, tp 1) binds below max_replicas
            if (p.t_s > 0) CHECK(p.ready >= 2);
        }
        for (const auto& iv : r.intervals) {
            CHECK(iv.target >= 2);
            CHECK(iv.target <= 4);
        }
        CHECK(r.max_ready == 4);  // the 60 req/s burst needs more than the budget allows
    }
}

TEST_CASE("The adjustment interval bounds the number of decisions", "[planner]") {
    const std::string sched = "[{ duration_s = 30, rate_start = 2 }, { duration_s = 60, rate_start = 20, rate_end = 4 }]";
    std::int64_t prev = 0;
    for (const double interval : {20.0, 5.0, 1.0}) {
        const auto res = run_text(planned(sched, "kind = \"sla\"\ncold_start_s = 10\n"), {"planner.interval_s=" + std::to_string(interval)});
        const auto& r = *res.summary.planner;
        const double end = res.stats.simulated_seconds;
        INFO(interval);
        CHECK(r.decisions <= static_cast<std::int64_t>(std::floor(end / interval)) + 1);
        CHECK(r.scale_up_events + r.scale_down_events <= r.decisions);
        for (std::size_t k = 0; k < r.intervals.size(); ++k) CHECK(r.intervals[k].t_s == Approx(interval * (k + 1)));
        CHECK(r.decisions > prev);
        prev = r.decisions;
    }
}

TEST_CASE("GPU-hours equal the integral of provisioned GPUs", "[planner]") {
    const auto res = run_text(planned("[{ duration_s = 40, rate_start = 3 }, { duration_s = 60, rate_start = 30 }, { duration_s = 60, rate_start = 1 }]",
                                      "kind = \"sla\"\ninterval_s = 10\ncold_start_s = 20\ncold_start_dist = \"lognormal\"\n"
                                      "max_replicas = 6\n"),
                              {"hardware.tp=2", "timing.kind=roofline"});
    const auto& r = *res.summary.planner;
    const double end = res.stats.simulated_seconds;
    // Integral of the timeline's step function (ready + starting + draining workers, 2 GPUs each).
    double area = 0;
    for (std::size_t k = 0; k < r.timeline.size(); ++k) {
        const double t1 = k + 1 < r.timeline.size() ? r.timeline[k + 1].t_s : end;
        const auto& p = r.timeline[k];
        area += (t1 - p.t_s) * (p.ready + p.starting + p.draining) * 2;
    }
    CHECK(r.workers_requested > 1);
    CHECK(r.gpu_hours == Approx(area / 3600).epsilon(1e-9));
    CHECK(res.summary.gpu_seconds == Approx(area).epsilon(1e-9));
    // Cold starts drawn (lognormal): not all equal, all billed.
    double lo = 1e9, hi = 0;
    for (const auto& w : r.workers)
        if (w.requested_s > 0 && w.ready_s >= 0) {
            lo = std::min(lo, w.ready_s - w.requested_s);
            hi = std::max(hi, w.ready_s - w.requested_s);
        }
    CHECK(hi > lo);
}

TEST_CASE("A planner pinned to a fixed count bills that count for the whole run", "[planner]") {
    const auto res = run_text(planned("[{ duration_s = 60, rate_start = 5 }]",
                                      "kind = \"load\"\ninterval_s = 10\nmin_replicas = 3\nmax_replicas = 3\n"));
    const auto& r = *res.summary.planner;
    CHECK(r.workers_requested == 3);
    CHECK(r.scale_up_events == 0);
    CHECK(r.scale_down_events == 0);
    CHECK(r.gpu_hours == Approx(3 * res.stats.simulated_seconds / 3600));
}

TEST_CASE("The load planner scales up on a queue and down when idle, one worker per interval", "[planner]") {
    const auto res = run_text(planned("[{ duration_s = 30, rate_start = 2 }, { duration_s = 90, rate_start = 40 }, { duration_s = 120, rate_start = 0.5 }]",
                                      "kind = \"load\"\ninterval_s = 10\nsample_interval_s = 1\ncold_start_s = 5\n"
                                      "max_replicas = 8\ngrace_intervals = 1\n"));
    const auto& r = *res.summary.planner;
    CHECK(res.summary.conserved);
    CHECK(r.scale_up_events >= 2);
    CHECK(r.scale_down_events >= 1);
    for (std::size_t k = 0; k < r.intervals.size(); ++k) {
        const auto& iv = r.intervals[k];
        CHECK(std::abs(iv.target - (iv.ready + iv.starting)) <= 1);
        if (iv.starting > 0) CHECK(iv.target == iv.ready + iv.starting);  // scaling in progress: observe only
    }
    check_routed_to_ready(res);
}

TEST_CASE("The same planner config and seed give the same summary", "[planner]") {
    const std::string text = planned("[{ duration_s = 30, rate_start = 2 }, { duration_s = 30, rate_start = 20 }]",
                                     "kind = \"sla\"\ninterval_s = 5\ncold_start_s = 10\ncold_start_dist = \"exponential\"\n");
    const auto a = run_text(text), b = run_text(text);
    CHECK(metrics::summary_json(a.summary) == metrics::summary_json(b.summary));
    CHECK(metrics::planner_csv(*a.summary.planner) == metrics::planner_csv(*b.summary.planner));
}

TEST_CASE("dynosim profile writes a profile the planner reads", "[planner]") {
    const auto dir = dynosim::test::temp_dir("planner-profile-cli");
    const auto out = dir / "w.profile";
    const auto r = dynosim::test::run_cli("profile --isl 1024 --osl 32,64 --rates 1,4 --duration 10 --quiet --out " +
                                          out.string());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto p = fleet::PlannerProfile::load(out.string());
    CHECK(p.isls() == std::vector<double>{1024});
    CHECK(p.osls() == std::vector<double>{32, 64});
    double ttft = 0, itl = 0;
    p.expected(1024, 64, 1, ttft, itl);
    CHECK(ttft > 0);
    CHECK(itl > 0);
    // More load, no less latency.
    double ttft4 = 0, itl4 = 0;
    p.expected(1024, 64, 4, ttft4, itl4);
    CHECK(itl4 >= itl);
    const auto bad = dynosim::test::run_cli("profile --rates 0 --out " + (dir / "x").string());
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.output, Contains("--rates 0"));
}

TEST_CASE("Cold starts are drawn from the configured distribution", "[planner]") {
    // Uniform x [0.5, 1.5] around 30 s: every start between 15 and 45 s, not all equal.
    const auto res = run_text(planned("[{ duration_s = 20, rate_start = 1 }, { duration_s = 120, rate_start = 40 }]",
                                      "kind = \"sla\"\ninterval_s = 5\ncold_start_s = 30\ncold_start_dist = \"uniform\"\n"
                                      "cold_start_spread = 0.5\nmax_replicas = 8\ncorrection = false\n"));
    const auto& r = *res.summary.planner;
    double lo = 1e9, hi = 0;
    for (const auto& w : r.workers)
        if (w.requested_s > 0 && w.ready_s >= 0) {
            lo = std::min(lo, w.ready_s - w.requested_s);
            hi = std::max(hi, w.ready_s - w.requested_s);
        }
    REQUIRE(r.workers_ready > 3);
    CHECK(lo >= 15);
    CHECK(hi <= 45);
    CHECK(hi - lo > 5);
    CHECK(r.mean_cold_start_s >= lo);
    CHECK(r.mean_cold_start_s <= hi);
}

TEST_CASE("The run's time series follows the planner's replica count", "[planner][timeseries]") {
    const auto res = run_text(planned(
        "[{ duration_s = 60, rate_start = 2 }, { duration_s = 120, rate_start = 30 }]",
        "kind = \"sla\"\ninterval_s = 10\npredictor = \"constant\"\ncold_start_s = 45\nmax_replicas = 6\n"
        "initial_replicas = 1\ncorrection = false\n"),
        {"metrics.timeseries_interval_s=5"});
    REQUIRE(res.timeseries != nullptr);
    REQUIRE(res.summary.planner);
    const auto& cols = res.timeseries->columns();
    REQUIRE(cols.size() >= 7);
    CHECK(cols[4] == "replicas");
    CHECK(cols[5] == "starting_replicas");
    std::istringstream in(res.timeseries->csv());
    std::string line;
    std::getline(in, line);
    double max_ready = 0, max_starting = 0, arrivals = 0, first_ready_up = -1;
    while (std::getline(in, line)) {
        std::vector<double> v;
        std::istringstream cells(line);
        std::string c;
        while (std::getline(cells, c, ',')) v.push_back(std::stod(c));
        arrivals += v[1] * 5;
        if (v[5] > 1 && first_ready_up < 0) first_ready_up = v[0];
        max_ready = std::max(max_ready, v[5]);
        max_starting = std::max(max_starting, v[6]);
    }
    // One worker until the burst at 60 s; the added ones are ready only after the 45 s cold start.
    CHECK(max_ready == res.summary.planner->max_ready);
    CHECK(max_starting >= 1);
    CHECK(first_ready_up >= 105);
    CHECK(arrivals == Approx(static_cast<double>(res.summary.arrived)));
}
