#include "sim/metrics/planner_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace dynosim::sim::metrics {

namespace {
// JSON has no NaN: unmeasured values are null.
nlohmann::ordered_json num(double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(); }
std::string cell(double v, const char* f = "{:.4f}") {
    return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : std::string();
}
}  // namespace

PlannerReport combine_pool_reports(std::vector<PlannerReport> pools) {
    PlannerReport r;
    r.kind = pools.front().kind;
    r.interval_s = pools.front().interval_s;
    r.decisions = pools.front().decisions;  // one decision sets both pools
    for (const auto& p : pools) {
        r.gpu_hours += p.gpu_hours;
        r.scale_up_events += p.scale_up_events;
        r.scale_down_events += p.scale_down_events;
        r.workers_requested += p.workers_requested;
        r.workers_ready += p.workers_ready;
        r.starts_cancelled += p.starts_cancelled;
        r.workers_drained += p.workers_drained;
        r.scale_ups_blocked += p.scale_ups_blocked;
        r.mean_provisioned += p.mean_provisioned;  // a time-average is additive over pools
    }
    r.pools = std::move(pools);
    return r;
}

std::string planner_report_json(const PlannerReport& r) {
    nlohmann::ordered_json j;
    j["kind"] = r.kind;
    j["interval_s"] = r.interval_s;
    if (!r.pools.empty()) {
        j["gpu_hours"] = r.gpu_hours;
        j["decisions"] = r.decisions;
        j["scale_up_events"] = r.scale_up_events;
        j["scale_down_events"] = r.scale_down_events;
        j["mean_provisioned"] = r.mean_provisioned;
        for (const auto& p : r.pools) j[p.pool] = nlohmann::ordered_json::parse(planner_report_json(p));
        return j.dump(2);
    }
    j["gpus_per_worker"] = r.gpus_per_worker;
    j["gpu_hours"] = r.gpu_hours;
    j["decisions"] = r.decisions;
    j["scale_up_events"] = r.scale_up_events;
    j["scale_down_events"] = r.scale_down_events;
    j["workers_requested"] = r.workers_requested;
    j["workers_ready"] = r.workers_ready;
    j["starts_cancelled"] = r.starts_cancelled;
    j["workers_drained"] = r.workers_drained;
    j["scale_ups_blocked"] = r.scale_ups_blocked;
    j["mean_cold_start_s"] = r.mean_cold_start_s;
    j["replicas"] = {{"min_ready", r.min_ready},
                     {"max_ready", r.max_ready},
                     {"max_provisioned", r.max_provisioned},
                     {"mean_provisioned", r.mean_provisioned}};
    j["sla_attainment_per_interval"] = {{"mean", num(r.sla_attainment_mean)}, {"min", num(r.sla_attainment_min)}};
    auto tl = nlohmann::ordered_json::array();
    for (const auto& p : r.timeline) tl.push_back({p.t_s, p.ready, p.starting, p.draining});
    j["timeline_t_ready_starting_draining"] = std::move(tl);
    auto ws = nlohmann::ordered_json::array();
    for (const auto& w : r.workers)
        ws.push_back({{"worker", w.slot},
                      {"requested_s", w.requested_s},
                      {"ready_s", num(w.ready_s < 0 ? std::nan("") : w.ready_s)},
                      {"drain_s", num(w.drain_s < 0 ? std::nan("") : w.drain_s)},
                      {"end_s", w.end_s},
                      {"cancelled", w.cancelled}});
    j["workers"] = std::move(ws);
    return j.dump(2);
}

std::string planner_csv(const PlannerReport& r) {
    if (!r.pools.empty()) {  // disaggregated: the pools' rows, each led by its pool's name
        std::string out;
        for (const auto& p : r.pools) {
            const std::string part = planner_csv(p);
            std::size_t line = 0;
            for (std::size_t nl = part.find('\n'); nl != std::string::npos; line = nl + 1, nl = part.find('\n', line)) {
                if (line == 0 && !out.empty()) continue;  // one header
                out += (line == 0 ? std::string("pool,") : p.pool + ",") + part.substr(line, nl + 1 - line);
            }
        }
        return out;
    }
    std::string out =
        "t_s,arrivals,mean_isl,mean_osl,mean_ttft_ms,mean_itl_ms,kv_usage,queue_per_worker,predicted_rps,"
        "capacity_rps,ttft_correction,itl_correction,ready,starting,draining,target,finished,sla_attainment\n";
    for (const auto& i : r.intervals)
        out += fmt::format("{:.3f},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i.t_s, i.arrivals,
                           cell(i.mean_isl, "{:.1f}"), cell(i.mean_osl, "{:.1f}"), cell(i.mean_ttft_ms, "{:.2f}"),
                           cell(i.mean_itl_ms, "{:.3f}"), cell(i.kv_usage), cell(i.queue_per_worker),
                           cell(i.predicted_rps), cell(i.capacity_rps), cell(i.ttft_correction),
                           cell(i.itl_correction), i.ready, i.starting, i.draining, i.target, i.finished,
                           cell(i.sla_attainment));
    return out;
}

}  // namespace dynosim::sim::metrics
