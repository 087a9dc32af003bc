#include "framework/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "framework/pareto.hpp"
#include "framework/study.hpp"
#include "framework/svg_plot.hpp"
#include "sim/core/errors.hpp"

namespace dynosim::framework {

namespace fs = std::filesystem;
using sim::core::InputError;

std::size_t Report::figure_count() const {
    std::size_t n = 0;
    for (const auto& s : sections) n += s.figures.size();
    return n;
}

namespace {

// A CSV file of our own outputs (no quoting): header and rows, each row as long as the header.
struct Csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> lines;  // file line of each row
    std::size_t col(const std::string& name) const {
        auto it = std::find(header.begin(), header.end(), name);
        return it == header.end() ? header.size() : static_cast<std::size_t>(it - header.begin());
    }
};

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    for (char c : line) {
        if (c == ',') {
            out.push_back(cell);
            cell.clear();
        } else if (c != '\r') {
            cell += c;
        }
    }
    out.push_back(cell);
    return out;
}

Csv read_csv(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read", p.string()));
    Csv csv;
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line == "\r") continue;
        auto cells = split(line);
        if (csv.header.empty()) {
            csv.header = std::move(cells);
            continue;
        }
        if (cells.size() != csv.header.size())
            throw InputError(fmt::format("{}:{}: {} fields, the header has {}", p.string(), lineno, cells.size(),
                                         csv.header.size()));
        csv.rows.push_back(std::move(cells));
        csv.lines.push_back(lineno);
    }
    if (csv.header.empty()) throw InputError(fmt::format("{}: empty file (no header line)", p.string()));
    return csv;
}

double to_num(const std::string& s) {
    if (s.empty()) return std::nan("");
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    return end && *end == '\0' ? v : std::nan("");
}

std::vector<std::string> require_columns(const Csv& csv, const fs::path& p, std::initializer_list<const char*> cols) {
    std::vector<std::string> missing;
    for (const char* c : cols)
        if (csv.col(c) == csv.header.size()) missing.push_back(c);
    if (!missing.empty())
        throw InputError(fmt::format("{}:1: missing column(s) {}", p.string(), fmt::format("{}", fmt::join(missing, ", "))));
    return missing;
}

// Empirical CDF as a step line, thinned to at most `max_points` quantiles (the first and last kept).
PlotSeries cdf_series(std::vector<double> v, const std::string& label, std::size_t max_points = 400) {
    PlotSeries s;
    s.label = label;
    s.style = PlotSeries::Style::Step;
    std::erase_if(v, [](double x) { return !std::isfinite(x); });
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    if (n == 0) return s;
    const std::size_t step = std::max<std::size_t>(1, n / max_points);
    for (std::size_t i = 0; i < n; i += step) {
        s.x.push_back(v[i]);
        s.y.push_back(static_cast<double>(i + 1) / static_cast<double>(n));
    }
    if (s.x.back() != v.back() || s.y.back() != 1.0) {
        s.x.push_back(v.back());
        s.y.push_back(1.0);
    }
    return s;
}

std::string fmt_num(double v) {
    if (!std::isfinite(v)) return "-";
    return fmt::format("{:.6g}", v);
}

std::string html_table(const std::vector<std::vector<std::string>>& rows) {
    std::string out = "<table>\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
        out += "<tr>";
        for (const auto& c : rows[r]) out += (r == 0 ? "<th>" : "<td>") + xml_escape(c) + (r == 0 ? "</th>" : "</td>");
        out += "</tr>\n";
    }
    return out + "</table>\n";
}

// Time-series columns that share a plot (same unit): KV use of every tier, every replica count, the
// engines' queue and batch. Any other column gets a plot of its own, so a feature that adds a column is
// shown without a change here.
std::string series_group(const std::string& col) {
    if (col.starts_with("kv_") || (col.starts_with("kvbm_") && col.ends_with("_used_frac"))) return "kv";
    if (col.ends_with("replicas")) return "replicas";
    if (col == "queue_depth" || col == "running") return "requests";
    return col;
}

std::string group_title(const std::string& g, std::string* y_label) {
    if (g == "kv") return *y_label = "fraction of KV blocks in use", "KV cache use";
    if (g == "replicas") return *y_label = "workers", "replica count";
    if (g == "requests") return *y_label = "requests", "queue depth and running batch";
    if (g == "arrival_rate_rps") return *y_label = "requests / s", "arrival rate";
    *y_label = g;
    return g;
}

