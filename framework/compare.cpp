#include "framework/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "framework/pareto.hpp"
#include "optimizers/grid_search.hpp"

namespace dynosim::framework {

namespace {
double nan() { return std::numeric_limits<double>::quiet_NaN(); }

struct Stats {
    double median = nan(), lo = nan(), hi = nan();
};
Stats stats(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty()) return {};
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return {med, v.front(), v.back()};
}

std::vector<std::string> optimizer_names(const CompareResult& r) {
    std::vector<std::string> names;
    for (const auto& run : r.runs)
        if (std::find(names.begin(), names.end(), run.optimizer) == names.end()) names.push_back(run.optimizer);
    return names;
}

Stats at(const CompareResult& r, const std::string& opt, std::size_t k, bool hv) {
    std::vector<double> v;
    for (const auto& run : r.runs) {
        if (run.optimizer != opt) continue;
        const auto& series = hv ? run.hv : run.best;
        if (series.empty()) continue;
        v.push_back(series[std::min(k, series.size() - 1)]);
    }
    return stats(v);
}
}  // namespace

CompareResult compare_optimizers(const Study& study, const CompareOptions& o,
                                 const std::function<void(const std::string&)>& progress) {
    CompareResult res;
    const StudySpec& spec = study.spec();
    res.budget = o.budget ? o.budget : static_cast<std::size_t>(spec.budget);
    for (const auto& obj : spec.objectives) res.objectives.push_back((obj.maximize ? "maximize " : "minimize ") + obj.metric);
    TrialCache cache;
    if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
    auto db_path = [&](const std::string& name) {
        return o.out_dir.empty() ? std::filesystem::path(":memory:") : o.out_dir / (name + ".sqlite");
    };
    std::vector<std::vector<double>> all_feasible;
    double best_sign = spec.objectives[0].maximize ? -1 : 1;
    // The exhaustive optimum first: it fills the cache that the optimizer runs then draw from.
    std::vector<std::vector<double>> exhaustive;
    if (o.exhaustive_limit > 0) {
        // Exhaustive means every value: only when every dimension is discrete (levels = the largest
        // cardinality, so no discrete dimension is thinned).
        std::vector<optimizers::Point> grid;
        double widest = 2;
        bool discrete = true;
        for (const auto& d : study.problem().space.dims()) {
            discrete = discrete && d.discrete();
            if (d.discrete()) widest = std::max(widest, d.cardinality());
        }
        try {
            if (discrete && study.problem().space.cardinality() <= 1e8)
                grid = optimizers::enumerate_grid(study.problem(), static_cast<std::size_t>(widest), o.exhaustive_limit);
        } catch (const std::invalid_argument&) {
        }
        if (!grid.empty()) {
            if (progress) progress(fmt::format("exhaustive: {} points", grid.size()));
            if (std::filesystem::exists(db_path("exhaustive")) && !o.out_dir.empty()) std::filesystem::remove(db_path("exhaustive"));
            StudyStorage db(db_path("exhaustive"));
            RunOptions ro;
            ro.optimizer = "grid";
            ro.optimizer_options = {{"levels", static_cast<std::int64_t>(widest)},
                                    {"order", std::string("lexicographic")},
                                    {"max_points", static_cast<std::int64_t>(o.exhaustive_limit)}};
            ro.budget = grid.size();
            ro.cache = &cache;
            ro.on_trial = [&](const TrialRecord& t) {
                if (t.status == "feasible") exhaustive.push_back(study.minimized(t));
            };
            run_study(study, db, ro);
            res.exhaustive_points = grid.size();
            all_feasible.insert(all_feasible.end(), exhaustive.begin(), exhaustive.end());
        }
    }
    for (const auto& name : o.optimizers) {
        for (std::size_t rep = 0; rep < o.repeats; ++rep) {
            CompareRun run;
            run.optimizer = name;
            run.seed = spec.seed + rep;
            if (progress) progress(fmt::format("{} repeat {} (seed {})", name, rep + 1, run.seed));
            // An optimizer plugin given by path is filed under its file name.
            const std::string file_name = name.ends_with(".so") ? std::filesystem::path(name).stem().string() : name;
            const auto path = db_path(fmt::format("{}-{}", file_name, rep));
            if (!o.out_dir.empty() && std::filesystem::exists(path)) std::filesystem::remove(path);
            StudyStorage db(path);
            RunOptions ro;
            ro.optimizer = name;
            ro.optimizer_options = name == spec.optimizer ? spec.optimizer_options : optimizers::OptionMap{};
            ro.seed = run.seed;
            ro.budget = res.budget;
            ro.cache = &cache;
            ro.on_trial = [&](const TrialRecord& t) {
                run.minimized.push_back(t.status == "feasible" ? study.minimized(t) : std::vector<double>{});
            };
            const RunSummary s = run_study(study, db, ro);
            run.simulated = s.simulated;
            for (const auto& f : run.minimized)
                if (!f.empty()) all_feasible.push_back(f);
            res.runs.push_back(std::move(run));
        }
    }
    res.reference = default_reference(all_feasible);
    for (std::size_t i = 0; i < spec.objectives.size(); ++i)
        if (spec.objectives[i].reference && !res.reference.empty())
            res.reference[i] = spec.objectives[i].maximize ? -*spec.objectives[i].reference : *spec.objectives[i].reference;
    auto curve = [&](const std::vector<std::vector<double>>& pts, std::vector<double>& hv, std::vector<double>& best) {
        std::vector<std::vector<double>> feas;
        double b = nan();
        for (const auto& f : pts) {
            if (!f.empty()) {
                feas.push_back(f);
                if (std::isnan(b) || f[0] < b) b = f[0];
            }
            hv.push_back(res.reference.empty() ? 0.0 : hypervolume(feas, res.reference));
            best.push_back(std::isnan(b) ? b : best_sign * b);
        }
    };
    for (auto& run : res.runs) curve(run.minimized, run.hv, run.best);
    if (res.exhaustive_points) {
        std::vector<double> hv, best;
        curve(exhaustive, hv, best);
        res.exhaustive_hv = hv.empty() ? 0 : hv.back();
        res.exhaustive_best = best.empty() ? nan() : best.back();
    }
    return res;
}

