// `dynosim calib validate` and `dynosim calib fit`.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "framework/overhead_fit.hpp"
#include "framework/validation.hpp"
#include "sim/timing/calibration.hpp"
#include "sim/timing/op_tables.hpp"

namespace dynosim::cli {
namespace {

namespace tm = dynosim::sim::timing;

struct CalibArgs {
    std::string data_dir = tm::TableTimingOptions{}.data_dir;
    std::vector<std::string> gpus;        // table folders; empty = all
    std::vector<std::string> frameworks;  // empty = vllm, sglang, trtllm
    bool cross_source = true;
    double target_median = 5, target_p90 = 12;
    // fit
    std::string hardware = "sim2real";
    std::string out;
    std::string method = "auto";  // sim2real: simulate (fixed point through the simulator) or littles-law
    std::string runs;             // runs table for --method simulate; default the sim2real-trainval runs
    int jobs = 1;
};

std::string data_dir_of(const CalibArgs& a) {
    tm::TableTimingOptions o;
    o.data_dir = a.data_dir;
    return o.resolved_data_dir();
}

int run_validate(const CalibArgs& a) {
    const std::filesystem::path data = data_dir_of(a);
    const auto root = data / "gpu" / "aiconfigurator_csv";
    std::vector<std::string> gpus = a.gpus.empty() ? tm::table_gpu_dirs(root) : a.gpus;
    if (gpus.empty()) throw std::runtime_error("no GPU tables under " + root.string());
    const std::vector<std::string> fws =
        a.frameworks.empty() ? std::vector<std::string>{"vllm", "sglang", "trtllm", "nccl"} : a.frameworks;
    std::vector<tm::ErrorStats> all;
    for (const auto& g : gpus)
        for (const auto& fw : fws) {
            auto s = tm::leave_one_out(root, g, fw);
            all.insert(all.end(), s.begin(), s.end());
        }
    fmt::print(
        "Leave-one-out over grid points: each measured point held out and predicted from the rest of its\n"
        "table by the model's own rules (a grid cell from every axis that brackets it: the median of the\n"
        "per-axis interpolations, for GEMM weighted by how smooth each axis is around the cell; curves "
        "along\n"
        "their one axis); absolute % error:\n\n");
    fmt::print("{:<28} {:<44} {:>8} {:>8} {:>8} {:>9}\n", "op family", "tables", "points", "median%", "p90%",
               "max%");
    bool all_ok = true;
    for (const auto& s : all) {
        if (s.points == 0 || s.protocol != "cell") continue;
        const bool ok = s.median_pct <= a.target_median && s.p90_pct <= a.target_p90;
        all_ok = all_ok && ok;
        fmt::print("{:<28} {:<44} {:>8} {:>8.2f} {:>8.2f} {:>9.1f}{}\n", s.family, s.scope, s.points,
                   s.median_pct, s.p90_pct, s.max_pct, ok ? "" : "  (above target)");
    }
    // Per family over every table, for one protocol.
    auto per_family = [&](const std::string& protocol) {
        std::map<std::string, std::vector<const tm::ErrorStats*>> by_family;
        for (const auto& s : all)
            if (s.protocol == protocol) by_family[s.family].push_back(&s);
        for (const auto& [fam, list] : by_family) {
            std::vector<double> med, p90;
            std::size_t n = 0;
            for (const auto* s : list)
                if (s->points > 0) {
                    med.push_back(s->median_pct);
                    p90.push_back(s->p90_pct);
                    n += s->points;
                }
            if (med.empty()) continue;
            const auto m = tm::summarize(fam, "", med), p = tm::summarize(fam, "", p90);
            fmt::print("  {:<28} {:>3} tables {:>9} points  median {:6.2f}%  p90 {:6.2f}%\n", fam, med.size(),
                       n, m.median_pct, p.median_pct);
        }
    };
    fmt::print("\nPer family (median of the tables' medians / p90s):\n");
    per_family("cell");
    fmt::print(
        "\nOne axis only (a grid cell held out along a single axis: the interpolation between grid points\n"
        "that off-grid shapes get, here across twice the grid spacing; not the target figure):\n");
    per_family("axis");
    if (a.cross_source) {
        fmt::print(
            "\nCross-source (Vidur's measured linear layers vs the AIConfigurator GEMM table, same m, n, "
            "k):\n");
        for (const char* vg : {"h100", "a100"})
            for (const auto& s : tm::cross_source_vidur(data, vg, "vllm"))
                fmt::print("  {:<22} {:<52} {:>6} points  median {:6.2f}%  p90 {:6.2f}%\n", s.family, s.scope,
                           s.points, s.median_pct, s.p90_pct);
        fmt::print(
            "  (different frameworks, kernels and years: a bound on how far one source predicts another,\n"
            "   not a pass/fail figure)\n");
    }
    fmt::print("\ntargets: median <= {}%, p90 <= {}% per table: {}\n", a.target_median, a.target_p90,
               all_ok ? "all met" : "some not met (listed above)");
    return 0;
}

int run_fit_simulate(const CalibArgs& a, const std::filesystem::path& data) {
    const std::filesystem::path runs_path = a.runs.empty()
                                                ? data / "serving" / "sim2real-trainval" / "experiments.csv"
                                                : std::filesystem::path(a.runs);
    const framework::RunsTable runs = framework::read_runs_csv(runs_path);
    framework::ValidateOptions o;
    o.data_dir = data;
    framework::OverheadFitOptions fo;
    fo.jobs = std::max(1, a.jobs);
    const auto fit = framework::fit_overheads_by_simulation(runs, o, fo);
    for (const auto& line : fit.log) fmt::print("# {}\n", line);
    fmt::print("# {:<24} {:>10} {:>10} {:>8}\n", "run stage", "meas ms", "sim ms", "err %");
    for (const auto& p : fit.points)
        fmt::print("# {:<24} {:>10.3f} {:>10.3f} {:>+8.2f}\n", p.id, p.measured_tpot_ms, p.predicted_tpot_ms,
                   100 * (p.predicted_tpot_ms / p.measured_tpot_ms - 1));
    const std::string text = fmt::format(
        "# dynosim calibration: per-step overhead fitted by `dynosim calib fit --method simulate` (time per "
        "output\n"
        "# token of every run stage simulated with these overheads vs measured); front end for validate: "
        "{:.2f} ms\n"
        "source = \"{} ({} run stages, simulated)\"\npoints = {}\nstep_overhead_us = "
        "{:.1f}\nper_seq_overhead_us = {:.2f}\n",
        fit.frontend_ms, runs_path.string(), fit.points.size(), fit.points.size(), fit.step_overhead_us,
        fit.per_seq_overhead_us);
    std::cout << text;
    fmt::print(
        "# median |error| of the time per output token: {:.2f}% with the starting overheads, {:.2f}% "
        "fitted\n",
        fit.median_abs_pct_before, fit.median_abs_pct_after);
    if (!a.out.empty()) {
        std::ofstream f(a.out);
        if (!f) throw std::runtime_error("cannot write " + a.out);
        f << text;
    }
    return 0;
}

int run_fit(const CalibArgs& a) {
    const std::filesystem::path data = data_dir_of(a);
    if (a.method != "auto" && a.method != "simulate" && a.method != "littles-law")
        throw std::runtime_error("calib fit --method " + a.method + ": auto, simulate or littles-law");
    if (a.hardware != "sim2real" && a.method != "auto")
        throw std::runtime_error("calib fit --method " + a.method +
                                 ": only for --data sim2real (SplitwiseSim rows are "
                                 "measured step times, fitted directly)");
    const bool simulate = a.hardware == "sim2real" && a.method != "littles-law";
    if (!simulate && (!a.runs.empty() || a.jobs != 1))
        throw std::runtime_error("calib fit --runs / --jobs: only read by --method simulate");
    if (simulate) return run_fit_simulate(a, data);
    tm::TableTimingOptions base;
    base.data_dir = data.string();
    const auto fit = a.hardware == "sim2real" ? tm::fit_overhead_sim2real(data, base)
                                              : tm::fit_overhead_splitwise(data, a.hardware, base);
    if (fit.points < 2) throw std::runtime_error("no measured rows for " + a.hardware);
    const std::string text = fmt::format(
        "# dynosim calibration: per-step overhead fitted by `dynosim calib fit --data {}`\n"
        "source = \"{}\"\npoints = {}\nrmse_ms = {:.4f}\nstep_overhead_us = {:.1f}\nper_seq_overhead_us = "
        "{:.2f}\n",
        a.hardware, fit.source, fit.points, fit.rmse_ms, fit.step_overhead_us, fit.per_seq_overhead_us);
    std::cout << text;
    fmt::print("# median |error| of decode step time: {:.2f}% with the default overheads, {:.2f}% fitted\n",
               fit.median_abs_pct_before, fit.median_abs_pct_after);
    if (!a.out.empty()) {
        std::ofstream f(a.out);
        if (!f) throw std::runtime_error("cannot write " + a.out);
        f << text;
    }
    return 0;
}

}  // namespace

void add_calib_command(CLI::App& app) {
    auto args = std::make_shared<CalibArgs>();
    auto* calib = app.add_subcommand("calib", "validate and fit the calibrated timing model");
    calib->require_subcommand(1);
    auto* validate =
        calib->add_subcommand("validate", "per-op error on held-out table rows and across sources");
    validate->add_option("--data-dir", args->data_dir, "shared data folder")->capture_default_str();
    validate->add_option("--gpu", args->gpus, "table GPU folders (h100_sxm, a100_sxm, ...); default all");
    validate->add_option("--backend", args->frameworks,
                         "frameworks (vllm, sglang, trtllm, nccl); default all");
    validate->add_flag("!--no-cross-source", args->cross_source, "skip the cross-source comparison");
    validate->callback([args] { exit_code() = run_validate(*args); });
    auto* fit = calib->add_subcommand("fit", "fit the per-step overhead on measured step times");
    fit->add_option("--data-dir", args->data_dir, "shared data folder")->capture_default_str();
    fit->add_option("--data", args->hardware,
                    "sim2real (vLLM 0.15.1 serving runs on H100), or SplitwiseSim's h100-80gb / a100-80gb")
        ->capture_default_str();
    fit->add_option("--out", args->out, "write the calibration file here (timing.calibration_file)");
    fit->add_option(
           "--method", args->method,
           "sim2real: simulate (simulate every run stage, fit to the measured time per output token; what "
           "auto picks) or littles-law (one decode-only batch per stage)")
        ->capture_default_str();
    fit->add_option("--runs", args->runs,
                    "runs table for --method simulate (default: sim2real-trainval/experiments.csv)");
    fit->add_option("--jobs", args->jobs, "rows simulated at once (--method simulate)")
        ->capture_default_str();
    fit->callback([args] { exit_code() = run_fit(*args); });
}

}  // namespace dynosim::cli