std::string sanitize_id(std::string s) {
    for (auto& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
    return s;
}

}  // namespace

ReportInput classify_report_input(const fs::path& p) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
        if (fs::exists(p / "summary.json", ec)) return ReportInput::Run;
        if (fs::exists(p / "compare.csv", ec)) return ReportInput::Compare;
        throw InputError(fmt::format("{}: a folder without summary.json (a `dynosim run --out` folder) or compare.csv "
                                     "(a `dynosim compare --out` folder)",
                                     p.string()));
    }
    if (!fs::exists(p, ec)) throw InputError(fmt::format("{}: no such file or folder", p.string()));
    std::ifstream in(p, std::ios::binary);
    char magic[16] = {};
    in.read(magic, 16);
    if (std::string(magic, 15) == "SQLite format 3") return ReportInput::Study;
    throw InputError(fmt::format("{}: not a study database (SQLite), a run folder or a compare folder", p.string()));
}

ReportSection run_section(const fs::path& dir, const std::string& id) {
    ReportSection sec;
    sec.title = "run " + dir.filename().string();
    if (sec.title == "run ") sec.title = "run " + dir.parent_path().filename().string();
    sec.source = dir.string();
    // Summary table.
    {
        std::ifstream in(dir / "summary.json", std::ios::binary);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(in);
        } catch (const std::exception& e) {
            throw InputError(fmt::format("{}: not valid JSON: {}", (dir / "summary.json").string(), e.what()));
        }
        std::vector<std::vector<std::string>> rows{{"metric", "value"}};
        for (const auto& [group, v] : j.items()) {
            if (v.is_object()) {
                for (const auto& [k, x] : v.items())
                    if (x.is_number() || x.is_boolean())
                        rows.push_back({group + "." + k, x.is_number() ? fmt_num(x.get<double>()) : x.dump()});
            } else if (v.is_number()) {
                rows.push_back({group, fmt_num(v.get<double>())});
            }
        }
        sec.table_html = html_table(rows);
    }
    const fs::path req = dir / "requests.csv";
    if (fs::exists(req)) {
        const Csv csv = read_csv(req);
        require_columns(csv, req, {"worker", "ttft_ms", "tpot_ms", "e2e_ms", "input_tokens", "generated",
                                   "cached_tokens"});
        struct Metric {
            const char* col;
            const char* name;
        };
        for (const Metric m : {Metric{"ttft_ms", "TTFT"}, Metric{"tpot_ms", "TPOT"}, Metric{"e2e_ms", "E2E latency"}}) {
            std::vector<double> v;
            const std::size_t c = csv.col(m.col);
            for (const auto& row : csv.rows) v.push_back(to_num(row[c]));
            PlotOptions o;
            o.id = id + "-cdf-" + std::string(m.col).substr(0, std::string(m.col).find('_'));
            o.title = fmt::format("{} CDF", m.name);
            o.x_label = std::string(m.name) + " (ms)";
            o.y_label = "fraction of requests";
            o.width = 420;
            o.height = 300;
            SvgPlot p(o);
            p.add(cdf_series(std::move(v), ""));
            sec.figures.push_back({o.id, o.title, p.render()});
        }
        // Per-worker load (tokens computed: uncached prompt + generated; a disaggregated request's prompt
        // counts on its prefill worker) and prefix hit rate (cached / prompt tokens at admission).
        const std::size_t cw = csv.col("worker"), cpw = csv.col("prefill_worker"), ci = csv.col("input_tokens"),
                          cg = csv.col("generated"), cc = csv.col("cached_tokens");
        std::map<long, double> load, prompt, cached;
        std::map<long, double> requests;
        for (const auto& row : csv.rows) {
            const double w = to_num(row[cw]);
            if (!std::isfinite(w) || w < 0) continue;
            const double pw = cpw < csv.header.size() ? to_num(row[cpw]) : std::nan("");
            const long dec = static_cast<long>(w), pre = std::isfinite(pw) && pw >= 0 ? static_cast<long>(pw) : dec;
            const double in = to_num(row[ci]), gen = to_num(row[cg]), hit = to_num(row[cc]);
            load[pre] += std::max(0.0, in - hit);
            load[dec] += gen;
            requests[dec] += 1;
            prompt[pre] += in;
            cached[pre] += hit;
        }
        std::vector<std::string> labels;
        std::vector<double> tokens, hits, reqs;
        for (const auto& [w, l] : load) {
            labels.push_back(std::to_string(w));
            tokens.push_back(l);
            reqs.push_back(requests[w]);
            hits.push_back(prompt[w] > 0 ? cached[w] / prompt[w] : 0.0);
        }
        PlotOptions o;
        o.id = id + "-worker-load";
        o.title = "per-worker load: tokens computed (uncached prompt + generated)";
        o.x_label = "worker";
        o.y_label = "tokens";
        sec.figures.push_back({o.id, o.title, bar_chart(o, labels, {tokens}, {"tokens"})});
        o.id = id + "-worker-hit-rate";
        o.title = "per-worker prefix hit rate (cached / prompt tokens)";
        o.y_label = "hit rate";
        sec.figures.push_back({o.id, o.title, bar_chart(o, labels, {hits}, {"hit rate"})});
        sec.notes.push_back(fmt::format("{} requests on {} workers", csv.rows.size(), labels.size()));
    } else {
        sec.notes.push_back("no requests.csv: no latency CDFs or per-worker plots");
    }
    const fs::path tsp = dir / "timeseries.csv";
    if (fs::exists(tsp)) {
        const Csv ts = read_csv(tsp);
        require_columns(ts, tsp, {"t_s"});
        const std::size_t ct = ts.col("t_s");
        std::vector<double> t;
        for (const auto& row : ts.rows) t.push_back(to_num(row[ct]));
        std::vector<std::string> order;
        std::map<std::string, std::vector<std::size_t>> groups;
        for (std::size_t c = 0; c < ts.header.size(); ++c) {
            if (c == ct) continue;
            const std::string g = series_group(ts.header[c]);
            if (!groups.count(g)) order.push_back(g);
            groups[g].push_back(c);
        }
        for (const auto& g : order) {
            PlotOptions o;
            o.id = id + "-ts-" + sanitize_id(g);
            o.title = group_title(g, &o.y_label);
            o.x_label = "simulated time (s)";
            o.height = 260;
            o.y_from_zero = true;
            SvgPlot p(o);
            for (std::size_t c : groups[g]) {
                PlotSeries s;
                s.label = groups[g].size() > 1 ? ts.header[c] : "";
                s.x = t;
                for (const auto& row : ts.rows) s.y.push_back(to_num(row[c]));
                p.add(std::move(s));
            }
            sec.figures.push_back({o.id, o.title, p.render()});
        }
        sec.notes.push_back(fmt::format("time series: {} samples of {} columns", ts.rows.size(), ts.header.size() - 1));
    } else {
        sec.notes.push_back("no timeseries.csv: run with --set metrics.timeseries_interval_s=10 for time series");
    }
    return sec;
}

