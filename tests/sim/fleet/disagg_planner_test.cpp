// The SLA planner's decisions for a disaggregated fleet and the profile file's prefill / decode pools.
#include <catch2/catch.hpp>

#include <string>

#include "sim/fleet/disagg_planner.hpp"
#include "sim/fleet/planner_profile.hpp"

using namespace dynosim::sim;
using Catch::Matchers::Contains;

namespace {

// An aggregated section (as older files hold), then one prefill worker's and one decode worker's sweeps.
// Prefill at ISL 1024: TTFT 100 ms is reached at 4 req/s = 4096 prompt tokens/s per worker; at ISL 2048 at
// 2 req/s = 4096 tokens/s too. Decode at OSL 64: ITL 30 ms is crossed at 4 + 4 x (30 - 20) / (60 - 20) = 5
// req/s = 320 output tokens/s per worker; at OSL 128, 2.5 req/s = 320 tokens/s.
const std::string kAgg = R"(# test profile
format = dynosim-planner-profile-1
gpus_per_worker = 1
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,1,60,8
1024,64,8,200,20
)";
const std::string kPools = R"(pool = prefill
gpus_per_worker = 1
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,1,50,1
1024,64,2,60,1
1024,64,4,100,1
1024,64,8,400,1
2048,64,0.5,50,1
2048,64,1,60,1
2048,64,2,100,1
2048,64,4,400,1
pool = decode
gpus_per_worker = 2
isl,osl,rate_rps,ttft_ms,itl_ms
1024,64,1,900,10
1024,64,2,900,12
1024,64,4,900,20
1024,64,8,900,60
1024,128,0.5,900,10
1024,128,1,900,12
1024,128,2,900,20
1024,128,4,900,60
)";

fleet::PlannerOptions sla(double interval_s = 10) {
    fleet::PlannerOptions o;
    o.kind = "sla";
    o.predictor = "constant";
    o.interval_s = interval_s;
    o.ttft_ms = 100;
    o.itl_ms = 30;
    o.correction = false;
    return o;
}

fleet::DisaggObservation observe(std::int64_t arrivals, double isl, double osl, std::int32_t p, std::int32_t d) {
    fleet::DisaggObservation obs;
    obs.requests.interval_s = 10;
    obs.requests.arrivals = arrivals;
    obs.requests.mean_isl = isl;
    obs.requests.mean_osl = osl;
    obs.requests.mean_ttft_ms = std::nan("");
    obs.requests.mean_itl_ms = std::nan("");
    obs.prefill_ready = p;
    obs.decode_ready = d;
    return obs;
}

fleet::PoolBounds pool(std::int32_t lo, std::int32_t hi, std::int32_t gpus) {
    fleet::PoolBounds b;
    b.min_replicas = lo;
    b.max_replicas = hi;
    b.gpus_per_worker = gpus;
    return b;
}

}  // namespace

TEST_CASE("A profile file holds the aggregated pool and the prefill and decode pools", "[planner]") {
    const auto set = fleet::ProfileSet::parse(kAgg + kPools, "p.profile");
    REQUIRE(set.aggregated);
    REQUIRE(set.prefill);
    REQUIRE(set.decode);
    CHECK(set.decode->gpus_per_worker() == 2);
    CHECK(set.prefill->capacity_rps(1024, 64, 100, 1e9) == Approx(4));
    CHECK(set.decode->capacity_rps(1024, 64, 1e9, 30) == Approx(5));
    // The aggregated planner reads the same file as before the pools existed.
    CHECK(fleet::PlannerProfile::parse(kAgg + kPools, "p.profile").capacity_rps(1024, 64, 500, 50) == Approx(8));
    CHECK(fleet::PlannerProfile::parse(kAgg, "p.profile").capacity_rps(1024, 64, 500, 50) == Approx(8));
    const auto only_agg = fleet::ProfileSet::parse(kAgg, "a.profile");
    CHECK(only_agg.aggregated);
    CHECK_FALSE(only_agg.prefill);
    // A pools-only file has no aggregated profile.
    const std::string pools_only = "format = dynosim-planner-profile-1\n" + kPools;
    CHECK_FALSE(fleet::ProfileSet::parse(pools_only, "d.profile").aggregated);
    CHECK_THROWS_WITH(fleet::PlannerProfile::parse(pools_only, "d.profile"),
                      Contains("d.profile") && Contains("no aggregated profile"));
}

TEST_CASE("Malformed pool sections are errors naming the file and line or pool", "[planner]") {
    CHECK_THROWS_WITH(fleet::ProfileSet::parse(kAgg + "pool = mixed\n", "p.profile"),
                      Contains("p.profile:7") && Contains("pool = mixed"));
    CHECK_THROWS_WITH(fleet::ProfileSet::parse(kAgg + kPools + "pool = decode\ngpus_per_worker = 1\n", "p.profile"),
                      Contains("p.profile:29") && Contains("appears twice"));
    CHECK_THROWS_WITH(fleet::ProfileSet::parse(kAgg + "pool = prefill\nisl,osl,rate_rps,ttft_ms,itl_ms\n", "p.profile"),
                      Contains("pool = prefill") && Contains("gpus_per_worker"));
    CHECK_THROWS_WITH(fleet::ProfileSet::parse(kAgg + "pool = decode\ngpus_per_worker = 1\n"
                                               "isl,osl,rate_rps,ttft_ms,itl_ms\n1024,64,1,9,9\n",
                                               "p.profile"),
                      Contains("pool = decode") && Contains("at least two rows"));
    fleet::ProfileSet agg_only = fleet::ProfileSet::parse(kAgg, "a.profile");
    CHECK_THROWS_WITH(fleet::DisaggSlaPlanner(sla(), pool(1, 8, 1), pool(1, 8, 2), 0, agg_only, "a.profile"),
                      Contains("a.profile") && Contains("pool = prefill"));
}

