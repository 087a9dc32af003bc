// Dynamo's KV router: indexer fed by (delayed) KV events or approximate routes, active-load tracking, the
// cost and the pick; and whole runs with router.policy = "kv".
#include <catch2/catch.hpp>

#include <set>

#include "sim/fleet/kv_router.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/block_hashes.hpp"
#include "tests/sim/fleet/kv_router_fixture.hpp"

using namespace dynosim::sim;
using namespace dynosim::sim::test_kv_router;

namespace {


void store_all(fleet::KvRouter& r, std::int32_t worker, const std::vector<std::uint64_t>& keys, core::TimeNs t) {
    for (auto k : keys) r.kv_stored(worker, k, t);
}

}  // namespace

TEST_CASE("kv router sends a request to the worker caching its prefix when loads are equal", "[fleet][kv]") {
    const auto w = make_workload({{8, 1}, {8, 1}});
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto r = make(w, 3, {}, seed);
        store_all(r, 1, keys_of(w, 0), 0);
        CHECK(r.choose_at(w.requests[1], 10, 3) == 1);
        CHECK(r.last_overlap_blocks() == 8);
    }
}

TEST_CASE("kv router with overlap weight 0 follows load only", "[fleet][kv]") {
    // One worker caches the prefix of request 1 but already runs request 2 (2 blocks); the other is empty.
    const auto w = make_workload({{8, 1}, {8, 1}, {2, 7}});
    fleet::RouterOptions o;
    o.overlap_score_weight = 0;
    auto r = make(w, 2, o);
    store_all(r, 0, keys_of(w, 0), 0);
    r.choose_at(w.requests[2], 1, 2);  // an unrelated request: both empty, goes somewhere
    const std::int32_t busy = r.loads().blocks(0) > 0 ? 0 : 1;
    store_all(r, busy, keys_of(w, 0), 0);
    // The cached worker is the busy one; load-only routing avoids it.
    CHECK(r.choose_at(w.requests[1], 10, 2) == static_cast<std::size_t>(1 - busy));

    // The same state with the default weight 1 (request 2's prefill done): on the cached worker 0 prefill +
    // 2 + 8 blocks = 10, on the empty one 8 prefill blocks + 8 = 16: the cached worker wins.
    auto k = make(w, 2);
    k.choose_at(w.requests[2], 1, 2);
    const std::int32_t busy2 = k.loads().blocks(0) > 0 ? 0 : 1;
    k.first_token(busy2, w.requests[2].id, 2);
    store_all(k, busy2, keys_of(w, 0), 0);
    CHECK(k.choose_at(w.requests[1], 10, 2) == static_cast<std::size_t>(busy2));
}

TEST_CASE("kv router cost is overlap weight x prefill blocks + decode blocks", "[fleet][kv]") {
    // Worker 0: request 0 (4 blocks, prefix 1) in flight, prefill not done -> 64 prefill tokens, 4 blocks.
    // Request 1 (4 blocks, prefix 2): on 0 costs w x (64 + 64)/16 + (4 + 4) = 8w + 8; on 1: 4w + 4.
    const auto w = make_workload({{4, 1}, {4, 2}, {4, 2}});
    auto r = make(w, 2);
    const std::size_t first = r.choose_at(w.requests[0], 0, 2);
    CHECK(r.loads().prefill_tokens(static_cast<std::int32_t>(first)) == 64);
    CHECK(r.loads().blocks(static_cast<std::int32_t>(first)) == 4);
    CHECK(r.choose_at(w.requests[1], 1, 2) == 1 - first);
    // Prefill done on `first`: only its blocks count; request 2 shares request 1's blocks on the other worker.
    r.first_token(static_cast<std::int32_t>(first), 0, 2);
    CHECK(r.loads().prefill_tokens(static_cast<std::int32_t>(first)) == 0);
    r.finished(static_cast<std::int32_t>(first), 0, 3);
    CHECK(r.loads().blocks(static_cast<std::int32_t>(first)) == 0);
    // 1 - first holds request 1 (64 prefill tokens, 4 blocks shared with request 2): cost 8 + 4 = 12;
    // `first` is empty: 4 + 4 = 8.
    CHECK(r.choose_at(w.requests[2], 4, 2) == first);
}