namespace {

struct StudyCloud {
    std::string name, x_metric, y_metric;
    std::vector<double> fx, fy;  // the front, sorted by x
};

}  // namespace

static StudyCloud study_cloud(const fs::path& db_path, const std::string& id, ReportSection& sec) {
    StudyStorage db(db_path);
    if (!db.study()) throw InputError(fmt::format("{}: an SQLite file without a dynosim study", db_path.string()));
    const Study study = study_from_storage(db);
    const auto& spec = study.spec();
    const auto trials = db.trials();
    sec.title = "study " + spec.name;
    sec.source = db_path.string();
    std::map<std::string, std::size_t> by_status;
    for (const auto& t : trials) ++by_status[t.status];
    std::string counts;
    for (const auto& [s, n] : by_status) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, s);
    sec.notes.push_back(fmt::format("optimizer {}, seed {}, {} trials ({})", spec.optimizer, spec.seed, trials.size(),
                                    counts.empty() ? "none" : counts));
    // Axes: the first two objectives (y = the first), or for one objective: it against p90 TTFT.
    const bool two = spec.objectives.size() >= 2;
    StudyCloud cloud;
    cloud.name = spec.name;
    cloud.y_metric = spec.objectives[0].metric;
    cloud.x_metric = two ? spec.objectives[1].metric : "ttft.p90";
    auto xy = [&](const TrialRecord& t, double& x, double& y) {
        y = !t.objectives.empty() ? t.objectives[0] : std::nan("");
        if (two) x = t.objectives.size() > 1 ? t.objectives[1] : std::nan("");
        else {
            auto it = t.metrics.find("ttft.p90");
            x = it == t.metrics.end() ? std::nan("") : it->second;
        }
    };
    std::vector<std::vector<double>> pts;
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < trials.size(); ++i)
        if (trials[i].status == "feasible") {
            pts.push_back(study.minimized(trials[i]));
            idx.push_back(i);
        }
    std::vector<std::size_t> front = pts.empty() ? std::vector<std::size_t>{} : pareto_front(pts);
    std::vector<bool> on_front(trials.size(), false);
    for (std::size_t f : front) on_front[idx[f]] = true;

    auto tip = [&](const TrialRecord& t) {
        std::string s = fmt::format("trial {} ({})", t.id, t.status);
        for (std::size_t i = 0; i < spec.objectives.size() && i < t.objectives.size(); ++i)
            s += fmt::format("\n{} = {:.6g}", spec.objectives[i].metric, t.objectives[i]);
        for (const auto& [k, v] : t.params) s += fmt::format("\n{} = {}", k, v);
        return s;
    };
    using St = PlotSeries::Style;
    PlotSeries infeasible = PlotSeries::make(St::Points, "infeasible", "#bbbbbb", 3);
    PlotSeries feasible = PlotSeries::make(St::Points, "feasible", "#1f77b4", 3.5, 0.7);
    PlotSeries front_pts = PlotSeries::make(St::Points, "Pareto front", "#d62728", 5.5);
    std::vector<std::pair<double, double>> fxy;
    for (std::size_t i = 0; i < trials.size(); ++i) {
        const auto& t = trials[i];
        double x = 0, y = 0;
        xy(t, x, y);
        PlotSeries& s = on_front[i] ? front_pts : t.status == "feasible" ? feasible : infeasible;
        s.x.push_back(x);
        s.y.push_back(y);
        s.tips.push_back(tip(t));
        if (on_front[i]) fxy.emplace_back(x, y);
    }
    std::sort(fxy.begin(), fxy.end());
    for (const auto& [x, y] : fxy) cloud.fx.push_back(x), cloud.fy.push_back(y);
    PlotOptions o;
    o.id = id + "-cloud";
    o.title = fmt::format("{}: trials and Pareto front", spec.name);
    o.x_label = (two ? (spec.objectives[1].maximize ? "max " : "min ") : "") + cloud.x_metric;
    o.y_label = (spec.objectives[0].maximize ? "max " : "min ") + cloud.y_metric;
    o.width = 720;
    o.height = 420;
    SvgPlot p(o);
    p.add(std::move(infeasible));
    p.add(std::move(feasible));
    if (two && cloud.fx.size() > 1)
        p.add(PlotSeries::make(St::Line, "", "#d62728", 1.5, 0.6, cloud.fx, cloud.fy));
    p.add(std::move(front_pts));
    sec.figures.push_back({o.id, o.title, p.render()});

    // The front's configurations.
    std::vector<std::vector<std::string>> rows{{"trial"}};
    for (const auto& ob : spec.objectives) rows[0].push_back((ob.maximize ? "max " : "min ") + ob.metric);
    for (const auto& d : spec.dimensions) rows[0].push_back(d.key);
    std::vector<std::size_t> order;
    for (std::size_t f : front) order.push_back(idx[f]);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return study.minimized(trials[a]) < study.minimized(trials[b]);
    });
    for (std::size_t i : order) {
        const auto& t = trials[i];
        std::vector<std::string> row{std::to_string(t.id)};
        for (std::size_t k = 0; k < spec.objectives.size(); ++k)
            row.push_back(k < t.objectives.size() ? fmt_num(t.objectives[k]) : "-");
        for (const auto& d : spec.dimensions) {
            auto it = t.params.find(d.key);
            row.push_back(it == t.params.end() ? "-" : it->second);
        }
        rows.push_back(std::move(row));
    }
    sec.table_html = front.empty() ? "<p>no feasible trial: no front</p>\n" : html_table(rows);
    return cloud;
}