std::string align_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], row[c].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c)
            line += c == 0 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("  {:>{}}", row[c], width[c]);
        out += line + "\n";
    }
    return out;
}

std::string format_compare(const CompareResult& r) {
    std::string out = fmt::format("objectives: {}\nreference point (minimization form): [{}]\n",
                                  fmt::format("{}", fmt::join(r.objectives, ", ")), fmt::join(r.reference, ", "));
    if (r.exhaustive_points)
        out += fmt::format("exhaustive optimum over {} points: hypervolume {:.6g}, best {} {:.6g}\n", *r.exhaustive_points,
                           r.exhaustive_hv, r.objectives[0], r.exhaustive_best);
    std::vector<std::size_t> ks;
    for (double f : {0.1, 0.25, 0.5, 1.0}) {
        const auto k = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(f * static_cast<double>(r.budget))));
        if (std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k);
    }
    out += fmt::format("\nhypervolume after N evaluations: median [min, max] over repeats{}\n",
                       r.exhaustive_points ? "; share = median final / exhaustive" : "");
    {
        std::vector<std::vector<std::string>> rows{{"optimizer"}};
        for (auto k : ks) rows[0].push_back(fmt::format("N={}", k));
        if (r.exhaustive_points) rows[0].push_back("share");
        for (const auto& name : optimizer_names(r)) {
            rows.push_back({name});
            for (auto k : ks) {
                const Stats s = at(r, name, k - 1, true);
                rows.back().push_back(fmt::format("{:.4g} [{:.4g}, {:.4g}]", s.median, s.lo, s.hi));
            }
            if (r.exhaustive_points) {
                const Stats s = at(r, name, r.budget - 1, true);
                rows.back().push_back(fmt::format("{:.1f}%", r.exhaustive_hv > 0 ? 100 * s.median / r.exhaustive_hv : nan()));
            }
        }
        out += align_table(rows);
    }
    out += fmt::format("\nbest feasible {} after N evaluations: median [min, max]\n", r.objectives[0]);
    {
        std::vector<std::vector<std::string>> rows{{"optimizer"}};
        for (auto k : ks) rows[0].push_back(fmt::format("N={}", k));
        for (const auto& name : optimizer_names(r)) {
            rows.push_back({name});
            for (auto k : ks) {
                const Stats s = at(r, name, k - 1, false);
                rows.back().push_back(fmt::format("{:.5g} [{:.5g}, {:.5g}]", s.median, s.lo, s.hi));
            }
        }
        out += align_table(rows);
    }
    std::size_t sims = 0;
    for (const auto& run : r.runs) sims += run.simulated;
    out += fmt::format("\n{} runs; {} trials simulated by the runs (the rest reused from earlier runs of the same point)\n",
                       r.runs.size(), sims);
    return out;
}

