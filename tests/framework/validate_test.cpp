// dynosim validate: runs-table reading, generated workloads, the ITL definition, one small end-to-end run.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "framework/validation.hpp"
#include "sim/core/errors.hpp"
#include "test_support.hpp"

namespace fw = dynosim::framework;
using dynosim::sim::core::InputError;

namespace {

const char* kHeader =
    "folder,exp_id,model,hardware,precision,tp,dp,cpu_offload,gpu_mem_util,mbt,engine,engine_version,"
    "max_model_len,max_num_seqs,block_size,prefix_caching,chunked_prefill,arrivals,workload,sys_prompt_len,"
    "question_len,output_len,num_system_prompts,users_per_prompt,stages_rate_rps_x_duration,expected_num_requests,"
    "total_kv_blocks,summary_e2e_mean_ms,summary_ttft_mean_ms,summary_itl_mean_ms,s0_e2e_mean_ms,s1_e2e_mean_ms";

std::string row(const std::string& id, const std::string& offload, const std::string& stages) {
    return id + "-run," + id +
           ",Qwen/Qwen2.5-7B-Instruct,H100,FP16,1,," + offload +
           ",0.9,2048,vllm,0.15.1,4096,128,16,true,true,poisson,codegen,100,466,247,11,4," + stages +
           ",,65368,1900,25,7.5,1850,1950";
}

std::string without_column(const std::string& header, const std::string& col) {
    std::string out;
    std::stringstream ss(header);
    std::string c;
    while (std::getline(ss, c, ','))
        if (c != col) out += (out.empty() ? "" : ",") + c;
    return out;
}

}  // namespace

TEST_CASE("validate reader rejects a missing column by name", "[validate]") {
    const auto dir = dynosim::test::temp_dir("validate-missing");
    dynosim::test::write_file(dir / "runs.csv", without_column(kHeader, "users_per_prompt") + "\n");
    try {
        fw::read_runs_csv(dir / "runs.csv");
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("missing column 'users_per_prompt'"));
    }
}

TEST_CASE("validate reader rejects an unknown column by name", "[validate]") {
    const auto dir = dynosim::test::temp_dir("validate-unknown");
    dynosim::test::write_file(dir / "runs.csv", std::string(kHeader) + ",s0_tpot_mean_ms\n");
    try {
        fw::read_runs_csv(dir / "runs.csv");
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("unknown column 's0_tpot_mean_ms'"));
    }
}

TEST_CASE("validate parses a row and its stages", "[validate]") {
    const auto dir = dynosim::test::temp_dir("validate-parse");
    dynosim::test::write_file(dir / "runs.csv", std::string(kHeader) + "\n" + row("7", "", "5x600s;10x300s") + "\n");
    const auto t = fw::read_runs_csv(dir / "runs.csv");
    REQUIRE(t.rows.size() == 1);
    const auto r = fw::parse_run(t, 0);
    CHECK(r.id == "7");
    CHECK(r.tp == 1);
    CHECK(r.dp == 1);
    CHECK(r.total_kv_blocks == 65368);
    REQUIRE(r.stages.size() == 2);
    CHECK(r.stages[1].rate_rps == 10);
    CHECK(r.stages[1].duration_s == 300);
    CHECK(r.measured.at("s1_e2e_mean_ms") == 1950);
    CHECK(r.measured.size() == 5);
    CHECK_THROWS_AS(fw::parse_stages("5 per second"), InputError);
    CHECK(fw::model_family("meta-llama/Llama-3.1-70B-Instruct") == "llama-3.1");
    CHECK(fw::model_family("Qwen/Qwen2.5-7B-Instruct") == "qwen2.5");
    CHECK(fw::model_family("RedHatAI/Llama-4-Scout-17B-16E-Instruct-FP8-dynamic") == "llama-4-scout");
    CHECK(fw::model_family("mistralai/Mistral-Nemo-Instruct-2407") == "mistral-nemo");
}