ReportSection study_section(const fs::path& db, const std::string& id) {
    ReportSection sec;
    (void)study_cloud(db, id, sec);
    return sec;
}

ReportSection compare_section(const fs::path& dir, const std::string& id) {
    ReportSection sec;
    sec.title = "optimizer comparison " + dir.filename().string();
    sec.source = dir.string();
    const fs::path p = dir / "compare.csv";
    const Csv csv = read_csv(p);
    require_columns(csv, p, {"optimizer", "seed", "evaluations", "hypervolume", "best_first_objective"});
    const std::size_t co = csv.col("optimizer"), ce = csv.col("evaluations"), ch = csv.col("hypervolume"),
                      cb = csv.col("best_first_objective");
    // optimizer -> evaluations -> values over repeats
    std::vector<std::string> names;
    std::map<std::string, std::map<long, std::vector<double>>> hv, best;
    for (std::size_t r = 0; r < csv.rows.size(); ++r) {
        const auto& row = csv.rows[r];
        if (std::find(names.begin(), names.end(), row[co]) == names.end()) names.push_back(row[co]);
        const double ev = to_num(row[ce]);
        if (!std::isfinite(ev) || ev < 1 || ev != std::floor(ev))
            throw InputError(fmt::format("{}:{}: evaluations = '{}': must be a whole number >= 1", p.string(), csv.lines[r],
                                         row[ce]));
        const long k = static_cast<long>(ev);
        hv[row[co]][k].push_back(to_num(row[ch]));
        best[row[co]][k].push_back(to_num(row[cb]));
    }
    std::size_t repeats = 0;
    for (const auto& n : names)
        if (!hv[n].empty()) repeats = std::max(repeats, hv[n].begin()->second.size());
    sec.notes.push_back(fmt::format("{} optimizers, up to {} repeats each: median line, min-max band", names.size(), repeats));
    for (int panel = 0; panel < 2; ++panel) {
        auto& data = panel == 0 ? hv : best;
        PlotOptions o;
        o.id = id + (panel == 0 ? "-hypervolume" : "-best");
        o.title = panel == 0 ? "hypervolume of the feasible front vs evaluations" : "best feasible first objective vs evaluations";
        o.x_label = "evaluations";
        o.x_integer = true;
        o.y_label = panel == 0 ? "hypervolume" : "first objective";
        SvgPlot plot(o);
        for (std::size_t c = 0; c < names.size(); ++c) {
            PlotSeries band = PlotSeries::make(PlotSeries::Style::Band, "", palette(c), 1.5, 0.15);
            PlotSeries line = PlotSeries::make(PlotSeries::Style::Line, names[c], palette(c), 2);
            for (auto& [k, v] : data[names[c]]) {
                std::vector<double> f;
                for (double x : v)
                    if (std::isfinite(x)) f.push_back(x);
                if (f.empty()) continue;
                std::sort(f.begin(), f.end());
                const std::size_t n = f.size();
                const double med = n % 2 ? f[n / 2] : (f[n / 2 - 1] + f[n / 2]) / 2;
                band.x.push_back(static_cast<double>(k));
                band.y.push_back(f.front());
                band.y2.push_back(f.back());
                line.x.push_back(static_cast<double>(k));
                line.y.push_back(med);
            }
            plot.add(std::move(band));
            plot.add(std::move(line));
        }
        sec.figures.push_back({o.id, o.title, plot.render()});
    }
    return sec;
}

