// Reports: one self-contained HTML file (inline SVG, a few lines of inline script, nothing fetched) from
// run folders (`dynosim run --out DIR`), study databases (SQLite) and compare folders (`dynosim compare
// --out DIR`). What each input contributes:
//  - a run: its summary, TTFT / TPOT / E2E CDFs (requests.csv), per-worker load and prefix hit rate, and
//    its time series when it sampled one (timeseries.csv, metrics.timeseries_interval_s);
//  - a study: the cloud of its trials in the plane of its first two objectives (or its objective against
//    p90 TTFT for one objective) with the Pareto front highlighted, and the table of front configurations;
//    two or more studies with the same objectives also get their fronts overlaid in one plot;
//  - a compare folder: hypervolume and best feasible objective vs evaluations per optimizer (median line,
//    min-max band over repeats).
// The same figures can be written as separate SVG files (write_figures).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace dynosim::framework {

struct Figure {
    std::string id;     // unique in a report; the SVG's data-plot and its file name (<id>.svg)
    std::string title;
    std::string svg;
};

struct ReportSection {
    std::string title;
    std::string source;                 // the input it came from
    std::vector<std::string> notes;     // plain text lines shown above the figures
    std::vector<Figure> figures;
    std::string table_html;             // summary / front table (already escaped HTML)
};

struct Report {
    std::string title = "dynosim report";
    std::vector<ReportSection> sections;
    std::size_t figure_count() const;
};

enum class ReportInput { Run, Study, Compare };
// What a path holds: a folder with summary.json (run) or compare.csv (compare), or an SQLite file (study).
// Throws core::InputError naming the path otherwise.
ReportInput classify_report_input(const std::filesystem::path& p);

// One section per input, in order, plus an overlay of the study fronts when there are several studies.
// Throws core::InputError naming the file (and line) for unreadable or malformed input.
Report build_report(const std::vector<std::filesystem::path>& inputs);
ReportSection run_section(const std::filesystem::path& run_dir, const std::string& id_prefix);
ReportSection study_section(const std::filesystem::path& db, const std::string& id_prefix);
ReportSection compare_section(const std::filesystem::path& dir, const std::string& id_prefix);

// The HTML document. Its script counts the plots that the browser laid out with a non-empty box and
// writes body data-plots / data-shown (and html data-error on a script error): the rendering check reads them.
std::string report_html(const Report& r);
// Each figure of the report as <dir>/<id>.svg; returns the paths written.
std::vector<std::filesystem::path> write_figures(const Report& r, const std::filesystem::path& dir);

}  // namespace dynosim::framework
