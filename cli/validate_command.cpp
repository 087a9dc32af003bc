// `dynosim validate RUNS.csv [--out DIR] [--jobs N]`: score the simulator against measured serving runs
// (one simulation per row, APE per measured metric, summary by GPU / model family / workload / stage), and
// `dynosim validate --replay DIR [RUNS.csv]`: replay recorded requests and report per-request errors.
// docs/fidelity.md describes the method and the results.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "framework/validation.hpp"
#include "sim/core/errors.hpp"

namespace dynosim::cli {

namespace {

struct ValidateArgs {
    std::string runs, out_dir, replay, data_dir, calibration;
    double frontend_ms = -1;  // < 0: ValidateOptions' default
    int prompt_groups = -1, prompts_per_group = -1;  // < 0: ValidateOptions' default
    int jobs = 1;
    bool quiet = false;
};

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    if (!out) throw sim::core::InputError(p.string() + ": cannot write");
    out << text;
}

int run(const ValidateArgs& a) {
    framework::ValidateOptions o;
    if (!a.data_dir.empty()) o.data_dir = a.data_dir;
    if (!a.calibration.empty()) o.timing.table.calibration_file = a.calibration;
    if (a.frontend_ms >= 0) o.frontend_ms = a.frontend_ms;
    if (a.prompt_groups >= 0) o.prompt_groups = a.prompt_groups;
    if (a.prompts_per_group >= 0) o.prompts_per_group = a.prompts_per_group;
    if (!a.out_dir.empty()) std::filesystem::create_directories(a.out_dir);
    if (!a.replay.empty()) {
        std::optional<framework::RunsTable> table;
        if (!a.runs.empty()) table = framework::read_runs_csv(a.runs);
        const auto results = framework::replay_dir(a.replay, o, table ? &*table : nullptr);
        if (!a.quiet) std::cout << framework::format_replay(results) << std::flush;
        if (!a.out_dir.empty())
            for (const auto& r : results)
                write_file(std::filesystem::path(a.out_dir) / (r.name + "_replay.csv"), framework::replay_csv(r));
        return 0;
    }
    if (a.runs.empty()) throw sim::core::InputError("validate: give RUNS.csv (or --replay DIR)");
    const framework::RunsTable table = framework::read_runs_csv(a.runs);
    int jobs = a.jobs;
    if (jobs <= 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const auto rows = framework::validate_table(table, o, jobs);
    const auto agg = framework::aggregate(rows);
    if (!a.quiet) std::cout << framework::format_summary(agg, rows) << std::flush;
    if (!a.out_dir.empty()) {
        write_file(std::filesystem::path(a.out_dir) / "rows.csv", framework::rows_csv(rows));
        write_file(std::filesystem::path(a.out_dir) / "summary.csv", framework::summary_csv(agg));
        if (!a.quiet) spdlog::info("wrote {}/rows.csv and {}/summary.csv", a.out_dir, a.out_dir);
    }
    for (const auto& r : rows)
        if (!r.error.empty()) return 1;  // the others ran; say some rows could not be modelled
    return 0;
}

}  // namespace

void add_validate_command(CLI::App& app) {
    auto args = std::make_shared<ValidateArgs>();
    auto* cmd = app.add_subcommand("validate", "score the simulator against measured serving runs (docs/fidelity.md)");
    cmd->add_option("RUNS", args->runs,
                    "runs table in the format of serving/sim2real-trainval/experiments.csv (with --replay: "
                    "optional, supplies the replayed run's setup)");
    cmd->add_option("--out", args->out_dir, "write rows.csv and summary.csv (replay: <run>_replay.csv) here");
    cmd->add_option("--jobs", args->jobs, "rows simulated at once (0 = one per core)")->capture_default_str();
    cmd->add_option("--replay", args->replay, "replay the recorded requests of every run in this folder");
    cmd->add_option("--data", args->data_dir, "shared data folder (default: $DYNOSIM_DATA or ../shared/data)");
    cmd->add_option("--calibration", args->calibration,
                    "overheads from this calibration file (`dynosim calib fit --out`) instead of the defaults");
    cmd->add_option("--frontend-ms", args->frontend_ms, "front-end latency added to TTFT and E2E, ms (default 7.34)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--prompt-groups", args->prompt_groups,
                    "the load generator's prompt groups, used instead of the num_system_prompts column; 0 = the "
                    "columns (default 10: the study's inference-perf did not read them, docs/fidelity.md)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--prompts-per-group", args->prompts_per_group,
                    "the load generator's prompts per group, instead of the users_per_prompt column (default 10)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--quiet", args->quiet, "print nothing; only write --out files");
    cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace dynosim::cli