Report build_report(const std::vector<fs::path>& inputs) {
    if (inputs.empty()) throw InputError("report: name at least one run folder, study database or compare folder");
    Report r;
    std::vector<StudyCloud> clouds;
    std::map<std::string, int> used;
    for (const auto& in : inputs) {
        const ReportInput kind = classify_report_input(in);
        const std::string base = kind == ReportInput::Run ? "run" : kind == ReportInput::Study ? "study" : "compare";
        const std::string id = fmt::format("{}{}", base, ++used[base]);
        if (kind == ReportInput::Run) r.sections.push_back(run_section(in, id));
        else if (kind == ReportInput::Compare) r.sections.push_back(compare_section(in, id));
        else {
            ReportSection sec;
            clouds.push_back(study_cloud(in, id, sec));
            r.sections.push_back(std::move(sec));
        }
    }
    if (clouds.size() >= 2) {
        ReportSection sec;
        sec.title = "Pareto fronts of the studies";
        std::vector<const StudyCloud*> same;
        for (const auto& c : clouds)
            if (c.x_metric == clouds[0].x_metric && c.y_metric == clouds[0].y_metric) same.push_back(&c);
            else
                sec.notes.push_back(fmt::format("study {} left out: its axes ({} vs {}) differ from {} vs {}", c.name,
                                                c.y_metric, c.x_metric, clouds[0].y_metric, clouds[0].x_metric));
        PlotOptions o;
        o.id = "fronts";
        o.title = "Pareto fronts overlaid";
        o.x_label = clouds[0].x_metric;
        o.y_label = clouds[0].y_metric;
        o.width = 720;
        o.height = 420;
        SvgPlot p(o);
        for (std::size_t i = 0; i < same.size(); ++i) {
            p.add(PlotSeries::make(PlotSeries::Style::Line, "", palette(i), 1.5, 0.7, same[i]->fx, same[i]->fy));
            p.add(PlotSeries::make(PlotSeries::Style::Points, same[i]->name, palette(i), 4.5, 1.0, same[i]->fx, same[i]->fy));
        }
        sec.figures.push_back({o.id, o.title, p.render()});
        r.sections.push_back(std::move(sec));
    }
    return r;
}

