// The SLA planner running a disaggregated fleet: both pools scale after a burst, within their bounds, and
// the bill is the integral over both pools.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "sim/fleet/planner_profile.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_support.hpp"
#include "tests/sim/fleet/planner_fixture.hpp"

using namespace dynosim::sim;
using namespace dynosim::sim::test_planner;
using Catch::Matchers::Contains;

namespace {

// One prefill and one decode worker of Llama-3.1-8B on an H100 at ISL 1024 / OSL 64. At TTFT 500 ms a
// prefill worker sustains 16 + 8 x (500 - 150) / (2000 - 150) = 17.5 req/s; at ITL 20 ms a decode worker
// 32 + 32 x (20 - 15) / (40 - 15) = 38.4 req/s.
const char* kProfile = R"(# test profile
format = dynosim-planner-profile-1
pool = prefill
gpus_per_worker = 1
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,4,60,1
1024,64,8,80,1
1024,64,16,150,1
1024,64,24,2000,1
pool = decode
gpus_per_worker = 1
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,4,100,8
1024,64,8,100,9
1024,64,16,100,11
1024,64,32,100,15
1024,64,64,100,40
)";

// Fixed 1024 / 64 requests at a rate schedule on one prefill and one decode worker under the SLA planner;
// `tag` names the profile's folder.
std::string planned(const std::string& tag, const std::string& schedule, const std::string& extra = "") {
    return fixed_workload(schedule) + R"([disagg]
enabled = true
prefill.workers = 1
decode.workers = 1
[planner]
kind = "sla"
interval_s = 10
predictor = "constant"
cold_start_s = 30
ttft_ms = 500
itl_ms = 20
correction = false
profile = ")" + write_profile("planned-disagg-profile-" + tag, kProfile).string() + "\"\n" + extra;
}

const char* kBurst = "[{ duration_s = 40, rate_start = 2 }, { duration_s = 90, rate_start = 60 }, { duration_s = 60, "
                     "rate_start = 1 }]";

const metrics::PlannerReport& pool(const metrics::PlannerReport& r, const std::string& name) {
    for (const auto& p : r.pools)
        if (p.pool == name) return p;
    FAIL("no pool " << name);
    return r;
}

// The life of global worker `w` at time t_s (the latest start at or before t), or null.
const metrics::WorkerLife* life_at(const metrics::PlannerReport& r, std::int32_t w, double t_s) {
    const metrics::WorkerLife* best = nullptr;
    for (const auto& l : r.workers)
        if (l.slot == w && l.requested_s <= t_s && (!best || l.requested_s >= best->requested_s)) best = &l;
    return best;
}

}  // namespace

TEST_CASE("A step burst on a disaggregated fleet scales both pools after the cold start", "[planner][disagg]") {
    // 60 req/s: ceil(60 / 17.5) = 4 prefill and ceil(60 / 38.4) = 2 decode workers.
    const auto res = run_text(planned("burst", kBurst));
    REQUIRE(res.summary.planner);
    const auto& r = *res.summary.planner;
    CHECK(res.summary.conserved);
    CHECK(res.summary.finished == res.summary.submitted);
    REQUIRE(r.pools.size() == 2);
    const auto& pre = pool(r, "prefill");
    const auto& dec = pool(r, "decode");
    CHECK(pre.max_ready == 4);
    CHECK(dec.max_ready == 2);
    CHECK(pre.scale_down_events >= 1);  // back to one worker after the burst
    CHECK(dec.scale_down_events >= 1);
    for (const auto* p : {&pre, &dec}) {
        CHECK(p->decisions == r.decisions);
        bool added = false;
        for (const auto& w : p->workers) {
            if (w.requested_s == 0) continue;  // the initial worker
            added = true;
            CHECK(w.requested_s >= 40);  // nothing before the burst
            if (w.ready_s >= 0) CHECK(w.ready_s - w.requested_s == Approx(30));
        }
        CHECK(added);
    }
    // Prefill slots are workers 0..15 (2 x planner.max_replicas = 8), decode workers follow them. Every
    // prompt went to a prefill worker that was ready and not draining at the request's arrival, every
    // request to a decode worker that was ready before its first token.
    const std::int32_t prefill_slots = 16;
    for (const auto& rec : res.recorder->records()) {
        REQUIRE(rec.worker >= prefill_slots);
        const metrics::WorkerLife* d = life_at(dec, rec.worker, core::ns_to_seconds(rec.first_token_ns));
        REQUIRE(d != nullptr);
        CHECK(d->ready_s >= 0);
        CHECK(d->ready_s <= core::ns_to_seconds(rec.first_token_ns));
        REQUIRE(rec.prefill_worker >= 0);
        REQUIRE(rec.prefill_worker < prefill_slots);
        const double t = core::ns_to_seconds(rec.arrival_ns);
        const metrics::WorkerLife* p = life_at(pre, rec.prefill_worker, t);
        REQUIRE(p != nullptr);
        CHECK(p->ready_s >= 0);
        CHECK(p->ready_s <= t);
        if (p->drain_s >= 0) CHECK(t < p->drain_s);
    }
    // The burst was served: once the new prefill workers were ready TTFT is within the target.
    CHECK(res.summary.ttft.p50 < 500);
}

