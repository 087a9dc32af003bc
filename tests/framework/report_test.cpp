// Reports end to end through the CLI: a run with its time series, two studies and an optimizer comparison
// become one HTML file whose every plot is a well-formed SVG; the same plots as separate SVG files; bad
// inputs are named.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "framework/pareto.hpp"
#include "framework/report.hpp"
#include "framework/svg_plot.hpp"
#include "framework/study.hpp"
#include "test_support.hpp"

using namespace dynosim;
using dynosim::test::read_file;
using dynosim::test::run_cli;
using dynosim::test::write_file;

namespace {

// Well-formed XML for our own output: every tag closed in order, attributes quoted, entities known, one
// root. Returns "" or what is wrong.
std::string xml_problem(const std::string& s) {
    std::vector<std::string> stack;
    std::size_t i = 0, roots = 0;
    while (i < s.size()) {
        if (s[i] == '&') {
            static const std::regex ent("^&(amp|lt|gt|quot|#39);");
            if (!std::regex_search(s.substr(i, 8), ent)) return "bad entity at " + std::to_string(i);
            ++i;
            continue;
        }
        if (s[i] != '<') {
            if (s[i] == '>') return "stray > at " + std::to_string(i);
            ++i;
            continue;
        }
        const std::size_t end = s.find('>', i);
        if (end == std::string::npos) return "unterminated tag";
        std::string tag = s.substr(i + 1, end - i - 1);
        i = end + 1;
        if (tag.empty()) return "empty tag";
        if (tag[0] == '/') {
            if (stack.empty() || stack.back() != tag.substr(1)) return "mismatched </" + tag.substr(1) + ">";
            stack.pop_back();
            continue;
        }
        const bool self = tag.back() == '/';
        if (self) tag.pop_back();
        const std::string name = tag.substr(0, tag.find_first_of(" \n"));
        // attributes: name="value" pairs only
        std::string rest = tag.substr(name.size());
        static const std::regex attrs("^(\\s+[A-Za-z_:][-A-Za-z0-9_:.]*=\"[^\"<]*\")*\\s*$");
        if (!std::regex_match(rest, attrs)) return "bad attributes in <" + name + ">";
        if (stack.empty()) ++roots;
        if (!self) stack.push_back(name);
    }
    if (!stack.empty()) return "unclosed <" + stack.back() + ">";
    if (roots != 1) return std::to_string(roots) + " root elements";
    return "";
}

std::vector<std::string> svgs_of(const std::string& html) {
    std::vector<std::string> out;
    for (std::size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) {
        const std::size_t e = html.find("</svg>", p);
        out.push_back(html.substr(p, e + 6 - p));
    }
    return out;
}

std::string plot_id(const std::string& svg) {
    std::smatch m;
    static const std::regex id("data-plot=\"([^\"]+)\"");
    return std::regex_search(svg, m, id) ? m[1].str() : "";
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

const char* kGen =
    "--set workload.kind=generator --set workload.generator.num_requests=60 --set workload.generator.duration_s=10 "
    "--set workload.generator.arrival.rate=6 --set workload.generator.input.value=1024 "
    "--set workload.generator.output.value=32 --set fleet.workers=3";

std::string study_text(const std::string& optimizer, int seed) {
    return R"([study]
budget = 5
seed = )" + std::to_string(seed) + R"(
parallelism = 2
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=40", "workload.generator.duration_s=10",
       "workload.generator.arrival.rate=6", "workload.generator.input.value=2048", "workload.generator.output.value=64"]
[optimizer]
name = ")" + optimizer + R"("
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 3
[[dimension]]
key = "engine.max_num_seqs"
type = "categorical"
values = [2, 8, 64]
[[constraint]]
metric = "ttft.p90"
max = 5000
[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
[[objective]]
metric = "ttft.p90"
)";
}

}  // namespace

TEST_CASE("the svg writer gives well-formed plots with escaped text and nice ticks", "[framework][report]") {
    framework::PlotOptions o;
    o.id = "t";
    o.title = "a < b & \"c\"";
    o.x_label = "x";
    o.y_label = "y";
    framework::SvgPlot p(o);
    using St = framework::PlotSeries::Style;
    p.add(framework::PlotSeries::make(St::Step, "s1", "", 1.5, 1.0, {0, 1, 2}, {0, 0.5, 1}));
    auto pts = framework::PlotSeries::make(St::Points, "pts", "", 3, 1.0, {1}, {2});
    pts.tips = {"<tip>"};
    p.add(pts);
    const std::string svg = p.render();
    CHECK(xml_problem(svg) == "");
    CHECK(svg.find("a &lt; b &amp; &quot;c&quot;") != std::string::npos);
    CHECK(count(svg, "<circle") == 1);
    CHECK(count(svg, "<polyline") == 1);
    const auto t1 = framework::nice_ticks(0, 1, 5);
    REQUIRE(t1.size() == 6);
    for (std::size_t i = 0; i < t1.size(); ++i) CHECK(t1[i] == Approx(0.2 * static_cast<double>(i)).margin(1e-12));
    CHECK(framework::nice_ticks(3, 97, 5) == std::vector<double>{20, 40, 60, 80});
    // No data: still a plot, saying so.
    framework::PlotOptions e;
    e.id = "e";
    const std::string empty = framework::SvgPlot(e).render();
    CHECK(xml_problem(empty) == "");
    CHECK(empty.find("no data") != std::string::npos);
    e.id = "b";
    CHECK(xml_problem(framework::bar_chart(e, {"0", "1"}, {{3, 4}}, {"x"})) == "");
}