std::string report_html(const Report& r) {
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<title>" + xml_escape(r.title) + "</title>\n";
    h += "<style>\nbody{font-family:sans-serif;margin:24px;color:#222}h2{border-bottom:1px solid #ccc;"
         "padding-bottom:4px;margin-top:32px}.figs{display:flex;flex-wrap:wrap;gap:12px}"
         "figure{margin:0}table{border-collapse:collapse;font-size:13px;margin:8px 0}"
         "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
         "td:first-child,th:first-child{text-align:left}.src{color:#777;font-size:12px}\n</style>\n"
         "<script>window.addEventListener('error',function(e){document.documentElement.setAttribute('data-error',"
         "String(e.message));});</script>\n</head>\n";
    h += fmt::format("<body data-plots=\"{}\">\n<h1>{}</h1>\n<ul>\n", r.figure_count(), xml_escape(r.title));
    for (std::size_t i = 0; i < r.sections.size(); ++i)
        h += fmt::format("<li><a href=\"#s{}\">{}</a></li>\n", i, xml_escape(r.sections[i].title));
    h += "</ul>\n";
    for (std::size_t i = 0; i < r.sections.size(); ++i) {
        const auto& s = r.sections[i];
        h += fmt::format("<section id=\"s{}\">\n<h2>{}</h2>\n", i, xml_escape(s.title));
        if (!s.source.empty()) h += "<p class=\"src\">" + xml_escape(s.source) + "</p>\n";
        for (const auto& n : s.notes) h += "<p>" + xml_escape(n) + "</p>\n";
        h += "<div class=\"figs\">\n";
        for (const auto& f : s.figures) h += "<figure>\n" + f.svg + "</figure>\n";
        h += "</div>\n" + s.table_html + "</section>\n";
    }
    // The rendering check: count the plots laid out with a non-empty box and some drawn content.
    h += "<script>\nwindow.addEventListener('load',function(){var n=0;var p=document.querySelectorAll('svg.dynosim-plot');"
         "for(var i=0;i<p.length;i++){var b=p[i].getBoundingClientRect();"
         "if(b.width>0&&b.height>0&&p[i].querySelectorAll('polyline,circle,rect,polygon').length>1)n++;}"
         "document.body.setAttribute('data-shown',String(n));});\n</script>\n";
    h += "</body>\n</html>\n";
    return h;
}

std::vector<fs::path> write_figures(const Report& r, const fs::path& dir) {
    fs::create_directories(dir);
    std::vector<fs::path> out;
    for (const auto& s : r.sections)
        for (const auto& f : s.figures) {
            const fs::path p = dir / (f.id + ".svg");
            std::ofstream o(p, std::ios::binary);
            if (!o) throw InputError(fmt::format("{}: cannot write", p.string()));
            o << f.svg;
            out.push_back(p);
        }
    return out;
}

}  // namespace dynosim::framework
