#include "framework/metrics.hpp"

#include <algorithm>

namespace dynosim::framework {

const std::vector<std::pair<std::string, std::string>>& metric_docs() {
    static const std::vector<std::pair<std::string, std::string>> docs = [] {
        std::vector<std::pair<std::string, std::string>> d;
        for (const char* dist : {"ttft", "tpot", "itl", "e2e", "queue"})
            for (const char* stat : {"mean", "p50", "p90", "p99", "max"})
                d.emplace_back(std::string(dist) + "." + stat, std::string(stat) + " of " + dist + ", ms");
        d.emplace_back("request_throughput", "finished requests / s");
        d.emplace_back("output_token_throughput", "generated tokens / s");
        d.emplace_back("total_token_throughput", "prompt + generated tokens / s");
        d.emplace_back("tokens_per_s_per_gpu", "generated tokens / s / GPU");
        d.emplace_back("goodput", "SLA-meeting requests / s");
        d.emplace_back("sla_attainment", "fraction of finished requests meeting the SLA");
        d.emplace_back("prefix_hit_rate", "prefix-cache hit tokens / looked-up prompt tokens");
        d.emplace_back("preemptions", "requests preempted (KV exhausted)");
        d.emplace_back("gpu_seconds", "GPUs x run duration, s");
        d.emplace_back("gpu_hours", "GPUs x run duration, h");
        d.emplace_back("cost", "gpu_hours x study.cost_per_gpu_hour");
        d.emplace_back("gpu_utilization", "busy time / (workers x duration)");
        d.emplace_back("gpus", "GPUs of the deployment (workers x TP)");
        d.emplace_back("finished", "requests finished");
        d.emplace_back("unfinished", "requests still running when the run stopped");
        d.emplace_back("stalled", "unfinished requests of a run to completion (they could never finish)");
        d.emplace_back("rejected", "requests rejected (too long)");
        d.emplace_back("duration_s", "first arrival to last finish, s");
        return d;
    }();
    return docs;
}

bool is_metric(const std::string& name) {
    const auto& d = metric_docs();
    return std::any_of(d.begin(), d.end(), [&](const auto& p) { return p.first == name; });
}

MetricMap summary_metrics(const sim::metrics::Summary& s, double cost_per_gpu_hour) {
    MetricMap m;
    auto dist = [&](const char* name, const sim::metrics::Distribution& d) {
        const std::string n = name;
        m[n + ".mean"] = d.mean;
        m[n + ".p50"] = d.p50;
        m[n + ".p90"] = d.p90;
        m[n + ".p99"] = d.p99;
        m[n + ".max"] = d.max;
    };
    dist("ttft", s.ttft);
    dist("tpot", s.tpot);
    dist("itl", s.itl);
    dist("e2e", s.e2e);
    dist("queue", s.queue);
    m["request_throughput"] = s.request_throughput;
    m["output_token_throughput"] = s.output_token_throughput;
    m["total_token_throughput"] = s.total_token_throughput;
    m["tokens_per_s_per_gpu"] = s.tokens_per_s_per_gpu;
    m["goodput"] = s.goodput;
    m["sla_attainment"] = s.sla_attainment;
    m["prefix_hit_rate"] = s.prefix_hit_rate;
    m["preemptions"] = static_cast<double>(s.preemptions);
    m["gpu_seconds"] = s.gpu_seconds;
    m["gpu_hours"] = s.gpu_seconds / 3600.0;
    m["cost"] = s.gpu_seconds / 3600.0 * cost_per_gpu_hour;
    m["gpu_utilization"] = s.gpu_utilization;
    m["gpus"] = s.gpus;
    m["finished"] = static_cast<double>(s.finished);
    m["unfinished"] = static_cast<double>(s.unfinished);
    m["stalled"] = static_cast<double>(s.stalled);
    m["rejected"] = static_cast<double>(s.rejected);
    m["duration_s"] = s.duration_s;
    return m;
}

}  // namespace dynosim::framework