TEST_CASE("validate workload has the request count, group sharing and stage rates of its row", "[validate]") {
    fw::RunSpec run;
    run.id = "w";
    run.sys_prompt_len = 100;
    run.question_len = 466;
    run.output_len = 247;
    run.num_system_prompts = 11;
    run.users_per_prompt = 4;
    run.block_size = 16;
    run.stages = {{5, 600}, {10, 600}};
    fw::ValidateOptions o;
    // By default the study's generator's own 10 x 10 prompts (it did not read the row's 11 x 4).
    {
        const auto w = fw::make_run_workload(run, o);
        REQUIRE(w.requests.size() == 9000);
        std::set<std::uint64_t> groups, prompts;
        for (const auto& r : w.requests) {
            groups.insert(r.block_hashes[5]);
            prompts.insert(r.block_hashes.back());
        }
        CHECK(groups.size() == 10);
        CHECK(prompts.size() == 100);
        for (std::size_t k = 100; k < w.requests.size(); k += 997)
            CHECK(w.requests[k].block_hashes == w.requests[k - 100].block_hashes);
    }
    o.prompt_groups = 0;  // the row's columns
    const auto w = fw::make_run_workload(run, o);
    REQUIRE(w.requests.size() == 9000);
    std::size_t first = 0;
    std::map<std::uint64_t, std::set<std::uint64_t>> first_block_to_third;  // group key -> distinct 7th blocks
    std::set<std::uint64_t> groups, uniques;
    for (const auto& r : w.requests) {
        CHECK(r.input_tokens == 100 + 466 + o.framing_tokens);
        CHECK(r.output_tokens == 247);
        if (r.arrival_ns < 600'000'000'000LL) ++first;
        REQUIRE(r.block_hashes.size() == static_cast<std::size_t>((r.input_tokens + 15) / 16));
        groups.insert(r.block_hashes[5]);    // last full block of the 100-token system prompt: shared
        uniques.insert(r.block_hashes[6]);   // first block holding question tokens: one per prompt
    }
    CHECK(first == 3000);                    // 5 req/s for 600 s, then 10 req/s
    CHECK(groups.size() == 11);              // one shared prefix per system prompt
    // inference-perf sends a fixed set of 11 x 4 prompts, shuffled once and cycled: request k repeats the
    // whole prompt (every block) of request k - 44, and the first 44 are all different.
    CHECK(uniques.size() == 44);
    for (std::size_t k = 44; k < w.requests.size(); k += 997)
        CHECK(w.requests[k].block_hashes == w.requests[k - 44].block_hashes);
    std::set<std::uint64_t> first_cycle;
    for (std::size_t k = 0; k < 44; ++k) first_cycle.insert(w.requests[k].block_hashes.back());
    CHECK(first_cycle.size() == 44);
    CHECK(w.requests.back().arrival_ns < 1'200'000'000'000LL);
    // Poisson within a stage: mean gap 1 / rate.
    const double span = static_cast<double>(w.requests[2999].arrival_ns - w.requests[0].arrival_ns) * 1e-9;
    CHECK(span / 2999 == Approx(0.2).epsilon(0.02));
    // Deterministic.
    const auto w2 = fw::make_run_workload(run, o);
    CHECK(w2.requests[1234].arrival_ns == w.requests[1234].arrival_ns);
    CHECK(w2.requests[1234].block_hashes == w.requests[1234].block_hashes);
}

TEST_CASE("validate ITL is the study's definition", "[validate]") {
    // Two requests: E2E 1000 and 2000 ms, TTFT 100 and 300 ms, 101 and 201 output tokens:
    // (mean E2E - mean TTFT) / (mean output - 1) = (1500 - 200) / (151 - 1) = 8.6667 ms (not the mean of
    // the per-request ITLs, 900/100 = 9 and 1700/200 = 8.5).
    const auto s = fw::latency_stats({1000, 2000}, {100, 300}, {101, 201});
    CHECK(s.itl_mean == Approx(1300.0 / 150.0));
    CHECK(s.e2e_mean == Approx(1500));
    CHECK(s.ttft_p90 == Approx(280));  // linear interpolation between ranks
    CHECK(fw::percentile({1, 2, 3, 4}, 50) == Approx(2.5));
}

TEST_CASE("validate cannot model an unknown cpu_offload value or an unknown GPU per row", "[validate]") {
    fw::RunSpec run;
    run.model = "Qwen/Qwen2.5-7B-Instruct";
    run.hardware = "H100";
    run.precision = "FP16";
    run.cpu_offload = "sometimes";
    run.stages = {{1, 1}};
    run.output_len = 8;
    fw::ValidateOptions o;
    o.data_dir = dynosim::test::data_dir();
    auto r = fw::validate_run(run, o);
    CHECK_THAT(r.error, Catch::Contains("cannot model cpu_offload = 'sometimes'"));
    run.cpu_offload = "-4GiB";
    r = fw::validate_run(run, o);
    CHECK_THAT(r.error, Catch::Contains("cannot model cpu_offload = '-4GiB'"));
    run.cpu_offload = "False";
    run.hardware = "TPU-v5";
    r = fw::validate_run(run, o);
    CHECK_THAT(r.error, Catch::Contains("cannot model hardware = 'TPU-v5'"));
    run.hardware = "H100";
    run.model = "nobody/NoSuchModel-3B";
    r = fw::validate_run(run, o);
    CHECK_THAT(r.error, Catch::Contains("cannot model model = 'nobody/NoSuchModel-3B'"));
}

TEST_CASE("validate on two rows runs and writes both files", "[validate]") {
    if (!std::filesystem::exists(dynosim::test::data_dir() / "models" / "Qwen--Qwen2.5-7B-Instruct")) {
        WARN("shared data not found; skipped");
        return;
    }
    const auto dir = dynosim::test::temp_dir("validate-cli");
    dynosim::test::write_file(dir / "runs.csv", std::string(kHeader) + "\n" + row("a", "", "2x60s;4x30s") +
                                                    "\n" + row("b", "maybe", "2x60s") + "\n");
    const auto r = dynosim::test::run_cli("validate " + (dir / "runs.csv").string() + " --out " +
                                          (dir / "out").string() + " --jobs 2 --data " +
                                          dynosim::test::data_dir().string());
    INFO(r.output);
    CHECK(r.exit_code == 1);  // row b cannot be modelled; row a still ran
    CHECK_THAT(r.output, Catch::Contains("row b: cannot model cpu_offload = 'maybe'"));
    const auto rows = dynosim::test::read_file(dir / "out" / "rows.csv");
    const auto summary = dynosim::test::read_file(dir / "out" / "summary.csv");
    CHECK_THAT(rows, Catch::Contains("a,a-run,Qwen/Qwen2.5-7B-Instruct,qwen2.5,H100,codegen,s1,e2e_mean_ms,1950.0000"));
    CHECK_THAT(summary, Catch::Contains("all,all,itl_mean_ms,1,"));
    CHECK_THAT(summary, Catch::Contains("stage,s0,e2e_mean_ms,1,"));
}

TEST_CASE("validate runs a cpu_offload row with a host KV tier that serves evicted prompts", "[validate]") {
    if (!std::filesystem::exists(dynosim::test::data_dir() / "models" / "Qwen--Qwen2.5-7B-Instruct")) {
        WARN("shared data not found; skipped");
        return;
    }
    // 40 distinct 1226-token prompts (77 blocks each, 3080 in all) cycled through a 400-block GPU pool: a
    // prompt is evicted before it comes back, so without a CPU tier every request recomputes its prompt.
    fw::RunSpec run;
    run.id = "offload";
    run.model = "Qwen/Qwen2.5-7B-Instruct";
    run.hardware = "H100";
    run.precision = "BF16";
    run.max_num_batched_tokens = 2048;
    run.max_num_seqs = 128;
    run.max_model_len = 4096;
    run.sys_prompt_len = 1000;
    run.question_len = 200;
    run.output_len = 16;
    run.num_system_prompts = 20;
    run.users_per_prompt = 2;
    run.stages = {{4, 30}};
    run.total_kv_blocks = 400;
    run.measured["summary_ttft_mean_ms"] = 100;
    fw::ValidateOptions o;
    o.data_dir = dynosim::test::data_dir();

    run.cpu_offload = "False";
    CHECK_FALSE(fw::make_run_scenario(run, o).kvbm.enabled());
    const auto without = fw::validate_run(run, o);
    REQUIRE(without.error.empty());

    run.cpu_offload = "True";  // the study's 8 GiB pool (vLLM --kv-offloading-size 8)
    const auto s = fw::make_run_scenario(run, o);
    CHECK(s.kvbm.enabled());
    CHECK(s.kvbm.host.capacity_gb == Approx(8.0 * 1073741824.0 / 1e9));
    CHECK(s.kvbm.host.bandwidth_gbps == Approx(64));  // H100-SXM PCIe Gen5 x16, one rank
    CHECK(s.kvbm.offload_trigger == "register");
    run.cpu_offload = "16GiB";
    CHECK(fw::make_run_scenario(run, o).kvbm.host.capacity_gb == Approx(16.0 * 1073741824.0 / 1e9));
    run.cpu_offload = "True";
    const auto with = fw::validate_run(run, o);
    REQUIRE(with.error.empty());
    REQUIRE(with.metrics.size() == 1);
    REQUIRE(without.metrics.size() == 1);
    INFO("TTFT without " << without.metrics[0].predicted << " ms, with " << with.metrics[0].predicted
                         << " ms");
    // Loading a prompt's blocks over PCIe is much faster than recomputing 1200 tokens.
    CHECK(with.metrics[0].predicted < 0.9 * without.metrics[0].predicted);
    CHECK(with.unfinished == 0);
}
