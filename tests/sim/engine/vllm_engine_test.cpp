#include <catch2/catch.hpp>

#include "tests/sim/engine/test_timing.hpp"
#include "sim/engine/vllm_engine.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/fleet.hpp"
#include "sim/metrics/summary.hpp"

using namespace dynosim::sim;
using dynosim::test::LinearTiming;
using dynosim::test::req;

namespace {

engine::EngineOptions small_engine() {
    engine::EngineOptions e;
    e.max_num_batched_tokens = 64;
    e.max_num_seqs = 8;
    e.max_model_len = 4096;
    return e;
}

struct Run {
    std::unique_ptr<metrics::Recorder> rec;
    metrics::Summary summary;
};

Run simulate(workload::Workload wl, const engine::EngineOptions& e, std::int32_t blocks, int workers = 1,
             core::TimeNs fixed = 1'000'000, core::TimeNs per_token = 10'000) {
    workload::finalize(wl);
    static std::vector<std::unique_ptr<workload::Workload>> keep;  // outlives the recorder's users
    keep.push_back(std::make_unique<workload::Workload>(std::move(wl)));
    const workload::Workload& w = *keep.back();
    Run run;
    run.rec = std::make_unique<metrics::Recorder>(w);
    core::Simulation sim(1);
    auto timing = std::make_shared<LinearTiming>(fixed, per_token);
    std::vector<std::unique_ptr<engine::Worker>> ws;
    for (int i = 0; i < workers; ++i)
        ws.push_back(std::make_unique<engine::Worker>(
            i, std::make_unique<engine::VllmEngine>(e, blocks, i, w, *run.rec), timing, *run.rec));
    fleet::Fleet f(w, *run.rec, fleet::builtin_routers().make({}, core::Rng(1)), std::move(ws));
    f.attach(sim);
    sim.run();
    metrics::RunInfo info;
    info.num_workers = workers;
    info.end_ns = sim.now();
    run.summary = metrics::summarize(*run.rec, info, {});
    return run;
}

}  // namespace

TEST_CASE("two overlapping requests give hand-computed TTFT, TPOT, ITL and E2E", "[engine][vllm]") {
    // Step time = 1 ms + 0.01 ms per token. A (32 in, 3 out) at 0; B (16 in, 2 out) at 2 ms.
    //   step 1 [0, 1.32]      A prefill 32            -> A token 1 (TTFT 1.32)
    //   step 2 [1.32, 2.33]   A decode                -> A token 2
    //   step 3 [2.33, 3.50]   A decode + B prefill 16 -> A token 3 (done, E2E 3.50), B token 1 (TTFT 1.50)
    //   step 4 [3.50, 4.51]   B decode                -> B token 2 (done, E2E 2.51)
    workload::Workload wl;
    wl.requests = {req(0, 32, 3), req(2'000'000, 16, 2)};
    const Run r = simulate(wl, small_engine(), 100);
    const auto& a = r.rec->records()[0];
    const auto& b = r.rec->records()[1];
    CHECK(a.first_token_ns == 1'320'000);
    CHECK(a.finish_ns == 3'500'000);
    CHECK(b.first_scheduled_ns == 2'330'000);
    CHECK(b.first_token_ns == 3'500'000);
    CHECK(b.finish_ns == 4'510'000);
    CHECK(r.summary.finished == 2);
    CHECK(r.summary.ttft.mean == Approx(1.41));
    CHECK(r.summary.ttft.max == Approx(1.50));
    CHECK(r.summary.tpot.max == Approx(1.09));  // A: (3.50 - 1.32) / 2
    CHECK(r.summary.tpot.min == Approx(1.01));  // B
    CHECK(r.summary.itl.count == 3);
    CHECK(r.summary.itl.mean == Approx((1.01 + 1.17 + 1.01) / 3));
    CHECK(r.summary.e2e.mean == Approx((3.50 + 2.51) / 2));
    CHECK(r.summary.queue.max == Approx(0.33));
    CHECK(r.summary.steps == 4);
}

