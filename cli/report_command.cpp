// `dynosim report INPUT... -o report.html [--svg-dir DIR]`: one self-contained HTML report (inline SVG) from
// run folders, study databases and compare folders (framework/report.hpp, docs/report.md).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "framework/report.hpp"
#include "sim/core/errors.hpp"

namespace dynosim::cli {

namespace {
struct ReportArgs {
    std::vector<std::string> inputs;
    std::string out = "report.html", svg_dir, title;
};

int report(const ReportArgs& a) {
    std::vector<std::filesystem::path> in(a.inputs.begin(), a.inputs.end());
    framework::Report r = framework::build_report(in);
    if (!a.title.empty()) r.title = a.title;
    {
        std::ofstream o(a.out, std::ios::binary);
        if (!o) throw sim::core::InputError(a.out + ": cannot write");
        o << framework::report_html(r);
    }
    spdlog::info("wrote {} ({} sections, {} plots)", a.out, r.sections.size(), r.figure_count());
    if (!a.svg_dir.empty()) {
        const auto files = framework::write_figures(r, a.svg_dir);
        spdlog::info("wrote {} SVG files in {}", files.size(), a.svg_dir);
    }
    return 0;
}
}  // namespace

void add_report_command(CLI::App& app) {
    auto args = std::make_shared<ReportArgs>();
    auto* cmd = app.add_subcommand("report", "one self-contained HTML report with plots of runs, studies and "
                                             "optimizer comparisons (docs/report.md)");
    cmd->add_option("INPUT", args->inputs,
                    "run folders (dynosim run --out), study databases (.sqlite) and compare folders (dynosim compare --out)")
        ->required();
    cmd->add_option("-o,--out", args->out, "HTML file to write (default report.html)");
    cmd->add_option("--svg-dir", args->svg_dir, "also write every plot as a separate SVG file here");
    cmd->add_option("--title", args->title, "the report's title");
    cmd->callback([args] { exit_code() = report(*args); });
}

}  // namespace dynosim::cli
