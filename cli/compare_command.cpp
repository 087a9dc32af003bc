// `dynosim compare --study STUDY.toml --optimizers a,b,c --budget N --repeats R [--out DIR]`: each optimizer
// R times on the same study; a table of hypervolume and best feasible objective vs evaluations (median and
// spread), the exhaustive optimum when the space is small, and compare.svg / compare.csv in --out.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "framework/compare.hpp"

namespace dynosim::cli {

namespace fw = framework;

namespace {
struct CompareArgs {
    std::string study, out;
    std::vector<std::string> optimizers;
    std::size_t budget = 0, repeats = 3, exhaustive_limit = 2000;
};

int compare(const CompareArgs& a) {
    if (a.optimizers.empty()) throw sim::core::InputError("--optimizers: name at least one optimizer");
    if (a.repeats == 0) throw sim::core::InputError("--repeats 0: must be >= 1");
    fw::Study study(fw::load_study(a.study));
    for (const auto& name : a.optimizers) (void)study.make_optimizer(name, {}, 0);  // unknown names fail now
    fw::CompareOptions o;
    o.optimizers = a.optimizers;
    o.budget = a.budget;
    o.repeats = a.repeats;
    o.exhaustive_limit = a.exhaustive_limit;
    if (!a.out.empty()) o.out_dir = std::filesystem::path(a.out) / "runs";
    const fw::CompareResult r = fw::compare_optimizers(study, o, [](const std::string& s) { spdlog::info("{}", s); });
    std::cout << fw::format_compare(r) << std::flush;
    if (!a.out.empty()) {
        std::ofstream(std::filesystem::path(a.out) / "compare.svg") << fw::compare_svg(r);
        std::ofstream(std::filesystem::path(a.out) / "compare.csv") << fw::compare_csv(r);
        std::ofstream(std::filesystem::path(a.out) / "compare.txt") << fw::format_compare(r);
        spdlog::info("wrote {0}/compare.svg, {0}/compare.csv, {0}/compare.txt and one SQLite file per run in {0}/runs",
                     a.out);
    }
    return 0;
}
}  // namespace

void add_compare_command(CLI::App& app) {
    auto args = std::make_shared<CompareArgs>();
    auto* cmd = app.add_subcommand("compare", "compare optimizers on one study at a fixed budget");
    cmd->add_option("--study", args->study, "study TOML file")->required();
    cmd->add_option("--optimizers", args->optimizers, "comma-separated optimizer names (dynosim study optimizers), plugin (the study's optimizer "
                    "plugin) or paths of optimizer plugins (.so)")
        ->delimiter(',')
        ->required();
    cmd->add_option("--budget", args->budget, "evaluations per run (default: the study's budget)");
    cmd->add_option("--repeats", args->repeats, "runs per optimizer, seeds study.seed + 0..R-1 (default 3)");
    cmd->add_option("--exhaustive-limit", args->exhaustive_limit,
                    "enumerate the space for the true optimum when it has at most this many points (0 = never; default 2000)");
    cmd->add_option("--out", args->out, "write compare.svg, compare.csv, compare.txt and per-run SQLite files here");
    cmd->callback([args] { exit_code() = compare(*args); });
}

}  // namespace dynosim::cli