TEST_CASE("The disaggregated SLA planner sizes prefill from load x ISL and decode from load x OSL", "[planner]") {
    const auto set = fleet::ProfileSet::parse(kAgg + kPools, "p.profile");
    fleet::DisaggSlaPlanner pl(sla(), pool(1, 16, 1), pool(1, 16, 2), 0, set, "p.profile");
    // 10 req/s at ISL 1024, OSL 64: 10240 prompt tokens/s over 4096 per prefill worker -> 3; 640 output
    // tokens/s over 320 per decode worker -> 2.
    auto d = pl.decide(observe(100, 1024, 64, 1, 1));
    CHECK(d.predicted_rps == Approx(10));
    CHECK(d.prefill_tokens_per_s == Approx(10240));
    CHECK(d.prefill_capacity_tokens_per_s == Approx(4096));
    CHECK(d.decode_capacity_tokens_per_s == Approx(320));
    CHECK(d.prefill_target == 3);
    CHECK(d.decode_target == 2);
    // Twice the prompt per request: twice the prompt tokens, same tokens/s per prefill worker -> 5 (of
    // 20480 / 4096); the decode pool is unchanged.
    fleet::DisaggSlaPlanner longer(sla(), pool(1, 16, 1), pool(1, 16, 2), 0, set, "p.profile");
    d = longer.decide(observe(100, 2048, 64, 1, 1));
    CHECK(d.prefill_target == 5);
    CHECK(d.decode_target == 2);
    // Twice the output: only the decode pool grows (1280 / 320 = 4).
    fleet::DisaggSlaPlanner wordier(sla(), pool(1, 16, 1), pool(1, 16, 2), 0, set, "p.profile");
    d = wordier.decide(observe(100, 1024, 128, 1, 1));
    CHECK(d.prefill_target == 3);
    CHECK(d.decode_target == 4);
}

TEST_CASE("Disaggregated correction factors tighten each pool's own target", "[planner]") {
    const auto set = fleet::ProfileSet::parse(kAgg + kPools, "p.profile");
    fleet::PlannerOptions o = sla();
    o.correction = true;
    fleet::DisaggSlaPlanner pl(o, pool(1, 64, 1), pool(1, 64, 2), 0, set, "p.profile");
    // 20 req/s on 10 prefill and 10 decode workers: 2 req/s each, where the profile expects 60 ms TTFT and
    // 12 ms ITL. Observed TTFT 120 ms (x2): the prefill target becomes 50 ms, met at 1 req/s = 1024 tokens/s
    // per worker -> 20 workers. ITL as expected: decode stays at 1280 / 320 = 4.
    auto obs = observe(200, 1024, 64, 10, 10);
    obs.requests.mean_ttft_ms = 120;
    obs.requests.mean_itl_ms = 12;
    auto d = pl.decide(obs);
    CHECK(d.ttft_correction == Approx(2));
    CHECK(d.itl_correction == Approx(1));
    CHECK(d.prefill_target == 20);
    CHECK(d.decode_target == 4);
    // Observed ITL 24 ms (x2): decode's target becomes 15 ms, crossed at 2 + 2 x 3 / 8 = 2.75 req/s = 176
    // tokens/s per worker -> ceil(1280 / 176) = 8.
    obs.requests.mean_ttft_ms = 60;
    obs.requests.mean_itl_ms = 24;
    d = pl.decide(obs);
    CHECK(d.ttft_correction == Approx(1));
    CHECK(d.itl_correction == Approx(2));
    CHECK(d.prefill_target == 5);
    CHECK(d.decode_target == 8);
}

TEST_CASE("Per-pool bounds and the shared GPU budget hold", "[planner]") {
    const auto set = fleet::ProfileSet::parse(kAgg + kPools, "p.profile");
    // Idle: each pool keeps its own minimum.
    fleet::DisaggSlaPlanner idle(sla(), pool(2, 4, 1), pool(3, 6, 2), 0, set, "p.profile");
    auto d = idle.decide(observe(0, 1024, 64, 2, 3));
    CHECK(d.prefill_target == 2);
    CHECK(d.decode_target == 3);
    // 100 req/s wants 25 prefill and 20 decode workers: each pool stops at its own maximum.
    fleet::DisaggSlaPlanner busy(sla(), pool(2, 4, 1), pool(3, 6, 2), 0, set, "p.profile");
    d = busy.decide(observe(1000, 1024, 64, 2, 3));
    CHECK(d.prefill_target == 4);
    CHECK(d.decode_target == 6);
    CHECK_FALSE(d.budget_bound);
    // A 12-GPU budget over both pools: 4 x 1 + 6 x 2 = 16 GPUs wanted, scaled by 12 / 16: prefill
    // round(3) = 3, decode takes the remaining 9 GPUs -> 4 workers (8 GPUs).
    fleet::DisaggSlaPlanner budget(sla(), pool(2, 4, 1), pool(3, 6, 2), 12, set, "p.profile");
    d = budget.decide(observe(1000, 1024, 64, 2, 3));
    CHECK(d.budget_bound);
    CHECK(d.prefill_target == 3);
    CHECK(d.decode_target == 4);
    CHECK(d.prefill_target * 1 + d.decode_target * 2 <= 12);
    // A budget that only holds the minima: both pools sit at their minimum.
    fleet::DisaggSlaPlanner tight(sla(), pool(2, 4, 1), pool(3, 6, 2), 8, set, "p.profile");
    d = tight.decide(observe(1000, 1024, 64, 2, 3));
    CHECK(d.prefill_target == 2);
    CHECK(d.decode_target == 3);
}
