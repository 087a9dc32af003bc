#include "framework/watch.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "framework/deployment.hpp"
#include "framework/pareto.hpp"
#include "framework/study.hpp"
#include "sim/core/errors.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/workload/trace_loader.hpp"

namespace dynosim::framework {

namespace fs = std::filesystem;
using sim::core::InputError;
using sim::core::TimeNs;
namespace wl = sim::workload;

std::string to_mooncake_jsonl(const std::vector<wl::Request>& reqs, TimeNs origin_ns) {
    std::string out;
    for (const auto& r : reqs) {
        out += fmt::format("{{\"timestamp\": {:.3f}, \"input_length\": {}, \"output_length\": {}",
                           static_cast<double>(r.arrival_ns - origin_ns) / 1e6, r.input_tokens, r.output_tokens);
        if (r.session_id >= 0) out += fmt::format(", \"session_id\": {}", r.session_id);
        if (!r.block_hashes.empty()) {
            out += ", \"hash_ids\": [";
            for (std::size_t i = 0; i < r.block_hashes.size(); ++i)
                out += fmt::format("{}{}", i ? ", " : "", r.block_hashes[i]);
            out += "]";
        }
        out += "}\n";
    }
    return out;
}

namespace {

struct TraceFile {
    std::uintmax_t size = 0;
    bool ok = false;
    wl::Workload w;
};

class TraceFolder {
public:
    TraceFolder(fs::path dir, std::string format, std::function<void(const std::string&)> log)
        : dir_(std::move(dir)), format_(std::move(format)), log_(std::move(log)) {}

    // Reads new and grown files; true when something changed.
    bool refresh() {
        std::vector<fs::path> names;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir_, ec))
            if (e.is_regular_file(ec) && !e.path().filename().string().starts_with(".")) names.push_back(e.path());
        if (ec) throw InputError(fmt::format("{}: cannot list: {}", dir_.string(), ec.message()));
        std::sort(names.begin(), names.end());
        bool changed = false;
        for (const auto& p : names) {
            const std::uintmax_t size = fs::file_size(p, ec);
            if (ec) continue;
            auto it = files_.find(p);
            if (it != files_.end() && it->second.size == size) continue;
            TraceFile f;
            f.size = size;
            try {
                wl::LoadOptions lo;
                lo.format = format_;
                lo.skip_bad_lines = true;  // a partial last line of a file still being written
                f.w = wl::load_trace(p, lo);
                if (f.w.skipped_lines > 0)
                    log_(fmt::format("warning: {}: skipped {} malformed line(s)", p.string(), f.w.skipped_lines));
                f.ok = !f.w.requests.empty();
                if (!f.ok) log_(fmt::format("warning: {}: no request in it; skipped", p.string()));
            } catch (const std::exception& e) {
                log_(fmt::format("warning: {}: skipped: {}", p.string(), e.what()));
            }
            files_[p] = std::move(f);
            changed = true;
        }
        return changed;
    }

    // Every request on one timeline, sorted by arrival.
    std::vector<wl::Request> timeline(bool sequential) const {
        std::vector<wl::Request> all;
        TimeNs offset = 0;
        for (const auto& [p, f] : files_) {
            if (!f.ok) continue;
            TimeNs last = 0;
            for (const auto& r : f.w.requests) {
                wl::Request q = r;
                if (sequential) q.arrival_ns += offset;
                last = std::max(last, r.arrival_ns);
                all.push_back(std::move(q));
            }
            if (sequential) offset += last;
        }
        std::stable_sort(all.begin(), all.end(),
                         [](const wl::Request& a, const wl::Request& b) { return a.arrival_ns < b.arrival_ns; });
        return all;
    }

private:
    fs::path dir_;
    std::string format_;
    std::function<void(const std::string&)> log_;
    std::map<fs::path, TraceFile> files_;
};

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    if (!out) throw InputError(fmt::format("{}: cannot write", p.string()));
    out << text;
}

// A CSV field in double quotes, inner quotes doubled (RFC 4180).
std::string csv_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string params_text(const std::map<std::string, std::string>& params) {
    std::string s;
    for (const auto& [k, v] : params) s += fmt::format("{}{}={}", s.empty() ? "" : " ", k, v);
    return s.empty() ? "(base scenario)" : s;
}

}  // namespace