TEST_CASE("Each pool's min and max replicas hold", "[planner][disagg]") {
    const auto res = run_text(planned("bounds", kBurst, "prefill_max_replicas = 2\ndecode_min_replicas = 3\ndecode_max_replicas = 4\n"));
    const auto& r = *res.summary.planner;
    const auto& pre = pool(r, "prefill");
    const auto& dec = pool(r, "decode");
    CHECK(pre.max_ready == 2);
    for (const auto& iv : pre.intervals) CHECK(iv.target <= 2);
    for (const auto& iv : dec.intervals) {
        CHECK(iv.target >= 3);
        CHECK(iv.target <= 4);
    }
    // The decode pool starts at its minimum (disagg.decode.workers = 1 is raised to 3) and never goes below.
    CHECK(dec.min_ready == 3);
    CHECK(dec.workers.front().requested_s == 0);
}

TEST_CASE("GPU-hours of a disaggregated planner equal the integral over both pools", "[planner][disagg]") {
    const auto res = run_text(planned("bill", kBurst, "cold_start_dist = \"lognormal\"\n"), {"disagg.decode.tp=2"});
    const auto& r = *res.summary.planner;
    const double end = res.stats.simulated_seconds;
    double area = 0;
    for (const auto& p : r.pools) {
        for (std::size_t k = 0; k < p.timeline.size(); ++k) {
            const double t1 = k + 1 < p.timeline.size() ? p.timeline[k + 1].t_s : end;
            const auto& q = p.timeline[k];
            area += (t1 - q.t_s) * (q.ready + q.starting + q.draining) * p.gpus_per_worker;
        }
    }
    CHECK(pool(r, "decode").gpus_per_worker == 2);
    CHECK(r.workers_requested > 2);
    CHECK(r.gpu_hours == Approx(area / 3600).epsilon(1e-9));
    CHECK(res.summary.gpu_seconds == Approx(area).epsilon(1e-9));
    CHECK(r.gpu_hours == Approx(pool(r, "prefill").gpu_hours + pool(r, "decode").gpu_hours));
}

TEST_CASE("The same disaggregated planner config and seed give the same summary", "[planner][disagg]") {
    const std::string cfg = planned("same", kBurst, "cold_start_dist = \"uniform\"\n");
    const auto a = run_text(cfg, {"disagg.flow=decode_first"});
    const auto b = run_text(cfg, {"disagg.flow=decode_first"});
    CHECK(metrics::summary_json(a.summary) == metrics::summary_json(b.summary));
    CHECK(a.summary.conserved);
    CHECK(a.summary.planner->pools.size() == 2);
}

TEST_CASE("Bad disaggregated planner settings are errors naming the key", "[planner][disagg]") {
    auto fails = [](const std::string& text, const std::vector<std::string>& sets, const std::string& what) {
        CHECK_THROWS_WITH(scenario::load_scenario_text(text, "test.toml", sets), Contains(what));
    };
    const std::string cfg = planned("bad", kBurst);
    fails(cfg, {"planner.prefill_min_replicas=3", "planner.prefill_max_replicas=2"}, "planner.prefill_min_replicas = 3");
    fails(cfg, {"planner.decode_max_replicas=-1"}, "planner.decode_max_replicas = -1");
    fails(cfg, {"planner.kind=load"}, "sla planner only");
    fails(cfg, {"planner.initial_replicas=2"}, "planner.initial_replicas = 2");
    fails(cfg, {"planner.gpu_budget=1"}, "planner.gpu_budget = 1");
    fails(cfg, {"disagg.enabled=false", "planner.prefill_max_replicas=2"}, "planner.prefill_max_replicas = 2");
    // A profile without the pools' sections.
    const auto dir = dynosim::test::temp_dir("planned-disagg-agg-profile");
    dynosim::test::write_file(dir / "agg.csv",
                              "format = dynosim-planner-profile-1\ngpus_per_worker = 1\nisl,osl,rate_rps,ttft_ms,itl_ms\n"
                              "1024,64,1,60,8\n1024,64,8,200,20\n");
    CHECK_THROWS_WITH(run_text(cfg, {"planner.profile=" + (dir / "agg.csv").string()}), Contains("pool = prefill"));
}

TEST_CASE("dynosim profile --pools disagg writes the pools' sections the disaggregated planner reads", "[planner][disagg]") {
    const auto dir = dynosim::test::temp_dir("planned-disagg-profile-cli");
    const auto out = dir / "pools.profile";
    const std::string sets = " --set disagg.enabled=true --set disagg.decode.tp=2";
    const auto r = dynosim::test::run_cli("profile --pools disagg --ample 2 --isl 1024 --osl 64 --rates 2,32 --duration 10 "
                                          "--quiet --out " + out.string() + sets);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto set = fleet::ProfileSet::load(out.string());
    CHECK_FALSE(set.aggregated);
    REQUIRE(set.prefill);
    REQUIRE(set.decode);
    CHECK(set.prefill->gpus_per_worker() == 1);
    CHECK(set.decode->gpus_per_worker() == 2);
    // A prefill worker's TTFT and a decode worker's ITL grow with its rate.
    double t2 = 0, t32 = 0, i2 = 0, i32 = 0, unused = 0;
    set.prefill->expected(1024, 64, 2, t2, unused);
    set.prefill->expected(1024, 64, 32, t32, unused);
    set.decode->expected(1024, 64, 2, unused, i2);
    set.decode->expected(1024, 64, 32, unused, i32);
    CHECK(t32 > t2);
    CHECK(i32 > i2);
    // The planner runs on it.
    const auto res = run_text(planned("from-cli", kBurst, ""), {"planner.profile=" + out.string(), "disagg.decode.tp=2"});
    CHECK(res.summary.planner->pools.size() == 2);
    const auto agg = dynosim::test::run_cli("profile --pools disagg --rates 1 --out " + (dir / "x").string());
    CHECK(agg.exit_code == 2);
    CHECK_THAT(agg.output, Contains("disagg.enabled = true"));
}