std::string compare_csv(const CompareResult& r) {
    std::string out = "optimizer,seed,evaluations,hypervolume,best_first_objective\n";
    for (const auto& run : r.runs)
        for (std::size_t k = 0; k < run.hv.size(); ++k)
            out += fmt::format("{},{},{},{:.10g},{:.10g}\n", run.optimizer, run.seed, k + 1, run.hv[k], run.best[k]);
    return out;
}

std::vector<std::string> key_labels(const std::vector<std::string>& keys) {
    auto suffix = [](const std::string& k, std::size_t parts) {
        std::size_t at = k.size();
        for (std::size_t p = 0; p < parts; ++p) {
            const auto dot = at == 0 ? std::string::npos : k.rfind('.', at - 1);
            if (dot == std::string::npos) return k;
            at = dot;
        }
        return k.substr(at + 1);
    };
    std::vector<std::string> out;
    for (const auto& k : keys) {
        std::string label = k;
        for (std::size_t parts = 1; parts <= static_cast<std::size_t>(std::count(k.begin(), k.end(), '.')); ++parts) {
            const std::string cand = suffix(k, parts);
            const bool unique = std::none_of(keys.begin(), keys.end(), [&](const std::string& other) {
                return &other != &k && (other == cand || other.ends_with("." + cand));
            });
            if (unique) {
                label = cand;
                break;
            }
        }
        out.push_back(label);
    }
    return out;
}

std::string compare_svg(const CompareResult& r) {
    // Two panels side by side; each: axes, ticks, one median polyline and min-max band per optimizer.
    const double W = 1000, H = 420, pw = 420, ph = 320, top = 50, left0 = 70, gap = 90;
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    const auto names = optimizer_names(r);
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        W, H);
    for (int panel = 0; panel < 2; ++panel) {
        const bool hv = panel == 0;
        const double x0 = left0 + panel * (pw + gap);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (const auto& run : r.runs)
            for (double v : hv ? run.hv : run.best)
                if (!std::isnan(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
        const double ex = hv ? r.exhaustive_hv : r.exhaustive_best;
        if (r.exhaustive_points && !std::isnan(ex)) {
            lo = std::min(lo, ex);
            hi = std::max(hi, ex);
        }
        if (!std::isfinite(lo)) lo = 0, hi = 1;
        if (hi <= lo) hi = lo + 1;
        const double n = static_cast<double>(std::max<std::size_t>(r.budget, 2));
        auto X = [&](double k) { return x0 + (k - 1) / (n - 1) * pw; };
        auto Y = [&](double v) { return top + ph - (v - lo) / (hi - lo) * ph; };
        svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\">{}</text>\n", x0, top - 20,
                           hv ? "hypervolume of the feasible front" : "best feasible " + r.objectives[0]);
        svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", x0, top, pw, ph);
        for (int t = 0; t <= 4; ++t) {
            const double v = lo + (hi - lo) * t / 4.0, y = Y(v);
            svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>", x0, y, x0 + pw, y);
            svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.4g}</text>\n", x0 - 4, y + 4, v);
            const double k = 1 + (n - 1) * t / 4.0;
            svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.0f}</text>\n", X(k), top + ph + 16, k);
        }
        svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">evaluations</text>\n", x0 + pw / 2, top + ph + 34);
        if (r.exhaustive_points && !std::isnan(ex))
            svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"black\" stroke-dasharray=\"6,4\"/>"
                               "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">exhaustive</text>\n",
                               x0, Y(ex), x0 + pw, Y(ex), x0 + pw - 4, Y(ex) - 4);
        for (std::size_t c = 0; c < names.size(); ++c) {
            std::string band_top, band_bot, line;
            for (std::size_t k = 0; k < r.budget; ++k) {
                const Stats s = at(r, names[c], k, hv);
                if (std::isnan(s.median)) continue;
                const double x = X(static_cast<double>(k + 1));
                band_top += fmt::format("{:.1f},{:.1f} ", x, Y(s.hi));
                band_bot = fmt::format("{:.1f},{:.1f} ", x, Y(s.lo)) + band_bot;
                line += fmt::format("{:.1f},{:.1f} ", x, Y(s.median));
            }
            const char* col = colors[c % 8];
            if (!line.empty()) {
                svg += fmt::format("<polygon points=\"{}{}\" fill=\"{}\" fill-opacity=\"0.15\" stroke=\"none\"/>\n", band_top, band_bot, col);
                svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", line, col);
            }
            if (panel == 0)
                svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
                                   x0 + 10, top + 10 + 18 * static_cast<double>(c), col, x0 + 28, top + 21 + 18 * static_cast<double>(c), names[c]);
        }
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace dynosim::framework