std::vector<TickResult> run_watch(const WatchOptions& o, const std::function<void(const TickResult&)>& on_tick) {
    if (!(o.window_s > 0)) throw InputError(fmt::format("--window {}: must be > 0", o.window_s));
    if (!(o.every_s > 0)) throw InputError(fmt::format("--every {}: must be > 0", o.every_s));
    if (!(o.margin >= 0)) throw InputError(fmt::format("--margin {}: must be >= 0", o.margin));
    if (o.timeline != "sequential" && o.timeline != "absolute")
        throw InputError(fmt::format("--timeline {}: must be \"sequential\" or \"absolute\"", o.timeline));
    if (!fs::is_directory(o.traces_dir)) throw InputError(fmt::format("--traces {}: no such folder", o.traces_dir.string()));
    const StudySpec base_spec = load_study(o.study_file);
    if (base_spec.objectives.empty()) throw InputError(fmt::format("{}: the study has no objective", o.study_file.string()));
    fs::create_directories(o.out_dir);
    std::ofstream log_file(o.out_dir / "watch.log", std::ios::binary | std::ios::trunc);
    auto log = [&](const std::string& line) {
        if (line.starts_with("warning: ")) spdlog::warn("{}", line.substr(9));
        else spdlog::info("{}", line);
        log_file << line << "\n" << std::flush;
    };
    std::ofstream csv(o.out_dir / "ticks.csv", std::ios::binary | std::ios::trunc);
    const ObjectiveSpec& obj = base_spec.objectives[0];
    csv << "tick,t_end_s,window_start_s,requests,trials,current_" << obj.metric << ",best_" << obj.metric
        << ",decision,deployment\n";

    TraceFolder folder(o.traces_dir, o.format, log);
    const Study probe(base_spec);
    // The running deployment at start: the base scenario's values (Problem::start); where they are not all
    // in the space, each dimension's lower bound.
    optimizers::Point start = probe.problem().start;
    if (start.size() != probe.problem().space.size()) {
        start.clear();
        for (const auto& d : probe.problem().space.dims()) start.push_back(d.low);
    }
    optimizers::Point current = probe.problem().space.canonical(start);
    std::vector<optimizers::Point> prev_front;
    log(fmt::format("watch {} on {}: window {} s, every {} s, margin {:.3g}, starting from {}", base_spec.name,
                    o.traces_dir.string(), o.window_s, o.every_s, o.margin, params_text(probe.params(current))));

    std::vector<TickResult> results;
    std::size_t tick = 0;
    std::optional<TimeNs> first;
    while (o.max_ticks == 0 || tick < o.max_ticks) {
        folder.refresh();
        std::vector<wl::Request> all = folder.timeline(o.timeline == "sequential");
        if (!all.empty() && !first) first = all.front().arrival_ns;
        const TimeNs last = all.empty() ? 0 : all.back().arrival_ns;
        TimeNs t_end = 0;
        if (o.once) {
            if (all.empty()) {
                log("no traffic in the traces: nothing to do");
                break;
            }
            t_end = last;
        } else {
            t_end = first ? *first + sim::core::seconds_to_ns(o.every_s * static_cast<double>(tick + 1)) : 0;
            if (!first || t_end > last) {
                if (!o.follow) break;
                std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_s));
                continue;
            }
        }
        ++tick;
        TickResult tr;
        tr.tick = tick;
        tr.t_end_s = sim::core::ns_to_seconds(t_end);
        const TimeNs w0 = t_end - sim::core::seconds_to_ns(o.window_s);
        tr.window_start_s = sim::core::ns_to_seconds(w0);
        std::vector<wl::Request> window;
        for (const auto& r : all)
            if (r.arrival_ns > w0 && r.arrival_ns <= t_end) window.push_back(r);
        tr.requests = window.size();
        const fs::path dir = o.out_dir / fmt::format("tick-{:04}", tick);
        fs::create_directories(dir);
        if (window.empty()) {
            tr.decision = "keep (no traffic)";
        } else {
            const fs::path trace = fs::absolute(dir / "window.jsonl");
            write_text(trace, to_mooncake_jsonl(window, window.front().arrival_ns));
            std::int32_t block = 0;
            for (const auto& r : window)
                if (!r.block_hashes.empty()) {
                    block = r.hash_block_tokens;
                    break;
                }
            StudySpec spec = base_spec;
            spec.scenario_overrides.insert(
                spec.scenario_overrides.end(),
                {"workload.kind=\"trace\"", fmt::format("workload.path=\"{}\"", trace.string()),
                 "workload.format=\"mooncake\"", "workload.transform.window_start_s=0",
                 "workload.transform.window_end_s=-1", "workload.transform.max_requests=-1"});
            if (block > 0) spec.scenario_overrides.push_back(fmt::format("workload.trace_block_tokens={}", block));
            const Study study(spec);
            const fs::path dbp = dir / "study.sqlite";
            for (const char* sfx : {"", "-wal", "-shm"}) fs::remove(dbp.string() + sfx);
            StudyStorage db(dbp);
            RunOptions ro;
            TrialCache cache;  // a point proposed twice (a seed the optimizer proposes again) simulates once
            ro.cache = &cache;
            ro.warm_start.push_back(current);
            ro.warm_start.insert(ro.warm_start.end(), prev_front.begin(), prev_front.end());
            (void)run_study(study, db, ro);
            const auto trials = db.trials();
            tr.trials = trials.size();
            // The running deployment is the first seed: trial 0.
            const TrialRecord* cur = nullptr;
            const TrialRecord* best = nullptr;
            std::vector<std::vector<double>> pts;
            std::vector<optimizers::Point> front_points;
            auto changes = [&current](const optimizers::Point& p) {
                std::size_t n = 0;
                for (std::size_t i = 0; i < p.size() && i < current.size(); ++i) n += p[i] != current[i];
                return n;
            };
            for (const auto& t : trials) {
                if (t.point == current && !cur) cur = &t;
                if (t.status != "feasible") continue;
                pts.push_back(study.minimized(t));
                front_points.push_back(t.point);
                // Best first objective; among equals, the one changing the fewest settings of the running
                // deployment (a knob that does not matter on this traffic is left as it is).
                if (!best) {
                    best = &t;
                    continue;
                }
                const double a = study.minimized(t)[0], b = study.minimized(*best)[0];
                if (a < b || (a == b && changes(t.point) < changes(best->point))) best = &t;
            }
            prev_front.clear();
            if (!pts.empty())
                for (std::size_t f : pareto_front(pts)) prev_front.push_back(front_points[f]);
            if (cur && cur->status == "feasible") tr.current = cur->objectives[0];
            if (best) tr.best = best->objectives[0];
            if (!best) {
                tr.decision = "keep (no feasible deployment)";
                for (const auto& t : trials)
                    if (t.status == "failed") {
                        log(fmt::format("warning: tick {}: trials failed, e.g. trial {}: {}", tick, t.id, t.error));
                        break;
                    }
            } else if (!tr.current) {
                tr.decision = "switch";
            } else {
                const double c = *tr.current, b = *tr.best;
                const double gain = (obj.maximize ? b - c : c - b) / std::max(std::abs(c), 1e-12);
                tr.decision = gain >= o.margin && best->point != current ? "switch" : "keep";
            }
            if (tr.decision == "switch") {
                current = best->point;
                std::vector<std::string> ov = spec.scenario_overrides;
                for (auto& s : study.overrides(current)) ov.push_back(std::move(s));
                sim::scenario::ScenarioOptions so =
                    sim::scenario::load_scenario_text(spec.scenario_text, spec.scenario_source, ov);
                so.base_dir = spec.base_dir;
                DeploymentOptions dopt;
                dopt.name = spec.name;
                const Deployment dep = make_deployment(so, dopt);
                for (const fs::path& d : {dir, o.out_dir / "recommended"}) {
                    fs::create_directories(d);
                    write_text(d / "deployment.yaml", dep.yaml);
                    write_text(d / "engine-args.sh", dep.engine_args);
                }
                tr.deployment_yaml = dir / "deployment.yaml";
                for (const auto& n : dep.notes) log("note: " + n);
            }
        }
        tr.deployment = probe.params(current);
        auto shown = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string("-"); };
        log(fmt::format("tick {} at t={:.1f} s: window ({:.1f}, {:.1f}] s, {} requests, {} trials; {} {}: running {}, "
                        "best {} -> {}; deployment {}",
                        tick, tr.t_end_s, tr.window_start_s, tr.t_end_s, tr.requests, tr.trials,
                        obj.maximize ? "max" : "min", obj.metric, shown(tr.current), shown(tr.best), tr.decision,
                        params_text(tr.deployment)));
        csv << fmt::format("{},{:.3f},{:.3f},{},{},{},{},{},{}\n", tick, tr.t_end_s, tr.window_start_s, tr.requests,
                           tr.trials, tr.current ? fmt::format("{:.10g}", *tr.current) : "",
                           tr.best ? fmt::format("{:.10g}", *tr.best) : "", tr.decision, csv_quote(params_text(tr.deployment)))
            << std::flush;
        if (on_tick) on_tick(tr);
        results.push_back(std::move(tr));
        if (o.once) break;
    }
    return results;
}

}  // namespace dynosim::framework
