// The SGLang and TensorRT-LLM engines (and vLLM where the check is shared): prefix reuse, lpm ordering,
// retraction / pausing under KV pressure, token bounds per step, and step coalescing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>

#include "sim/engine/sglang_engine.hpp"
#include "sim/engine/trtllm_engine.hpp"
#include "sim/engine/vllm_engine.hpp"
#include "sim/engine/worker.hpp"
#include "sim/fleet/fleet.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/sim/engine/test_timing.hpp"

using namespace dynosim::sim;
using dynosim::test::LinearTiming;
using dynosim::test::req;

namespace {

std::vector<std::uint64_t> chain(std::uint64_t seed, int n) {
    std::vector<std::uint64_t> h;
    for (int i = 0; i < n; ++i) h.push_back(core::hash_combine(seed, static_cast<std::uint64_t>(i)));
    return h;
}

// Prices like LinearTiming and remembers the largest step seen.
class WatchingTiming final : public timing::TimingModel {
public:
    core::TimeNs step_time(const timing::BatchShape& b) override {
        std::int64_t prefill = 0;
        for (const auto& p : b.prefills) prefill += p.new_tokens;
        max_tokens = std::max(max_tokens, b.num_tokens());
        max_prefill_tokens = std::max(max_prefill_tokens, prefill);
        max_seqs = std::max<std::int64_t>(max_seqs, static_cast<std::int64_t>(b.prefills.size() + b.decode_context.size()));
        if (!b.prefills.empty() && !b.decode_context.empty()) ++mixed_steps;
        return 1'000'000 + 10'000 * b.num_tokens();
    }
    std::string_view name() const override { return "watching-test"; }
    std::int64_t max_tokens = 0, max_prefill_tokens = 0, max_seqs = 0, mixed_steps = 0;
};

using MakeEngine = std::function<std::unique_ptr<engine::Engine>(const workload::Workload&, metrics::Recorder&, int)>;

struct Run {
    std::unique_ptr<metrics::Recorder> rec;
    metrics::Summary summary;
    std::shared_ptr<WatchingTiming> timing;
    std::vector<std::unique_ptr<engine::Engine>*> unused;
};

Run simulate(workload::Workload wl, const MakeEngine& make, int workers = 1,
             std::function<void(engine::Engine&)> inspect = {}) {
    workload::finalize(wl);
    static std::vector<std::unique_ptr<workload::Workload>> keep;
    keep.push_back(std::make_unique<workload::Workload>(std::move(wl)));
    const workload::Workload& w = *keep.back();
    Run run;
    run.rec = std::make_unique<metrics::Recorder>(w);
    run.timing = std::make_shared<WatchingTiming>();
    core::Simulation sim(1);
    std::vector<std::unique_ptr<engine::Worker>> ws;
    for (int i = 0; i < workers; ++i)
        ws.push_back(std::make_unique<engine::Worker>(i, make(w, *run.rec, i), run.timing, *run.rec));
    fleet::Fleet f(w, *run.rec, fleet::builtin_routers().make({}, core::Rng(1)), std::move(ws));
    f.attach(sim);
    sim.run();
    if (inspect)
        for (const auto& wk : f.workers()) inspect(wk->engine());
    metrics::RunInfo info;
    info.num_workers = workers;
    info.end_ns = sim.now();
    run.summary = metrics::summarize(*run.rec, info, {});
    return run;
}

engine::EngineOptions base_opts(const std::string& backend) {
    engine::EngineOptions e;
    e.backend = backend;
    e.max_num_batched_tokens = 256;
    e.max_num_seqs = 64;
    e.max_model_len = 1 << 16;
    e.sglang.chunked_prefill_size = 256;
    e.sglang.max_running_requests = 64;
    e.trtllm.max_num_tokens = 256;
    e.trtllm.max_batch_size = 64;
    e.trtllm.tokens_per_block = 16;
    e.trtllm.enable_chunked_prefill = true;
    return e;
}

// An engine of `backend` with `kv_tokens` of KV.
MakeEngine maker(const engine::EngineOptions& e, std::int64_t kv_tokens) {
    return [e, kv_tokens](const workload::Workload& w, metrics::Recorder& rec, int i) -> std::unique_ptr<engine::Engine> {
        if (e.backend == "sglang") return std::make_unique<engine::SglangEngine>(e, kv_tokens, i, w, rec, 7);
        if (e.backend == "trtllm")
            return std::make_unique<engine::TrtllmEngine>(
                e, static_cast<std::int32_t>(kv_tokens / e.trtllm.tokens_per_block), i, w, rec);
        return std::make_unique<engine::VllmEngine>(e, static_cast<std::int32_t>(kv_tokens / e.block_size) + 1, i, w, rec);
    };
}

}  // namespace

