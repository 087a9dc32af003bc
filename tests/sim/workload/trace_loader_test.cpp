#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <numeric>
#include <string>

#include "sim/core/errors.hpp"
#include "sim/workload/trace_loader.hpp"
#include "test_support.hpp"

using namespace dynosim::sim::workload;
using dynosim::sim::core::InputError;
namespace fs = std::filesystem;

namespace {
fs::path traces() {
    return dynosim::test::data_dir() / "traces";
}

// The first `n` lines of a shared data file, written to a temp file (the data itself stays outside).
fs::path slice(const fs::path& src, std::size_t n, const fs::path& dst) {
    std::ifstream in(src);
    std::string text, line;
    for (std::size_t i = 0; i < n && std::getline(in, line); ++i) text += line + "\n";
    dynosim::test::write_file(dst, text);
    return dst;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("Mooncake loader reads the first 200 conversation requests with their times and hashes",
          "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-mooncake");
    const auto file = slice(traces() / "mooncake" / "conversation_trace.jsonl", 200, dir / "conv200.jsonl");
    const Workload w = load_mooncake_jsonl(file, {});
    REQUIRE(w.requests.size() == 200);
    CHECK(w.skipped_lines == 0);
    const Request& r0 = w.requests.front();
    CHECK(r0.id == 0);
    CHECK(r0.arrival_ns == 0);
    CHECK(r0.input_tokens == 6758);
    CHECK(r0.output_tokens == 500);
    CHECK(r0.hash_block_tokens == 512);
    CHECK(r0.block_hashes == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
    const Request& last = w.requests.back();
    CHECK(last.id == 199);
    CHECK(last.arrival_ns == 72'000'000'000);  // timestamp 72000 ms
    CHECK(last.input_tokens == 19978);
    CHECK(last.output_tokens == 448);
    CHECK(last.block_hashes[1] == 5176);
    std::int64_t in = 0, out = 0;
    std::size_t hashes = 0;
    for (const Request& r : w.requests) {
        in += r.input_tokens;
        out += r.output_tokens;
        hashes += r.block_hashes.size();
        CHECK(r.session_id == -1);
        CHECK(r.client_id == -1);
    }
    CHECK(in == 2782179);
    CHECK(out == 71379);
    CHECK(hashes == 5537);
    // The 11th line is the first at 3000 ms (ten requests at t = 0).
    CHECK(w.requests[9].arrival_ns == 0);
    CHECK(w.requests[10].arrival_ns == 3'000'000'000);
}

TEST_CASE("the whole Mooncake conversation trace loads in arrival order", "[workload]") {
    const Workload w = load_trace(traces() / "mooncake" / "conversation_trace.jsonl");
    CHECK(w.requests.size() == 12031);
    CHECK(std::is_sorted(w.requests.begin(), w.requests.end(),
                         [](const Request& a, const Request& b) { return a.arrival_ns < b.arrival_ns; }));
}

TEST_CASE("Mooncake loader ignores extra keys, sorts out-of-order lines and uses integer session ids",
          "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-mooncake-extra");
    dynosim::test::write_file(
        dir / "t.jsonl",
        "{\"timestamp\": 20, \"input_length\": 10, \"output_length\": 2, \"hash_ids\": [7], "
        "\"session_id\": 4, \"extra\": {\"a\": [1, 2]}}\n"
        "\n"
        "{\"timestamp\": 10.5, \"input_length\": 3, \"output_length\": 1, \"chat_id\": \"x\"}\r\n");
    LoadOptions o;
    o.trace_block_tokens = 16;
    const Workload w = load_trace(dir / "t.jsonl", o);
    REQUIRE(w.requests.size() == 2);
    CHECK(w.requests[0].arrival_ns == 10'500'000);
    CHECK(w.requests[0].block_hashes.empty());
    CHECK(w.requests[0].session_id == -1);
    CHECK(w.requests[1].arrival_ns == 20'000'000);
    CHECK(w.requests[1].session_id == 4);
    CHECK(w.requests[1].hash_block_tokens == 16);
    CHECK(w.requests[1].id == 1);
}

TEST_CASE("Azure loader reads a slice of the real code trace with exact wall-clock offsets", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-azure");
    const auto file =
        slice(traces() / "azure_llm_2023" / "AzureLLMInferenceTrace_code.csv", 201, dir / "code200.csv");
    const Workload w = load_azure_csv(file, {});
    REQUIRE(w.requests.size() == 200);
    CHECK(w.requests[0].arrival_ns == 0);
    CHECK(w.requests[0].input_tokens == 4808);
    CHECK(w.requests[0].output_tokens == 10);
    // 18:17:04.0319600 - 18:17:03.9799600
    CHECK(w.requests[1].arrival_ns == 52'000'000);
    // 18:20:23.0695450 - 18:17:03.9799600 = 199.089585 s, to the ns
    CHECK(w.requests[199].arrival_ns == 199'089'585'000);
    CHECK(w.requests[199].input_tokens == 65);
    std::int64_t in = 0, out = 0;
    for (const Request& r : w.requests) {
        in += r.input_tokens;
        out += r.output_tokens;
        CHECK(r.block_hashes.empty());
    }
    CHECK(in == 414215);
    CHECK(out == 4907);
}

TEST_CASE("Azure loader also reads Vidur's processed CSV, detected by its header", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-vidur");
    const auto file = slice(traces() / "vidur_processed" / "splitwise_code.csv", 201, dir / "v200.csv");
    const Workload w = load_trace(file);
    REQUIRE(w.requests.size() == 200);
    CHECK(w.requests[1].arrival_ns == 52'000'000);
    CHECK(w.requests[199].arrival_ns == 199'089'585'000);
    CHECK(w.requests[199].input_tokens == 65);
    CHECK(w.requests[199].output_tokens == 10);
}

TEST_CASE("format auto picks the loader by extension, then by content", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-detect");
    dynosim::test::write_file(dir / "a.txt",
                              "  {\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n");
    dynosim::test::write_file(dir / "b.txt", "arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,3,4\n");
    CHECK(detect_trace_format(dir / "a.txt") == "mooncake");
    CHECK(detect_trace_format(dir / "b.txt") == "azure");
    CHECK(detect_trace_format(dir / "x.jsonl") == "mooncake");
    CHECK(detect_trace_format(dir / "x.csv") == "azure");
    CHECK(load_trace(dir / "b.txt").requests.at(0).arrival_ns == 500'000'000);
    LoadOptions bad;
    bad.format = "parquet";
    CHECK_THAT(error_of([&] { load_trace(dir / "a.txt", bad); }),
               Catch::Contains("unknown trace format 'parquet'"));
}

TEST_CASE("Mooncake loader errors name the file, the line and the field", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-mooncake-bad");
    const std::string good =
        "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1]}\n";
    auto check = [&](const std::string& bad_line, const std::string& want) {
        const auto f = dir / "bad.jsonl";
        dynosim::test::write_file(f, good + good + bad_line + "\n" + good);
        CHECK(error_of([&] { load_mooncake_jsonl(f, {}); }) == f.string() + ":3: " + want);
    };
    check("{\"timestamp\": 0, \"output_length\": 1}", "field 'input_length': missing");
    check("{\"timestamp\": 0, \"input_length\": \"12\", \"output_length\": 1}",
          "field 'input_length': expected an integer, got \"12\"");
    check("{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 1}",
          "field 'input_length': must be >= 1, got 0");
    check("{\"timestamp\": 0, \"input_length\": 4, \"output_length\": -3}",
          "field 'output_length': must be >= 1, got -3");
    check("{\"timestamp\": 0, \"input_length\": 4, \"output_length\": 2.5}",
          "field 'output_length': expected an integer, got 2.5");
    check("{\"timestamp\": -1, \"input_length\": 4, \"output_length\": 2}",
          "field 'timestamp': must be >= 0, got -1");
    check("{\"timestamp\": 0, \"input_length\": 4, \"output_length\": 2, \"hash_ids\": [1, \"x\"]}",
          "field 'hash_ids': element 1: expected an integer, got \"x\"");
    check("{\"timestamp\": 0, \"input_length\": 4, \"output_length\": 2, \"hash_ids\": 3}",
          "field 'hash_ids': expected an array of integers, got 3");
    CHECK_THAT(error_of([&] {
                   dynosim::test::write_file(dir / "trunc.jsonl",
                                             good + "{\"timestamp\": 0, \"input_length\": 5\n");
                   load_mooncake_jsonl(dir / "trunc.jsonl", {});
               }),
               Catch::StartsWith((dir / "trunc.jsonl").string() + ":2: invalid JSON"));
    CHECK_THAT(error_of([&] { load_trace(dir / "missing.jsonl"); }),
               Catch::Contains((dir / "missing.jsonl").string()) && Catch::Contains("not found"));
}

TEST_CASE("Azure loader errors name the file, the line and the column", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-azure-bad");
    const std::string head = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n";
    auto check = [&](const std::string& bad_line, const std::string& want) {
        const auto f = dir / "bad.csv";
        dynosim::test::write_file(f, head + bad_line + "\n");
        CHECK(error_of([&] { load_azure_csv(f, {}); }) == f.string() + ":3: " + want);
    };
    check("2023-11-16 18:17:04.0,abc,3", "field 'ContextTokens': expected an integer, got 'abc'");
    check("2023-11-16 18:17:04.0,12,0", "field 'GeneratedTokens': must be >= 1, got 0");
    check("2023-11-16 18:17:04.0,12", "field 'GeneratedTokens': missing (row has 2 columns)");
    check("yesterday,12,3",
          "field 'TIMESTAMP': expected a time like 2023-11-16 18:17:03.9799600, got 'yesterday'");
    dynosim::test::write_file(dir / "hdr.csv", "time,in,out\n1,2,3\n");
    CHECK_THAT(error_of([&] { load_azure_csv(dir / "hdr.csv", {}); }),
               Catch::StartsWith((dir / "hdr.csv").string() + ":1: unrecognized CSV header"));
}

TEST_CASE("skip_bad_lines counts malformed lines and keeps the rest", "[workload]") {
    const auto dir = dynosim::test::temp_dir("wl-skip");
    dynosim::test::write_file(dir / "t.jsonl",
                              "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1}\n"
                              "not json\n"
                              "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 1}\n"
                              "{\"timestamp\": 2, \"input_length\": 5, \"output_length\": 1}\n");
    dynosim::test::write_file(
        dir / "t.csv", "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n-1,1,1\n1,x,1\n2,2,2\n");
    LoadOptions o;
    o.skip_bad_lines = true;
    const Workload a = load_trace(dir / "t.jsonl", o);
    CHECK(a.requests.size() == 2);
    CHECK(a.skipped_lines == 2);
    CHECK(a.requests[1].arrival_ns == 2'000'000);
    const Workload b = load_trace(dir / "t.csv", o);
    CHECK(b.requests.size() == 2);
    CHECK(b.skipped_lines == 2);
    CHECK_THROWS_AS(load_trace(dir / "t.jsonl"), InputError);
}
