// Disaggregated prefill/decode serving: flows, conditional disaggregation, KV transfers over links,
// conservation, decode memory reserved before the transfer, and bad input.
#include <catch2/catch.hpp>

#include "sim/fleet/disagg.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"

using namespace dynosim::sim;

namespace {

// Requests of the given prompt lengths (tokens), 2 output tokens each, `gap_ms` apart, no shared prefixes.
workload::Workload make_workload(const std::vector<std::int32_t>& prompts, double gap_ms, std::int32_t output = 2) {
    workload::Workload w;
    std::uint64_t h = 1;
    for (std::size_t i = 0; i < prompts.size(); ++i) {
        workload::Request r;
        r.arrival_ns = static_cast<core::TimeNs>(static_cast<double>(i) * gap_ms * 1e6);
        r.input_tokens = prompts[i];
        r.output_tokens = output;
        r.hash_block_tokens = 16;
        for (std::int32_t b = 0; b < (prompts[i] + 15) / 16; ++b) r.block_hashes.push_back(h++);
        w.requests.push_back(r);
    }
    workload::finalize(w);
    return w;
}

scenario::Result run(std::vector<std::string> sets, const workload::Workload& wl) {
    sets.insert(sets.begin(), {"disagg.enabled=true", "timing.kind=roofline"});
    return scenario::run_scenario(scenario::load_scenario_text("", "<test>", sets), wl);
}

// A generated run with shared prefixes and some memory pressure.
scenario::Result run_generated(std::vector<std::string> sets) {
    const std::string text = R"(
[disagg]
enabled = true
[disagg.prefill]
workers = 2
[disagg.decode]
workers = 2
[engine]
num_gpu_blocks_override = 1200
[timing]
kind = "roofline"
[workload]
kind = "generator"
[workload.generator]
num_requests = 300
[workload.generator.arrival]
rate = 30
[workload.generator.prefix]
num_groups = 4
prefix_tokens = 1024
)";
    return scenario::run_scenario(scenario::load_scenario_text(text, "<test>", sets));
}

}  // namespace