TEST_CASE("kv router sees KV events only after the configured delay", "[fleet][kv]") {
    // Worker 1 runs an unrelated 2-block request, so without cache knowledge worker 0 wins; once the event
    // that worker 1 stored request 1's prefix is seen, worker 1 wins.
    const auto w = make_workload({{2, 9}, {8, 1}, {8, 1}, {8, 1}});
    fleet::RouterOptions o;
    o.kv_event_delay_ms = 100;
    for (bool delayed : {true, false}) {
        auto r = make(w, 2, delayed ? o : fleet::RouterOptions{});
        // Book request 0 on worker 1 by making worker 0 look busier first: store nothing, pick, then check.
        const std::size_t busy = r.choose_at(w.requests[0], 0, 2);
        store_all(r, static_cast<std::int32_t>(busy), keys_of(w, 1), core::kNsPerMs);
        const std::size_t at_50ms = r.choose_at(w.requests[1], 50 * core::kNsPerMs, 2);
        r.on_rejected(1);  // undo that booking so the next query sees the same loads
        if (delayed) CHECK(at_50ms == 1 - busy);  // stale view: no cache known, load decides
        else CHECK(at_50ms == busy);
        CHECK(r.choose_at(w.requests[2], 150 * core::kNsPerMs, 2) == busy);  // event seen by now either way
        r.on_rejected(2);
        // Eviction of the prefix at 200 ms: still believed cached at 250 ms with the delay, not without.
        for (auto k : keys_of(w, 1)) r.kv_removed(static_cast<std::int32_t>(busy), k, 200 * core::kNsPerMs);
        const std::size_t at_250ms = r.choose_at(w.requests[3], 250 * core::kNsPerMs, 2);
        if (delayed) CHECK(at_250ms == busy);
        else CHECK(at_250ms == 1 - busy);
    }
}

TEST_CASE("kv router approximate mode remembers routed blocks for the TTL", "[fleet][kv]") {
    const auto w = make_workload({{8, 1}, {8, 1}, {8, 1}, {1, 5}});
    fleet::RouterOptions o;
    o.use_kv_events = false;
    o.ttl_s = 10;
    auto r = make(w, 4, o);
    const std::size_t first = r.choose_at(w.requests[0], 0, 4);
    r.first_token(0, 0, core::kNsPerSec);
    r.finished(0, 0, core::kNsPerSec);  // no load left anywhere
    r.kv_stored(2, keys_of(w, 0)[0], 0);  // events are ignored in this mode
    CHECK(r.choose_at(w.requests[1], 5 * core::kNsPerSec, 4) == first);
    r.on_rejected(1);
    CHECK(r.indexer().holds(static_cast<std::int32_t>(first), keys_of(w, 0)[0]));
    // Past the TTL (counted from the last route at 5 s) the entries are gone: overlap 0 everywhere.
    r.choose_at(w.requests[2], 16 * core::kNsPerSec, 4);
    CHECK(r.last_overlap_blocks() == 0);
}

TEST_CASE("kv router temperature 0 is deterministic and temperature > 0 reproducible per seed", "[fleet][kv]") {
    const std::vector<double> logits = {5.0, 3.0, 3.5, 9.0};
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        core::Rng rng(seed);
        CHECK(fleet::select_worker(logits, 0.0, rng) == 1);
    }
    auto draws = [&](std::uint64_t seed, double t) {
        core::Rng rng(seed);
        std::vector<std::size_t> out;
        for (int i = 0; i < 400; ++i) out.push_back(fleet::select_worker(logits, t, rng));
        return out;
    };
    const auto a = draws(7, 1.0), b = draws(7, 1.0), c = draws(8, 1.0);
    CHECK(a == b);
    CHECK(a != c);
    std::vector<int> counts(4, 0);
    for (auto i : a) ++counts[i];
    CHECK(counts[1] > counts[2]);  // lower cost, higher probability
    CHECK(counts[2] > counts[0]);
    CHECK(counts[0] > counts[3]);
    CHECK(counts[3] > 0);
    // Ties at temperature 0 go to each tied worker, at random.
    std::set<std::size_t> seen;
    const std::vector<double> tied = {2.0, 1.0, 1.0, 1.0};
    for (std::uint64_t seed = 0; seed < 64; ++seed) {
        core::Rng rng(seed);
        seen.insert(fleet::select_worker(tied, 0.0, rng));
    }
    CHECK(seen == std::set<std::size_t>{1, 2, 3});
}

TEST_CASE("kv router replicas without shared state see only their own bookings", "[fleet][kv]") {
    const auto w = make_workload({{8, 1}, {8, 2}, {8, 3}});
    fleet::RouterOptions o;
    o.replicas = 2;
    auto split = make(w, 2, o);
    const std::size_t a = split.choose_at(w.requests[0], 0, 2);  // replica 0
    const std::size_t b = split.choose_at(w.requests[1], 1, 2);  // replica 1: does not know about a
    CHECK(split.loads(1).blocks(static_cast<std::int32_t>(a)) == (a == b ? 8 : 0));
    CHECK(split.loads(0).blocks(static_cast<std::int32_t>(a)) == 8);
    o.replica_sync = true;
    auto shared = make(w, 2, o);
    const std::size_t c = shared.choose_at(w.requests[0], 0, 2);
    const std::size_t d = shared.choose_at(w.requests[1], 1, 2);
    CHECK(c != d);  // the second replica sees the first's booking
}

