// The per-step overhead fit through the simulator (framework/overhead_fit.hpp, `dynosim calib fit --method
// simulate`).
#include <catch2/catch.hpp>

#include <string>

#include "framework/overhead_fit.hpp"
#include "framework/validation.hpp"
#include "test_support.hpp"

namespace fw = dynosim::framework;

namespace {

const char* kHeader =
    "exp_id,model,hardware,precision,tp,dp,cpu_offload,gpu_mem_util,mbt,engine,max_model_len,max_num_seqs,"
    "block_size,prefix_caching,chunked_prefill,sys_prompt_len,question_len,output_len,num_system_prompts,"
    "users_per_prompt,stages_rate_rps_x_duration,total_kv_blocks,s0_e2e_mean_ms,s0_ttft_mean_ms,s1_e2e_mean_ms,"
    "s1_ttft_mean_ms";

std::string row(const std::string& id, const std::string& stages, const double m[4]) {
    return id + ",Qwen/Qwen2.5-7B-Instruct,H100,FP16,1,,,0.9,2048,vllm,4096,128,16,true,true,100,400,80,4,4," +
           stages + ",60000," + std::to_string(m[0]) + "," + std::to_string(m[1]) + "," + std::to_string(m[2]) +
           "," + std::to_string(m[3]);
}

}  // namespace

TEST_CASE("the simulated overhead fit recovers the overheads that produced the measurements", "[validate][calib]") {
    // "Measurements" made by the simulator itself with 700 us per step and 12 us per sequence: fitting from
    // the defaults must find those values again, and match the time per output token.
    const auto dir = dynosim::test::temp_dir("overhead-fit");
    const double placeholder[4] = {1000, 20, 1000, 20};
    const std::string stages[2] = {"3x40s;9x40s", "6x40s;14x40s"};
    dynosim::test::write_file(dir / "runs.csv", std::string(kHeader) + "\n" + row("a", stages[0], placeholder) + "\n" +
                                                    row("b", stages[1], placeholder) + "\n");
    fw::ValidateOptions truth;
    truth.data_dir = dynosim::test::data_dir();
    truth.frontend_ms = 0;
    truth.timing.table.step_overhead_us = 700;
    truth.timing.table.per_seq_overhead_us = 12;
    const auto sim = fw::validate_table(fw::read_runs_csv(dir / "runs.csv"), truth, 2);
    std::string text = std::string(kHeader) + "\n";
    for (int i = 0; i < 2; ++i) {
        REQUIRE(sim[static_cast<std::size_t>(i)].error.empty());
        double m[4] = {0, 0, 0, 0};
        for (const auto& e : sim[static_cast<std::size_t>(i)].metrics) {
            const int base = e.scope == "s0" ? 0 : e.scope == "s1" ? 2 : -1;
            if (base < 0) continue;
            if (e.metric == "e2e_mean_ms") m[base] = e.predicted;
            if (e.metric == "ttft_mean_ms") m[base + 1] = e.predicted;
        }
        text += row(i == 0 ? "a" : "b", stages[i], m) + "\n";
    }
    dynosim::test::write_file(dir / "runs.csv", text);

    fw::ValidateOptions start;
    start.data_dir = dynosim::test::data_dir();
    fw::OverheadFitOptions fo;
    fo.jobs = 2;
    const auto fit = fw::fit_overheads_by_simulation(fw::read_runs_csv(dir / "runs.csv"), start, fo);
    CHECK(fit.points.size() == 4);
    CHECK(fit.step_overhead_us == Approx(700).margin(30));
    CHECK(fit.per_seq_overhead_us == Approx(12).margin(4));
    CHECK(fit.median_abs_pct_after < 0.5);
    CHECK(fit.median_abs_pct_before > 2);
    CHECK(fit.frontend_ms == Approx(0).margin(1));  // the "measured" TTFT had no front end
}