TEST_CASE("every backend serves a later request's shared prefix from cache", "[engine][sglang][trtllm]") {
    for (const std::string backend : {"vllm", "sglang", "trtllm"}) {
        DYNAMIC_SECTION("backend " << backend) {
            // 512 shared prompt tokens (32 blocks of 16); the second request arrives after the first ended.
            workload::Workload wl;
            auto shared = chain(42, 32);
            auto other = shared;
            other.push_back(core::hash_combine(99, 1));
            wl.requests = {req(0, 512, 4, shared), req(1'000'000'000, 528, 4, other)};
            const Run r = simulate(wl, maker(base_opts(backend), 16384));
            CHECK(r.summary.finished == 2);
            CHECK(r.rec->records()[0].cached_tokens == 0);
            CHECK(r.rec->records()[1].cached_tokens == 512);
            // Without prefix caching nothing is reused.
            auto off = base_opts(backend);
            off.enable_prefix_caching = false;
            const Run r2 = simulate(wl, maker(off, 16384));
            CHECK(r2.rec->records()[1].cached_tokens == 0);
        }
    }
}

TEST_CASE("sglang lpm admits the waiting request with the longest cached prefix first, fcfs by arrival",
          "[engine][sglang]") {
    // A warms the cache with prefix P; L runs alone (max_running_requests = 1) while B (nothing cached) and
    // then C (shares P) queue. When L ends, lpm picks C, fcfs picks B.
    auto p = chain(7, 32);
    workload::Workload wl;
    wl.requests = {req(0, 512, 1, p), req(100'000'000, 64, 50, chain(8, 4)), req(110'000'000, 512, 2, chain(9, 32)),
                   req(120'000'000, 528, 2, [&] { auto c = p; c.push_back(5); return c; }())};
    for (const std::string policy : {"lpm", "fcfs", "dfs-weight"}) {
        DYNAMIC_SECTION("policy " << policy) {
            auto e = base_opts("sglang");
            e.sglang.max_running_requests = 1;
            e.sglang.chunked_prefill_size = 4096;
            e.sglang.schedule_policy = policy;
            const Run r = simulate(wl, maker(e, 1 << 15));
            REQUIRE(r.summary.finished == 4);
            const auto& b = r.rec->records()[2];
            const auto& c = r.rec->records()[3];
            CHECK(c.cached_tokens == 512);
            if (policy == "fcfs") CHECK(b.first_scheduled_ns < c.first_scheduled_ns);
            else CHECK(c.first_scheduled_ns < b.first_scheduled_ns);
        }
    }
}

TEST_CASE("sglang retracts decodes when KV runs out and every request still completes", "[engine][sglang]") {
    // 16 requests of 64 prompt tokens that each grow to 64 + 400 tokens in a 2,048-token pool: admission's
    // estimate (new_token_ratio, decaying while decodes run) lets more in than can finish together, so
    // decode must retract.
    workload::Workload wl;
    for (int i = 0; i < 16; ++i) wl.requests.push_back(req(0, 64, 400, chain(100 + i, 4)));
    double ratio_after = 0;
    const Run r = simulate(wl, maker(base_opts("sglang"), 2048), 1, [&](engine::Engine& e) {
        ratio_after = static_cast<engine::SglangEngine&>(e).new_token_ratio();
    });
    CHECK(r.summary.finished == 16);
    CHECK(r.summary.preemptions > 0);
    CHECK(ratio_after > 0);
}

TEST_CASE("trtllm MAX_UTILIZATION pauses when KV runs out, GUARANTEED_NO_EVICT never does", "[engine][trtllm]") {
    workload::Workload wl;
    for (int i = 0; i < 8; ++i) wl.requests.push_back(req(0, 64, 400, chain(200 + i, 4)));
    auto e = base_opts("trtllm");
    e.trtllm.capacity_scheduler_policy = "MAX_UTILIZATION";
    std::uint64_t pauses = 0;
    const Run mu = simulate(wl, maker(e, 2048), 1, [&](engine::Engine& x) {
        pauses = static_cast<engine::TrtllmEngine&>(x).pauses();
    });
    CHECK(mu.summary.finished == 8);
    CHECK(pauses > 0);
    CHECK(mu.summary.preemptions == pauses);

    e.trtllm.capacity_scheduler_policy = "GUARANTEED_NO_EVICT";
    const Run gne = simulate(wl, maker(e, 2048), 1, [&](engine::Engine& x) {
        pauses = static_cast<engine::TrtllmEngine&>(x).pauses();
    });
    CHECK(gne.summary.finished == 8);
    CHECK(pauses == 0);
    CHECK(gne.summary.preemptions == 0);
    // Reserving every request's whole output serialises them more: the last one finishes later.
    CHECK(gne.summary.e2e.max > mu.summary.e2e.max * 0.5);
}

TEST_CASE("every step stays within the token budgets of its backend", "[engine][sglang][trtllm]") {
    workload::Workload wl;
    for (int i = 0; i < 40; ++i) wl.requests.push_back(req(i * 3'000'000, 300 + 37 * i, 20 + i, chain(300 + i, 20)));
    SECTION("trtllm max_num_tokens and max_batch_size") {
        auto e = base_opts("trtllm");
        e.trtllm.max_num_tokens = 320;
        e.trtllm.max_batch_size = 6;
        const Run r = simulate(wl, maker(e, 1 << 16));
        CHECK(r.summary.finished == 40);
        CHECK(r.timing->max_tokens <= 320);
        CHECK(r.timing->max_tokens > 300);  // the budget is used
        CHECK(r.timing->max_seqs <= 6);
    }
    SECTION("sglang chunked_prefill_size and max_running_requests") {
        auto e = base_opts("sglang");
        e.sglang.chunked_prefill_size = 384;
        e.sglang.max_running_requests = 5;
        const Run r = simulate(wl, maker(e, 1 << 16));
        CHECK(r.summary.finished == 40);
        CHECK(r.timing->max_prefill_tokens <= 384);
        CHECK(r.timing->max_prefill_tokens > 300);
        CHECK(r.timing->max_seqs <= 6);  // 5 running + the one chunked request
        CHECK(r.timing->mixed_steps == 0);  // prefill and decode batches alternate
        e.sglang.enable_mixed_chunk = true;
        const Run m = simulate(wl, maker(e, 1 << 16));
        CHECK(m.summary.finished == 40);
        CHECK(m.timing->mixed_steps > 0);
        CHECK(m.timing->max_tokens <= 384);  // decodes take their share of the chunk budget
    }
    SECTION("vllm max_num_batched_tokens") {
        const Run r = simulate(wl, maker(base_opts("vllm"), 1 << 16));
        CHECK(r.summary.finished == 40);
        CHECK(r.timing->max_tokens <= 256);
    }
}

TEST_CASE("trtllm without chunked context rejects prompts longer than max_num_tokens", "[engine][trtllm]") {
    workload::Workload wl;
    wl.requests = {req(0, 200, 4), req(0, 300, 4)};
    auto e = base_opts("trtllm");
    e.trtllm.enable_chunked_prefill = false;
    const Run r = simulate(wl, maker(e, 1 << 14));
    CHECK(r.summary.finished == 1);
    CHECK(r.summary.rejected == 1);
}

TEST_CASE("every sglang schedule policy serves every request", "[engine][sglang]") {
    workload::Workload wl;
    for (int i = 0; i < 60; ++i)
        wl.requests.push_back(req(i * 500'000, 100 + 13 * (i % 7), 5 + i % 9, chain(1000 + i % 5, 6 + i % 3)));
    for (const std::string policy : {"lpm", "dfs-weight", "fcfs", "lof", "random"}) {
        DYNAMIC_SECTION("policy " << policy) {
            auto e = base_opts("sglang");
            e.sglang.schedule_policy = policy;
            const Run r = simulate(wl, maker(e, 4096));
            CHECK(r.summary.finished == 60);
            CHECK(r.summary.prefix_hit_rate > 0);
        }
    }
}

namespace {
std::string run_csv(const std::string& backend, bool caching, bool coalesce, std::string* summary) {
    const std::string text = R"(
[fleet]
workers = 3
[router]
policy = "least_loaded"
[workload]
kind = "generator"
[workload.generator]
num_requests = 300
[workload.generator.arrival]
rate = 25
)";
    auto o = scenario::load_scenario_text(
        text, "<test>",
        {"engine.backend=" + backend, std::string("engine.enable_prefix_caching=") + (caching ? "true" : "false"),
         std::string("engine.coalesce_steps=") + (coalesce ? "true" : "false"), "engine.num_gpu_blocks_override=2000",
         "engine.trtllm.enable_chunked_prefill=true", "engine.trtllm.capacity_scheduler_policy=MAX_UTILIZATION"});
    const auto r = scenario::run_scenario(o);
    *summary = metrics::summary_json(r.summary);
    return metrics::requests_csv(*r.recorder);
}
}  // namespace

TEST_CASE("coalesced steps give the same per-request results as one event per step", "[engine][coalescing]") {
    for (const std::string backend : {"vllm", "sglang", "trtllm"}) {
        for (const bool caching : {true, false}) {
            DYNAMIC_SECTION("backend " << backend << " prefix caching " << caching) {
                std::string s1, s2;
                const std::string a = run_csv(backend, caching, true, &s1);
                const std::string b = run_csv(backend, caching, false, &s2);
                CHECK(a.size() > 1000);
                CHECK(a == b);
                CHECK(s1 == s2);
            }
        }
    }
}

namespace {
// Bursty traffic with shared prefixes and lognormal outputs on a small KV pool: batches decode for many steps
// between arrivals, requests finish and cross block boundaries inside those runs, and the pool runs out
// (preemption, retraction, pausing).
scenario::Result run_multi_step(const std::string& backend, bool caching, bool coalesce, const std::string& policy) {
    const std::string text = R"(
[fleet]
workers = 2
[router]
policy = "least_loaded"
[workload]
kind = "generator"
[workload.generator]
duration_s = 40
[workload.generator.arrival]
process = "gamma"
rate = 8
cv = 3
[workload.generator.input]
kind = "lognormal"
mean = 700
cv = 1.0
min = 16
max = 6000
[workload.generator.output]
kind = "lognormal"
mean = 300
cv = 1.0
min = 1
max = 3000
[workload.generator.prefix]
num_groups = 4
prefix_tokens = 1000
pick = "zipf"
zipf_skew = 1.2
)";
    auto o = scenario::load_scenario_text(
        text, "<test>",
        {"engine.backend=" + backend, std::string("engine.enable_prefix_caching=") + (caching ? "true" : "false"),
         std::string("engine.coalesce_steps=") + (coalesce ? "true" : "false"), "engine.num_gpu_blocks_override=700",
         "engine.trtllm.enable_chunked_prefill=true", "engine.trtllm.capacity_scheduler_policy=" + policy});
    return scenario::run_scenario(o);
}
}  // namespace

TEST_CASE("multi-step decoding gives the same per-request results as one event per step", "[engine][coalescing]") {
    struct Case {
        const char* backend;
        const char* policy;  // TensorRT-LLM capacity scheduler
    };
    for (const Case c : {Case{"vllm", "MAX_UTILIZATION"}, Case{"sglang", "MAX_UTILIZATION"},
                         Case{"trtllm", "MAX_UTILIZATION"}, Case{"trtllm", "GUARANTEED_NO_EVICT"}}) {
        for (const bool caching : {true, false}) {
            DYNAMIC_SECTION("backend " << c.backend << " " << c.policy << " prefix caching " << caching) {
                const scenario::Result multi = run_multi_step(c.backend, caching, true, c.policy);
                const scenario::Result stepwise = run_multi_step(c.backend, caching, false, c.policy);
                // Hundreds of steps ran inside multi-step runs (queues build, so not most), and the pool ran
                // out now and then.
                CHECK(multi.stats.multi_steps > 500);
                CHECK(stepwise.stats.multi_steps == 0);
                if (std::string(c.policy) != "GUARANTEED_NO_EVICT") CHECK(multi.summary.preemptions > 0);
                CHECK(multi.summary.finished > 200);
                CHECK(metrics::requests_csv(*multi.recorder) == metrics::requests_csv(*stepwise.recorder));
                CHECK(metrics::summary_json(multi.summary) == metrics::summary_json(stepwise.summary));
            }
        }
    }
}

TEST_CASE("bad engine values fail naming the key", "[engine][options]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"engine.backend=\"tgi\"", "engine.backend = tgi"},
        {"engine.sglang.schedule_policy=\"longest\"", "engine.sglang.schedule_policy = longest"},
        {"engine.sglang.max_prefill_tokens=-1", "engine.sglang.max_prefill_tokens = -1"},
        {"engine.sglang.chunked_prefill_size=-7", "engine.sglang.chunked_prefill_size = -7"},
        {"engine.sglang.max_running_requests=-2", "engine.sglang.max_running_requests = -2"},
        {"engine.sglang.schedule_conservativeness=0", "engine.sglang.schedule_conservativeness = 0"},
        {"engine.sglang.page_size=32", "engine.sglang.page_size = 32: must be <= engine.block_size"},
        {"engine.trtllm.max_num_tokens=-8192", "engine.trtllm.max_num_tokens = -8192"},
        {"engine.trtllm.max_num_tokens=16", "engine.trtllm.max_num_tokens = 16: must be >= engine.trtllm.tokens_per_block"},
        {"engine.trtllm.max_batch_size=0", "engine.trtllm.max_batch_size = 0"},
        {"engine.trtllm.tokens_per_block=24", "engine.trtllm.tokens_per_block = 24"},
        {"engine.trtllm.capacity_scheduler_policy=\"STATIC\"", "engine.trtllm.capacity_scheduler_policy = STATIC"},
    };
    for (const auto& [set, expect] : cases) {
        DYNAMIC_SECTION(set) {
            try {
                scenario::load_scenario_text("", "<test>", {set});
                FAIL("accepted " << set);
            } catch (const scenario::ConfigError& e) {
                REQUIRE(!e.problems().empty());
                CHECK_THAT(e.problems()[0], Catch::Matchers::Contains(expect));
            }
        }
    }
}

TEST_CASE("default engine options are valid for every backend", "[engine][options]") {
    for (const std::string backend : {"vllm", "sglang", "trtllm"}) {
        engine::EngineOptions e;
        e.backend = backend;
        CHECK(e.validate().empty());
    }
}