namespace {
scenario::Result run_kv(const std::vector<std::string>& extra) {
    std::vector<std::string> sets = {"fleet.workers=3",
                                     "router.policy=kv",
                                     "workload.generator.num_requests=300",
                                     "workload.generator.arrival.rate=30",
                                     "workload.generator.prefix.num_groups=6",
                                     "workload.generator.prefix.prefix_tokens=1024",
                                     "engine.num_gpu_blocks_override=1500"};
    sets.insert(sets.end(), extra.begin(), extra.end());
    return scenario::run_scenario(scenario::load_scenario_text("", "<test>", sets));
}
}  // namespace

TEST_CASE("kv router runs are conserved, deterministic and equal with and without step coalescing", "[fleet][kv]") {
    for (const std::string backend : {"vllm", "trtllm"}) {
        for (const std::string delay : {"0", "40"}) {
            DYNAMIC_SECTION("backend " << backend << " delay " << delay) {
                const std::vector<std::string> base = {"engine.backend=" + backend, "router.kv_event_delay_ms=" + delay,
                                                       "engine.trtllm.enable_chunked_prefill=true"};
                auto with = base;
                with.push_back("engine.coalesce_steps=true");
                auto without = base;
                without.push_back("engine.coalesce_steps=false");
                const auto a = run_kv(with), b = run_kv(with), c = run_kv(without);
                CHECK(a.summary.conserved);
                CHECK(a.summary.finished == 300);
                CHECK(metrics::requests_csv(*a.recorder) == metrics::requests_csv(*b.recorder));
                CHECK(metrics::requests_csv(*a.recorder) == metrics::requests_csv(*c.recorder));
            }
        }
    }
}

TEST_CASE("kv routing raises the prefix hit rate over round robin", "[fleet][kv]") {
    const auto rr = run_kv({"router.policy=round_robin"});
    const auto kv = run_kv({});
    const auto approx = run_kv({"router.use_kv_events=false"});
    CHECK(kv.summary.prefix_hit_rate > rr.summary.prefix_hit_rate);
    CHECK(approx.summary.prefix_hit_rate > rr.summary.prefix_hit_rate);
}

TEST_CASE("bad kv router values fail naming the key", "[fleet][kv]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"router.overlap_score_weight=-1", "router.overlap_score_weight = -1"},
        {"router.temperature=-0.5", "router.temperature = -0.5"},
        {"router.kv_event_delay_ms=-3", "router.kv_event_delay_ms = -3"},
        {"router.ttl_s=0", "router.ttl_s = 0"},
        {"router.replicas=0", "router.replicas = 0"},
    };
    for (const auto& [set, expect] : cases) {
        DYNAMIC_SECTION(set) {
            try {
                scenario::load_scenario_text("", "<test>", {"router.policy=kv", set});
                FAIL("accepted " << set);
            } catch (const scenario::ConfigError& e) {
                CHECK_THAT(e.what(), Catch::Contains(expect));
            }
        }
    }
    CHECK_THROWS_WITH(scenario::load_scenario_text("", "<test>", {"router.policy=kv", "engine.backend=sglang"}),
                      Catch::Contains("router.use_kv_events"));
}

TEST_CASE("kv router chooses only the eligible workers of a planned fleet", "[fleet][kv][planner]") {
    // Worker 1 caches the prefix, but only workers 0 and 2 are ready: the prefix cannot pull the request
    // to worker 1.
    const auto w = make_workload({{8, 1}, {8, 1}});
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto r = make(w, 3, {}, seed);
        store_all(r, 1, keys_of(w, 0), 0);
        const std::vector<std::uint8_t> mask{1, 0, 1};
        r.set_eligible(mask);
        CHECK(r.choose_at(w.requests[1], 10, 3) != 1);
    }
}

TEST_CASE("kv router forgets a worker that left the fleet", "[fleet][kv][planner]") {
    const auto w = make_workload({{8, 1}, {8, 1}});
    auto r = make(w, 2);
    store_all(r, 1, keys_of(w, 0), 0);
    std::vector<std::int32_t> ov(2);
    r.reset_worker(0);  // another worker: nothing of worker 1 is lost
    CHECK(r.choose_at(w.requests[1], 10, 2) == 1);
    r.on_rejected(1);
    r.reset_worker(1);  // worker 1 left; a fresh engine in its slot holds nothing
    const auto keys = keys_of(w, 1);
    r.indexer().overlaps(keys, ov);
    CHECK(ov[0] == 0);
    CHECK(ov[1] == 0);
    CHECK(r.indexer().entries() == 0);
}
