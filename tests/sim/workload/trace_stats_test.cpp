#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sim/workload/generator.hpp"
#include "sim/workload/trace_loader.hpp"
#include "sim/workload/trace_stats.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::workload;
using dynosim::sim::core::kNsPerSec;

namespace {
std::filesystem::path traces() {
    return dynosim::test::data_dir() / "traces";
}

Request req(std::int64_t t_s, std::int32_t in, std::int32_t out, std::vector<std::uint64_t> hashes = {},
            std::int32_t b = 0) {
    Request r;
    r.arrival_ns = t_s * kNsPerSec;
    r.input_tokens = in;
    r.output_tokens = out;
    r.block_hashes = std::move(hashes);
    r.hash_block_tokens = b;
    return r;
}
}  // namespace

TEST_CASE("trace stats count requests, rate, length percentiles and chained prefix reuse", "[workload]") {
    Workload w;
    w.source = "toy";
    w.requests = {req(0, 10, 1, {1, 2, 3}, 4), req(30, 20, 2, {1, 2, 9}, 4), req(60, 30, 3, {7, 2, 3}, 4),
                  req(90, 40, 4, {1, 2, 9, 5}, 4), req(120, 50, 5)};
    finalize(w);
    const TraceStats s = compute_trace_stats(w, 60);
    CHECK(s.num_requests == 5);
    CHECK(s.duration_s == Approx(120));
    CHECK(s.mean_rate == Approx(5.0 / 120));
    REQUIRE(s.rate_per_bucket.size() == 3);
    CHECK(s.rate_per_bucket[0] == Approx(2.0 / 60));
    CHECK(s.input.p50 == Approx(30));
    CHECK(s.input.p90 == Approx(46));  // interpolated between 40 and 50
    CHECK(s.input.mean == Approx(30));
    CHECK(s.output.max == 5);
    // Prompt blocks ceil(in / 4): 3 + 5 + 8 + 10 = 26 (the last request has no hashes and is not counted).
    // Reused: request 2 hits {1, 2}; request 3 none (7 differs, so 2 and 3 after it are new prefixes);
    // request 4 hits {1, 2, 9}.
    CHECK(s.prompt_blocks == 26);
    CHECK(s.reused_blocks == 5);
    CHECK(s.prefix_reuse_ratio == Approx(5.0 / 26));
    CHECK(s.hash_block_tokens == 4);
    const std::string text = format_trace_stats(s);
    CHECK_THAT(text, Catch::Contains("requests        5"));
    CHECK_THAT(text, Catch::Contains("prefix reuse    19.2%"));
    const nlohmann::json j = to_json(s);
    CHECK(j["num_requests"] == 5);
    CHECK(j["input_tokens"]["p50"] == 30.0);
    CHECK(j["rate_per_bucket"].size() == 3);
}

TEST_CASE("prefix reuse is substantial on Mooncake and zero on Azure", "[workload]") {
    const TraceStats moon =
        compute_trace_stats(load_trace(traces() / "mooncake" / "conversation_trace.jsonl"));
    CHECK(moon.num_requests == 12031);
    CHECK(moon.prefix_reuse_ratio > 0.2);
    CHECK(moon.prefix_reuse_ratio < 0.9);
    CHECK(moon.hash_block_tokens == 512);
    CHECK(moon.input.mean == Approx(12035).epsilon(0.001));  // as published
    CHECK(moon.output.mean == Approx(343).epsilon(0.002));
    CHECK(moon.duration_s > 3000);

    const TraceStats azure =
        compute_trace_stats(load_trace(traces() / "azure_llm_2023" / "AzureLLMInferenceTrace_code.csv"));
    CHECK(azure.num_requests == 8819);
    CHECK(azure.prefix_reuse_ratio == 0);
    CHECK(azure.hash_block_tokens == 0);
    CHECK(azure.num_sessions == 0);
    CHECK(azure.num_clients == 0);
    CHECK_THAT(format_trace_stats(azure), Catch::Contains("no prefix hashes"));
}

TEST_CASE("generated sessions and prefix groups show up in the stats", "[workload]") {
    GeneratorOptions o;
    o.arrival.rate = 5;
    o.duration_s = 60;
    o.session.turns = {.kind = "fixed", .value = 3};
    o.session.think_time_mean_s = 2;
    const TraceStats s = compute_trace_stats(generate(o, 1));
    CHECK(s.num_sessions > 200);
    CHECK(s.prefix_reuse_ratio > 0.4);  // turns 2 and 3 carry the conversation so far
    CHECK(s.hash_block_tokens == 16);
}