TEST_CASE("a report of a run two studies and a comparison holds every plot as well-formed svg",
          "[framework][report]") {
    const auto dir = test::temp_dir("report");
    const std::string d = dir.string();
    auto r = run_cli(fmt::format("run {} --set metrics.timeseries_interval_s=1 --out {}/run --plots {}/run-plots --quiet",
                                 kGen, d, d));
    REQUIRE(r.exit_code == 0);
    REQUIRE(std::filesystem::exists(dir / "run" / "timeseries.csv"));
    write_file(dir / "a.toml", study_text("random", 1));
    write_file(dir / "b.toml", study_text("grid", 2));
    REQUIRE(run_cli(fmt::format("study run {0}/a.toml --db {0}/a.sqlite --quiet --plots {0}/a-plots", d)).exit_code == 0);
    REQUIRE(run_cli(fmt::format("study run {0}/b.toml --db {0}/b.sqlite --quiet", d)).exit_code == 0);
    REQUIRE(run_cli(fmt::format("compare --study {0}/a.toml --optimizers random,grid --budget 4 --repeats 2 --out {0}/cmp",
                                d)).exit_code == 0);
    r = run_cli(fmt::format("report {0}/run {0}/a.sqlite {0}/b.sqlite {0}/cmp -o {0}/report.html --svg-dir {0}/svg", d));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const std::string html = read_file(dir / "report.html");
    // Self-contained: nothing fetched.
    CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    const auto svgs = svgs_of(html);
    std::set<std::string> ids;
    for (const auto& s : svgs) {
        INFO(plot_id(s));
        CHECK(xml_problem(s) == "");
        ids.insert(plot_id(s));
    }
    CHECK(ids.size() == svgs.size());  // unique ids
    const std::set<std::string> expected = {
        "run1-cdf-ttft", "run1-cdf-tpot", "run1-cdf-e2e", "run1-worker-load", "run1-worker-hit-rate",
        "run1-ts-arrival-rate-rps", "run1-ts-requests", "run1-ts-kv", "run1-ts-replicas", "study1-cloud",
        "study2-cloud", "fronts", "compare1-hypervolume", "compare1-best"};
    CHECK(ids == expected);
    CHECK(html.find(fmt::format("data-plots=\"{}\"", expected.size())) != std::string::npos);
    // Separate files: one per plot, the same SVG as inlined.
    for (const auto& id : expected) {
        INFO(id);
        REQUIRE(std::filesystem::exists(dir / "svg" / (id + ".svg")));
        CHECK(html.find(read_file(dir / "svg" / (id + ".svg"))) != std::string::npos);
    }
    CHECK(std::filesystem::exists(dir / "run-plots" / "run-cdf-ttft.svg"));
    CHECK(std::filesystem::exists(dir / "run-plots" / "run-ts-kv.svg"));
    CHECK(std::filesystem::exists(dir / "a-plots" / "study-cloud.svg"));

    // The study cloud has one point per trial; the front table one row per front member.
    framework::StudyStorage db(dir / "a.sqlite");
    const auto study = framework::study_from_storage(db);
    const auto trials = db.trials();
    std::vector<std::vector<double>> pts;
    for (const auto& t : trials)
        if (t.status == "feasible") pts.push_back(study.minimized(t));
    const std::string cloud = *std::find_if(svgs.begin(), svgs.end(), [](auto& s) { return plot_id(s) == "study1-cloud"; });
    CHECK(count(cloud, "<circle") == trials.size());
    const std::size_t s1 = html.find("<h2>study a</h2>"), s2 = html.find("<table", s1), s3 = html.find("</table>", s2);
    REQUIRE(s1 != std::string::npos);
    REQUIRE(s2 != std::string::npos);
    CHECK(count(html.substr(s2, s3 - s2), "<tr>") == framework::pareto_front(pts).size() + 1);
    // The per-worker bars cover the three workers (one bar each, after the background rect).
    const std::string load = *std::find_if(svgs.begin(), svgs.end(), [](auto& s) { return plot_id(s) == "run1-worker-load"; });
    CHECK(count(load, "<rect x=") == 3 + 1);

    // Bad inputs are named.
    r = run_cli(fmt::format("report {0}/nothing-here -o {0}/x.html", d));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("nothing-here: no such file or folder") != std::string::npos);
    write_file(dir / "not-a-db.sqlite", "hello");
    r = run_cli(fmt::format("report {0}/not-a-db.sqlite -o {0}/x.html", d));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("not-a-db.sqlite: not a study database") != std::string::npos);
    write_file(dir / "run" / "timeseries.csv", "t_s,queue_depth\n1,2\n2\n");
    r = run_cli(fmt::format("report {0}/run -o {0}/x.html", d));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("timeseries.csv:3: 1 fields, the header has 2") != std::string::npos);
    write_file(dir / "cmp" / "compare.csv", "optimizer,seed,evaluations,hypervolume,best_first_objective\n\nrandom,0,x,1,2\n");
    r = run_cli(fmt::format("report {0}/cmp -o {0}/x.html", d));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("compare.csv:3: evaluations = 'x': must be a whole number >= 1") != std::string::npos);
}