TEST_CASE("a long prompt is chunked across steps by the token budget", "[engine][vllm]") {
    workload::Workload wl;
    wl.requests = {req(0, 150, 1)};
    const Run r = simulate(wl, small_engine(), 100);
    // 150 tokens at 64 per step: 64 + 64 + 22 -> three steps, first token at their end.
    CHECK(r.summary.steps == 3);
    CHECK(r.rec->records()[0].first_token_ns == 3 * 1'000'000 + 150 * 10'000);
}

TEST_CASE("a repeated prompt prefix is served from the cache and skips those tokens", "[engine][vllm][kv]") {
    std::vector<std::uint64_t> shared{11, 12, 13, 14};  // 64 tokens at 16 per hash
    workload::Workload wl;
    wl.requests = {req(0, 64, 2, shared), req(50'000'000, 64, 2, shared)};
    const Run hit = simulate(wl, small_engine(), 100);
    CHECK(hit.rec->records()[1].cached_tokens == 48);  // the last block is recomputed (hit <= len - 1)
    workload::Workload wl2;
    wl2.requests = {req(0, 64, 2, shared), req(50'000'000, 64, 2, {21, 22, 23, 24})};
    const Run miss = simulate(wl2, small_engine(), 100);
    CHECK(miss.rec->records()[1].cached_tokens == 0);
    CHECK(hit.summary.prefix_hit_rate > miss.summary.prefix_hit_rate);
    CHECK(hit.rec->records()[1].first_token_ns - hit.rec->records()[1].arrival_ns <
          miss.rec->records()[1].first_token_ns - miss.rec->records()[1].arrival_ns);
}

TEST_CASE("when KV runs short running requests are preempted, recomputed, and all still finish",
          "[engine][vllm]") {
    workload::Workload wl;
    for (int i = 0; i < 6; ++i) wl.requests.push_back(req(i * 100'000, 40, 60));
    // 12 usable blocks of 16 tokens = 192 tokens; six requests growing to 100 tokens each cannot all fit.
    const Run r = simulate(wl, small_engine(), 13);
    CHECK(r.summary.preemptions > 0);
    CHECK(r.summary.finished == 6);
    CHECK(r.summary.conserved);
    int preempted_requests = 0;
    for (const auto& rec : r.rec->records()) {
        CHECK(rec.generated == 60);
        preempted_requests += rec.preemptions > 0;
    }
    CHECK(preempted_requests > 0);
}

TEST_CASE("a request that can never fit is rejected and the others are served", "[engine][vllm]") {
    workload::Workload wl;
    wl.requests = {req(0, 400, 10), req(0, 32, 4)};
    const Run r = simulate(wl, small_engine(), 13);  // 192 tokens of KV
    CHECK(r.summary.rejected == 1);
    CHECK(r.summary.finished == 1);
    CHECK(r.summary.conserved);
}

TEST_CASE("max_num_seqs caps the batch: more sequences wait", "[engine][vllm]") {
    workload::Workload wl;
    for (int i = 0; i < 4; ++i) wl.requests.push_back(req(0, 16, 5));
    auto e = small_engine();
    e.max_num_seqs = 2;
    const Run capped = simulate(wl, e, 100);
    e.max_num_seqs = 8;
    const Run free = simulate(wl, e, 100);
    CHECK(capped.summary.ttft.max > free.summary.ttft.max);
    CHECK(capped.summary.steps > free.summary.steps);
}

TEST_CASE("with async scheduling a request arriving during a step joins the step after next", "[engine][vllm]") {
    // As the first case (1 ms + 0.01 ms per token), but the scheduler plans each step when the previous one
    // launches. B arrives at 2 ms, during step 2 [1.32, 2.33]; step 3 was planned at 1.32, before B:
    //   step 3 [2.33, 3.34]   A decode                -> A done (E2E 3.34)
    //   step 4 [3.34, 4.50]   B prefill 16            -> B token 1 (TTFT 2.50)
    //   step 5 [4.50, 5.51]   B decode                -> B done
    // C arrives at 10 ms to an idle engine and is planned at once (TTFT 1.16).
    workload::Workload wl;
    wl.requests = {req(0, 32, 3), req(2'000'000, 16, 2), req(10'000'000, 16, 1)};
    engine::EngineOptions e = small_engine();
    e.async_scheduling = true;
    const Run r = simulate(wl, e, 100);
    const auto& a = r.rec->records()[0];
    const auto& b = r.rec->records()[1];
    const auto& c = r.rec->records()[2];
    CHECK(a.first_token_ns == 1'320'000);
    CHECK(a.finish_ns == 3'340'000);
    CHECK(b.first_scheduled_ns == 3'340'000);
    CHECK(b.first_token_ns == 4'500'000);
    CHECK(b.finish_ns == 5'510'000);
    CHECK(c.first_token_ns - c.arrival_ns == 1'160'000);
}

namespace {
// A plugin-style cache policy (LRU order) that records the prefix depth the pool reports for each block.
class DepthRecordingPolicy final : public kv::CachePolicy {
public:
    static inline std::vector<std::int32_t> depths;
    void reset(kv::BlockId first, kv::BlockId last) override { lru_.reset(first, last); }
    void on_freed(kv::BlockId b, bool cached) override { lru_.on_freed(b, cached); }
    void on_reused(kv::BlockId b) override { lru_.on_reused(b); }
    void on_cached(kv::BlockId /*b*/, std::int32_t depth) override { depths.push_back(depth); }
    kv::BlockId pop_victim() override { return lru_.pop_victim(); }
    std::int32_t size() const override { return lru_.size(); }
    std::string_view name() const override { return "depth-recording"; }

private:
    kv::LruCachePolicy lru_;
};
}  // namespace

TEST_CASE("a plugin cache policy is told each cached block's place in its prefix chain", "[engine][vllm][kv]") {
    kv::set_external_cache_policy_factory(
        [](const kv::CachePolicySpec&) -> std::unique_ptr<kv::CachePolicy> { return std::make_unique<DepthRecordingPolicy>(); });
    engine::EngineOptions e = small_engine();
    e.cache_policy = "plugin";
    e.cache_policy_plugin = "in-process test policy";
    workload::Workload wl;
    wl.requests = {req(0, 64, 2, {11, 12, 13, 14})};  // four full prompt blocks of 16 tokens
    DepthRecordingPolicy::depths.clear();
    simulate(wl, e, 100);
    kv::set_external_cache_policy_factory(nullptr);
    REQUIRE(DepthRecordingPolicy::depths.size() >= 4);
    CHECK(std::vector<std::int32_t>(DepthRecordingPolicy::depths.begin(), DepthRecordingPolicy::depths.begin() + 4) ==
          std::vector<std::int32_t>{0, 1, 2, 3});
}
