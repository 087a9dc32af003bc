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

std::string planner_report_json(const PlannerReport& r) {
    nlohmann::ordered_json j;
    j["kind"] = r.kind;
    j["interval_s"] = r.interval_s;
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