TEST_CASE("transfer time is latency plus bytes over link bandwidth", "[fleet][disagg]") {
    // 1 GB at 50 GB/s per GPU: 20 ms; twice the bytes twice the wire time; twice the ranks half of it.
    CHECK(fleet::transfer_duration_ns(1'000'000'000, 50.0, 1, 0.0) == 20'000'000);
    CHECK(fleet::transfer_duration_ns(2'000'000'000, 50.0, 1, 0.0) == 40'000'000);
    CHECK(fleet::transfer_duration_ns(1'000'000'000, 100.0, 1, 0.0) == 10'000'000);
    CHECK(fleet::transfer_duration_ns(1'000'000'000, 50.0, 2, 0.0) == 10'000'000);
    CHECK(fleet::transfer_duration_ns(1'000'000'000, 50.0, 1, 20.0) == 20'020'000);
    CHECK(fleet::transfer_duration_ns(0, 50.0, 1, 20.0) == 20'000);
}

TEST_CASE("transfer time in a run scales with prompt bytes and link bandwidth", "[fleet][disagg]") {
    // Requests 1 s apart: each transfer finds the link idle. Llama-3.1-8B bf16: 32 layers x 8 KV heads x 128
    // x 2 (K, V) x 2 bytes = 128 KiB per token, 2 MiB per 16-token block.
    const auto wl = make_workload({1024, 2048, 4096}, 1000.0);
    const auto slow = run({"disagg.link.rdma_bandwidth_gbs=25", "disagg.link.rdma_latency_us=0"}, wl);
    const auto fast = run({"disagg.link.rdma_bandwidth_gbs=50", "disagg.link.rdma_latency_us=0"}, wl);
    const auto nvl = run({"disagg.link.kind=\"nvlink\"", "disagg.link.nvlink_latency_us=0"}, wl);
    const std::int64_t block = 2 * 1024 * 1024;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& s = slow.recorder->at(i);
        const auto& f = fast.recorder->at(i);
        CHECK(s.prefill_worker == 0);
        CHECK(s.worker == 1);  // decode workers follow the prefill pool in global numbering
        CHECK(s.transfer_bytes == (wl.requests[i].input_tokens / 16) * block);
        CHECK(f.transfer_bytes == s.transfer_bytes);
        CHECK(s.transfer_ns == Approx(2.0 * static_cast<double>(f.transfer_ns)).epsilon(1e-6));
        CHECK(f.transfer_ns == Approx(static_cast<double>(s.transfer_bytes) / 50.0).epsilon(1e-6));
        CHECK(nvl.recorder->at(i).transfer_ns == Approx(static_cast<double>(s.transfer_bytes) / 450.0).margin(2));
    }
    CHECK(slow.recorder->at(2).transfer_ns == Approx(4.0 * static_cast<double>(slow.recorder->at(0).transfer_ns)));
    // The transfer delays the first token (streamed by the decode worker after the KV lands).
    CHECK(slow.recorder->at(2).first_token_ns - slow.recorder->at(2).arrival_ns >
          fast.recorder->at(2).first_token_ns - fast.recorder->at(2).arrival_ns);
    CHECK(slow.summary.transfers == 3);
    CHECK(slow.summary.transfer_gb == Approx(7.0 * 1024 / 16 * block / 1e9));
}

TEST_CASE("transfers sharing a port queue one after another", "[fleet][disagg]") {
    // Two requests at the same instant on one prefill worker: both prompts finish in the same step, and the
    // second transfer waits for the first on the prefill worker's egress port.
    const auto wl = make_workload({2048, 2048}, 0.0);
    const auto r = run({"disagg.link.rdma_latency_us=0", "disagg.decode.workers=2"}, wl);
    const auto a = r.recorder->at(0).transfer_ns, b = r.recorder->at(1).transfer_ns;
    CHECK(r.recorder->at(0).worker != r.recorder->at(1).worker);  // different receivers, same sender
    CHECK(std::max(a, b) == Approx(2.0 * static_cast<double>(std::min(a, b))).epsilon(1e-6));
}

TEST_CASE("decode TP changes the bytes the decode side receives", "[fleet][disagg]") {
    // Llama-3.1-8B has 8 KV heads: at TP 16 each rank keeps one (replicated), so the decode side receives
    // twice the bytes of TP <= 8.
    const auto wl = make_workload({1024}, 0.0);
    const auto tp1 = run({}, wl);
    const auto tp16 = run({"disagg.decode.tp=16"}, wl);
    CHECK(tp16.recorder->at(0).transfer_bytes == 2 * tp1.recorder->at(0).transfer_bytes);
    CHECK(tp16.summary.gpus == 17);
}

TEST_CASE("conditional disaggregation keeps short prompts local", "[fleet][disagg]") {
    const auto wl = make_workload({200, 3000, 400, 5000, 100}, 500.0);
    SECTION("prefill_first with conditional prefill (token_cap)") {
        const auto r = run({"disagg.conditional_prefill=true", "disagg.bypass_below_tokens=1000"}, wl);
        for (std::size_t i = 0; i < wl.requests.size(); ++i) {
            const bool longp = wl.requests[i].input_tokens > 1000;
            CHECK((r.recorder->at(i).prefill_worker >= 0) == longp);
            CHECK((r.recorder->at(i).transfer_ns >= 0) == longp);
            CHECK(r.recorder->at(i).status == metrics::RequestStatus::Finished);
        }
        CHECK(r.summary.local_prefills == 3);
        CHECK(r.summary.transfers == 2);
        // Off (Dynamo's default), every prompt goes to the prefill pool.
        const auto off = run({"disagg.bypass_below_tokens=1000"}, wl);
        CHECK(off.summary.transfers == 5);
    }
    SECTION("decode_first with max_local_prefill_length") {
        const auto r = run({"disagg.flow=\"decode_first\"", "disagg.max_local_prefill_length=1000"}, wl);
        for (std::size_t i = 0; i < wl.requests.size(); ++i)
            CHECK((r.recorder->at(i).prefill_worker >= 0) == (wl.requests[i].input_tokens > 1000));
        CHECK(r.summary.transfers == 2);
        // A full prefill queue (size limit 0) keeps even long prompts local.
        const auto q = run({"disagg.flow=\"decode_first\"", "disagg.max_prefill_queue_size=0"}, wl);
        CHECK(q.summary.transfers == 0);
        CHECK(q.summary.finished == 5);
    }
}

TEST_CASE("a disaggregated run conserves every request", "[fleet][disagg]") {
    for (const std::string flow : {"prefill_first", "decode_first"}) {
        for (const std::string router : {"round_robin", "kv"}) {
            DYNAMIC_SECTION(flow << " " << router) {
                const auto r = run_generated({"disagg.flow=\"" + flow + "\"", "router.policy=\"" + router + "\"",
                                              "disagg.max_local_prefill_length=500"});
                CHECK(r.summary.conserved);
                CHECK(r.summary.submitted == 300);
                CHECK(r.summary.finished == 300);
                CHECK(r.summary.transfers > 0);
                for (const auto& rec : r.recorder->records()) {
                    CHECK(rec.generated == rec.output_tokens);
                    CHECK(rec.worker >= 2);  // every request decodes in the decode pool
                }
            }
        }
    }
}

TEST_CASE("decode memory is reserved before the transfer and waits when full", "[fleet][disagg]") {
    // One decode worker with room for about one long request at a time: later hand-offs wait for blocks,
    // and their transfers start only once earlier requests finish.
    const auto wl = make_workload({4000, 4000, 4000}, 0.0, 50);
    const auto r = run({"engine.num_gpu_blocks_override=300", "disagg.link.rdma_latency_us=0"}, wl);
    CHECK(r.summary.finished == 3);
    const auto& a = r.recorder->at(0);
    const auto& b = r.recorder->at(1);
    CHECK(b.transfer_ns > 0);
    // b's KV landed after a had finished and freed its blocks.
    CHECK(b.first_token_ns > a.finish_ns);
}

TEST_CASE("a disaggregated run is the same with step coalescing on or off", "[fleet][disagg]") {
    // Coalescing is never used in disaggregated runs (a transfer or reservation reaches a decode worker at
    // times no input horizon predicts): the option must not change a thing.
    const auto a = run_generated({"engine.coalesce_steps=true"});
    const auto b = run_generated({"engine.coalesce_steps=false"});
    CHECK(metrics::requests_csv(*a.recorder) == metrics::requests_csv(*b.recorder));
    CHECK(metrics::summary_json(a.summary) == metrics::summary_json(b.summary));
    CHECK(a.stats.events == b.stats.events);
}

TEST_CASE("disaggregated runs are deterministic", "[fleet][disagg]") {
    const auto a = run_generated({"router.policy=\"kv\"", "router.temperature=0.5"});
    const auto b = run_generated({"router.policy=\"kv\"", "router.temperature=0.5"});
    CHECK(metrics::requests_csv(*a.recorder) == metrics::requests_csv(*b.recorder));
}

TEST_CASE("bad disaggregation values fail naming the key", "[fleet][disagg]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"disagg.prefill.workers=0", "disagg.prefill.workers = 0: a disaggregated fleet needs a prefill pool"},
        {"disagg.decode.workers=0", "disagg.decode.workers = 0"},
        {"disagg.link.rdma_bandwidth_gbs=0", "disagg.link.rdma_bandwidth_gbs = 0"},
        {"disagg.link.nvlink_bandwidth_gbs=-5", "disagg.link.nvlink_bandwidth_gbs = -5"},
        {"disagg.link.rdma_latency_us=-1", "disagg.link.rdma_latency_us = -1"},
        {"disagg.link.kind=\"pcie\"", "disagg.link.kind = pcie"},
        {"disagg.decode_overlap_score_weight=-1", "disagg.decode_overlap_score_weight = -1"},
        {"router.overlap_score_weight=-0.5", "router.overlap_score_weight = -0.5"},
        {"disagg.flow=\"sideways\"", "disagg.flow = sideways"},
        {"disagg.prefill.tp=-2", "disagg.prefill.tp = -2"},
        {"disagg.decode.router=\"fastest\"", "disagg.decode.router = fastest"},
        {"disagg.bypass_below_tokens=-1", "disagg.bypass_below_tokens = -1"},
        {"disagg.max_prefill_queue_size=-1", "disagg.max_prefill_queue_size = -1"},
    };
    for (const auto& [set, expect] : cases) {
        DYNAMIC_SECTION(set) {
            try {
                scenario::load_scenario_text("", "<test>", {"disagg.enabled=true", set});
                FAIL("accepted " << set);
            } catch (const scenario::ConfigError& e) {
                CHECK_THAT(e.what(), Catch::Contains(expect));
            }
        }
    }
    // Off, the section is not checked (an aggregated config is unaffected by it).
    CHECK_NOTHROW(scenario::load_scenario_text("", "<test>", {"disagg.prefill.workers=0"}));
    CHECK_THROWS_WITH(scenario::run_scenario(scenario::load_scenario_text(
                          "", "<test>", {"disagg.enabled=true", "engine.backend=sglang", "timing.kind=roofline"})),
                      Catch::Contains("engine.backend = sglang"));
}
