#include "sim/metrics/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <utility>

namespace dynosim::sim::metrics {

namespace {

// The q-quantile of n values, interpolated between the order statistics at floor and ceil of q (n - 1);
// `at(lo, hi)` gives those two (0-based) as a pair.
template <class At>
double interpolated(double q, std::uint64_t n, At&& at) {
    const double pos = q * static_cast<double>(n - 1);
    const auto lo = static_cast<std::uint64_t>(std::floor(pos));
    const std::uint64_t hi = std::min(lo + 1, n - 1);
    const auto [a, b] = at(lo, hi);
    return a + (b - a) * (pos - static_cast<double>(lo));
}

// Order statistics by selection rather than a full sort: a 10 M-request run has 10 M latencies.
// `v` is partially reordered; indices must be requested in ascending order.
double order_stat(std::vector<double>& v, std::size_t k, std::size_t& sorted_upto) {
    if (k >= sorted_upto) {
        std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(sorted_upto), v.begin() + static_cast<std::ptrdiff_t>(k),
                         v.end());
        sorted_upto = k;
    }
    return v[k];
}

double percentile(std::vector<double>& v, double q, std::size_t& sorted_upto) {
    return interpolated(q, v.size(), [&](std::uint64_t lo, std::uint64_t hi) {
        const double a = order_stat(v, lo, sorted_upto);
        // After nth_element at lo, the next order statistic is the minimum of what follows.
        const double b = hi == lo ? a : *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(hi), v.end());
        return std::pair{a, b};
    });
}

}  // namespace

namespace {
nlohmann::ordered_json dist_json(const Distribution& d) {
    return {{"count", d.count}, {"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90},
            {"p99", d.p99},     {"min", d.min},   {"max", d.max}};
}
}  // namespace

Distribution summarize_ms(std::vector<double> v) {
    Distribution d;
    d.count = v.size();
    if (v.empty()) return d;
    d.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    d.min = *mn;
    d.max = *mx;
    std::size_t sorted_upto = 0;
    d.p50 = percentile(v, 0.50, sorted_upto);
    d.p90 = percentile(v, 0.90, sorted_upto);
    d.p99 = percentile(v, 0.99, sorted_upto);
    return d;
}

namespace {
// The exact distribution of counted gaps: the same figures summarize_ms gives for the expanded
// list (order statistics of the multiset), the mean from the exact integer sum, so it does not depend on
// the order workers recorded gaps in.
Distribution summarize_counts_ms(std::vector<Recorder::ItlCount> runs) {  // runs: (value, count) pairs
    Distribution d;
    std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.gap < b.gap; });
    std::uint64_t n = 0;
    TimeNs sum_ns = 0;
    for (const auto& r : runs) {
        n += r.count;
        sum_ns += r.gap * static_cast<TimeNs>(r.count);
    }
    d.count = n;
    if (n == 0) return d;
    d.mean = core::ns_to_ms(sum_ns) / static_cast<double>(n);
    d.min = core::ns_to_ms(runs.front().gap);
    d.max = core::ns_to_ms(runs.back().gap);
    // Order statistics are asked for mostly in ascending order: walk on from the last one.
    std::size_t run = 0;
    std::uint64_t before = 0;  // gaps in runs[0, run)
    auto order_stat = [&](std::uint64_t k) {
        if (k < before) run = 0, before = 0;
        while (before + runs[run].count <= k) before += runs[run++].count;
        return core::ns_to_ms(runs[run].gap);
    };
    auto pair_at = [&](std::uint64_t lo, std::uint64_t hi) {
        const double a = order_stat(lo);
        return std::pair{a, order_stat(hi)};
    };
    d.p50 = interpolated(0.50, n, pair_at);
    d.p90 = interpolated(0.90, n, pair_at);
    d.p99 = interpolated(0.99, n, pair_at);
    return d;
}
}  // namespace

Summary summarize(const Recorder& rec, const RunInfo& info, const SlaOptions& sla) {
    Summary s;
    s.sla = sla;
    s.num_workers = info.num_workers;
    s.gpus = info.total_gpus > 0 ? info.total_gpus : info.num_workers * info.gpus_per_worker;
    s.disaggregated = info.disaggregated;
    s.kvbm = info.kvbm;
    double transfer_ms_sum = 0;
    std::vector<double> ttft, tpot, e2e, queue, ttft_onboard, ttft_prefill;
    TimeNs first_arrival = core::kTimeMax, last_finish = 0;
    std::uint64_t out_tokens = 0, all_tokens = 0, good = 0;
    for (const RequestRecord& r : rec.records()) {
        ++s.submitted;
        if (!r.arrived) continue;
        ++s.arrived;
        if (r.transfer_ns >= 0) {
            ++s.transfers;
            transfer_ms_sum += core::ns_to_ms(r.transfer_ns);
            s.transfer_gb += static_cast<double>(r.transfer_bytes) / 1e9;
        } else if (s.disaggregated && r.worker >= 0 && r.prefill_worker < 0) {
            ++s.local_prefills;
        }
        first_arrival = std::min(first_arrival, r.arrival_ns);
        if (r.status == RequestStatus::Rejected) {
            ++s.rejected;
            continue;
        }
        if (r.status != RequestStatus::Finished) {
            ++s.unfinished;
            continue;
        }
        ++s.finished;
        last_finish = std::max(last_finish, r.finish_ns);
        const double t_first = core::ns_to_ms(r.first_token_ns - r.arrival_ns);
        ttft.push_back(t_first);
        e2e.push_back(core::ns_to_ms(r.finish_ns - r.arrival_ns));
        queue.push_back(core::ns_to_ms(r.first_scheduled_ns - r.arrival_ns));
        if (s.kvbm) {
            const TimeNs onboard = r.onboard_ns < 0 ? 0 : r.onboard_ns;
            s.onboarded_requests += r.onboard_ns >= 0;
            ttft_onboard.push_back(core::ns_to_ms(onboard));
            ttft_prefill.push_back(core::ns_to_ms(r.first_token_ns - r.first_scheduled_ns - onboard));
        }
        double t_pot = 0;
        if (r.generated > 1) {
            t_pot = core::ns_to_ms(r.finish_ns - r.first_token_ns) / (r.generated - 1);
            tpot.push_back(t_pot);
        }
        out_tokens += static_cast<std::uint64_t>(r.generated);
        all_tokens += static_cast<std::uint64_t>(r.generated + r.input_tokens);
        const bool ttft_ok = sla.ttft_ms <= 0 || t_first <= sla.ttft_ms;
        const bool tpot_ok = sla.tpot_ms <= 0 || t_pot <= sla.tpot_ms;
        good += ttft_ok && tpot_ok;
    }
    s.conserved = s.arrived == s.finished + s.rejected + s.unfinished;
    if (info.run_to_completion) s.stalled = s.unfinished;
    s.ttft = summarize_ms(std::move(ttft));
    s.tpot = summarize_ms(std::move(tpot));
    s.e2e = summarize_ms(std::move(e2e));
    if (s.kvbm) {
        s.ttft_queue = summarize_ms(queue);
        s.ttft_onboard = summarize_ms(std::move(ttft_onboard));
        s.ttft_prefill = summarize_ms(std::move(ttft_prefill));
    }
    s.queue = summarize_ms(std::move(queue));
    s.itl = summarize_counts_ms(rec.itl_counts());
    if (const ItlHistogram* h = rec.itl_histogram(); h && h->count() > 0) {
        // Streamed gaps: count, mean, min and max exact; percentiles within the histogram's relative error.
        s.itl.count = h->count();
        s.itl.mean = core::ns_to_ms(static_cast<TimeNs>(h->sum_ns())) / static_cast<double>(h->count());
        s.itl.min = core::ns_to_ms(h->min());
        s.itl.max = core::ns_to_ms(h->max());
        s.itl.p50 = h->percentile_ns(0.50) / 1e6;
        s.itl.p90 = h->percentile_ns(0.90) / 1e6;
        s.itl.p99 = h->percentile_ns(0.99) / 1e6;
    }

    const auto& c = rec.counters();
    s.preemptions = c.preemptions;
    s.steps = c.steps;
    s.prefix_hit_rate = c.prefix_query_tokens
                            ? static_cast<double>(c.prefix_hit_tokens) / static_cast<double>(c.prefix_query_tokens)
                            : 0.0;
    if (s.finished > 0 && last_finish > first_arrival) {
        s.duration_s = core::ns_to_seconds(last_finish - first_arrival);
        s.request_throughput = static_cast<double>(s.finished) / s.duration_s;
        s.output_token_throughput = static_cast<double>(out_tokens) / s.duration_s;
        s.total_token_throughput = static_cast<double>(all_tokens) / s.duration_s;
        s.tokens_per_s_per_gpu = s.gpus > 0 ? s.output_token_throughput / s.gpus : 0.0;
        s.goodput = static_cast<double>(good) / s.duration_s;
    }
    if (s.transfers > 0) s.transfer_ms_mean = transfer_ms_sum / static_cast<double>(s.transfers);
    s.sla_attainment = s.finished ? static_cast<double>(good) / static_cast<double>(s.finished) : 0.0;
    const double span_s = core::ns_to_seconds(info.end_ns - (first_arrival == core::kTimeMax ? 0 : first_arrival));
    s.gpu_seconds = span_s > 0 ? span_s * s.gpus : 0.0;
    s.gpu_utilization =
        (span_s > 0 && s.num_workers > 0) ? core::ns_to_seconds(c.busy_ns) / (span_s * s.num_workers) : 0.0;
    return s;
}

std::string format_summary(const Summary& s) {
    std::string out;
    auto line = [&](std::string_view name, const Distribution& d) {
        out += fmt::format("  {:<10} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f}\n", name, d.mean, d.p50,
                           d.p90, d.p99, d.max);
    };
    out += fmt::format("requests   submitted {}  arrived {}  finished {}  rejected {}  unfinished {}{}\n",
                       s.submitted, s.arrived, s.finished, s.rejected, s.unfinished,
                       s.conserved ? "" : "  (CONSERVATION VIOLATED)");
    if (s.stalled > 0)
        out += fmt::format("STALLED    {} requests can never finish: nothing was left to run while they waited; "
                           "latencies below cover finished requests only\n",
                           s.stalled);
    out += fmt::format("  {:<10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "latency ms", "mean", "p50", "p90", "p99",
                       "max");
    line("TTFT", s.ttft);
    line("TPOT", s.tpot);
    line("ITL", s.itl);
    line("E2E", s.e2e);
    line("queue", s.queue);
    out += fmt::format("throughput  {:.3f} req/s  {:.1f} output tok/s  {:.1f} total tok/s  {:.1f} tok/s/GPU\n",
                       s.request_throughput, s.output_token_throughput, s.total_token_throughput,
                       s.tokens_per_s_per_gpu);
    out += fmt::format("goodput     {:.3f} req/s ({:.1f}% within TTFT <= {} ms, TPOT <= {} ms)\n", s.goodput,
                       100 * s.sla_attainment, s.sla.ttft_ms, s.sla.tpot_ms);
    out += fmt::format("prefix hit  {:.1f}%   preemptions {}   steps {}\n", 100 * s.prefix_hit_rate, s.preemptions,
                       s.steps);
    if (s.disaggregated)
        out += fmt::format("disagg      {} KV transfers, mean {:.3f} ms, {:.3f} GB; {} prefilled on their decode worker\n",
                           s.transfers, s.transfer_ms_mean, s.transfer_gb, s.local_prefills);
    if (s.kvbm) {
        out += fmt::format("kvbm        TTFT mean = queue {:.2f} + onboard {:.2f} + prefill {:.2f} ms; {} requests onboarded\n",
                           s.ttft_queue.mean, s.ttft_onboard.mean, s.ttft_prefill.mean, s.onboarded_requests);
        for (const KvbmTierSummary& t : s.kvbm_tiers)
            out += fmt::format("  {:<8} {:.1f} GB {}: hit {:.1f}% of prompt blocks ({} looked up here), {:.2f} GB offloaded, "
                               "{:.2f} GB onboarded, link busy {:.3f} s, occupancy mean {:.1f}% peak {:.1f}%\n",
                               t.name, t.capacity_gb, t.policy, 100 * t.hit_rate, t.lookups, t.offloaded_gb,
                               t.onboarded_gb, t.transfer_s, 100 * t.occupancy_mean, 100 * t.occupancy_peak);
    }
    out += fmt::format("fleet       {} workers, {} GPUs, {:.1f} GPU-seconds, {:.1f}% busy, {:.1f} s simulated\n",
                       s.num_workers, s.gpus, s.gpu_seconds, 100 * s.gpu_utilization, s.duration_s);
    if (s.planner && !s.planner->pools.empty())
        out += fmt::format("planner     {}: {:.3f} GPU-hours, {} decisions, {} up / {} down, mean provisioned {:.2f}\n",
                           s.planner->kind, s.planner->gpu_hours, s.planner->decisions, s.planner->scale_up_events,
                           s.planner->scale_down_events, s.planner->mean_provisioned);
    else if (s.planner)
        out += fmt::format("planner     {}: {:.3f} GPU-hours, {} decisions, {} up / {} down, ready {}..{}, mean "
                           "provisioned {:.2f}\n",
                           s.planner->kind, s.planner->gpu_hours, s.planner->decisions, s.planner->scale_up_events,
                           s.planner->scale_down_events, s.planner->min_ready, s.planner->max_ready,
                           s.planner->mean_provisioned);
    if (s.planner)
        for (const auto& p : s.planner->pools)
            out += fmt::format("  {:<9} {:.3f} GPU-hours, {} up / {} down, ready {}..{}, mean provisioned {:.2f}\n", p.pool,
                               p.gpu_hours, p.scale_up_events, p.scale_down_events, p.min_ready, p.max_ready,
                               p.mean_provisioned);
    return out;
}

std::string summary_json(const Summary& s) {
    nlohmann::ordered_json j;
    j["requests"] = {{"submitted", s.submitted}, {"arrived", s.arrived},       {"finished", s.finished},
                     {"rejected", s.rejected},   {"unfinished", s.unfinished}, {"conserved", s.conserved}};
    if (s.stalled > 0) j["requests"]["stalled"] = s.stalled;  // only when it happened: most runs never stall
    j["ttft_ms"] = dist_json(s.ttft);
    j["tpot_ms"] = dist_json(s.tpot);
    j["itl_ms"] = dist_json(s.itl);
    j["e2e_ms"] = dist_json(s.e2e);
    j["queue_ms"] = dist_json(s.queue);
    j["throughput"] = {{"duration_s", s.duration_s},
                       {"requests_per_s", s.request_throughput},
                       {"output_tokens_per_s", s.output_token_throughput},
                       {"total_tokens_per_s", s.total_token_throughput},
                       {"output_tokens_per_s_per_gpu", s.tokens_per_s_per_gpu}};
    j["goodput"] = {{"requests_per_s", s.goodput},
                    {"sla_attainment", s.sla_attainment},
                    {"sla_ttft_ms", s.sla.ttft_ms},
                    {"sla_tpot_ms", s.sla.tpot_ms}};
    j["prefix_hit_rate"] = s.prefix_hit_rate;
    j["preemptions"] = s.preemptions;
    j["steps"] = s.steps;
    j["fleet"] = {{"workers", s.num_workers},
                  {"gpus", s.gpus},
                  {"gpu_seconds", s.gpu_seconds},
                  {"gpu_utilization", s.gpu_utilization}};
    if (s.disaggregated)
        j["disagg"] = {{"kv_transfers", s.transfers},
                       {"local_prefills", s.local_prefills},
                       {"transfer_ms_mean", s.transfer_ms_mean},
                       {"transfer_gb", s.transfer_gb}};
    if (s.kvbm) {
        nlohmann::ordered_json tiers = nlohmann::ordered_json::array();
        for (const KvbmTierSummary& t : s.kvbm_tiers)
            tiers.push_back({{"tier", t.name},
                             {"policy", t.policy},
                             {"capacity_blocks", t.capacity_blocks},
                             {"capacity_gb", t.capacity_gb},
                             {"lookups", t.lookups},
                             {"hits", t.hits},
                             {"misses", t.lookups - t.hits},
                             {"hit_rate", t.hit_rate},
                             {"offloaded_blocks", t.offloaded_blocks},
                             {"onboarded_blocks", t.onboarded_blocks},
                             {"evictions", t.evictions},
                             {"offloaded_gb", t.offloaded_gb},
                             {"onboarded_gb", t.onboarded_gb},
                             {"transfer_s", t.transfer_s},
                             {"occupancy_mean", t.occupancy_mean},
                             {"occupancy_peak", t.occupancy_peak}});
        j["kvbm"] = {{"onboarded_requests", s.onboarded_requests},
                     {"ttft_breakdown_ms",
                      {{"queue", dist_json(s.ttft_queue)},
                       {"onboard", dist_json(s.ttft_onboard)},
                       {"prefill", dist_json(s.ttft_prefill)}}},
                     {"tiers", tiers}};
    }
    if (s.planner) j["planner"] = nlohmann::ordered_json::parse(planner_report_json(*s.planner));
    return j.dump(2) + "\n";
}

std::string kvbm_occupancy_csv(const Summary& s) {
    std::string out = "time_s,tier,occupancy_gb,occupancy_fraction\n";
    for (const KvbmTierSummary& t : s.kvbm_tiers) {
        const double cap = t.capacity_gb * s.num_workers;
        for (std::size_t i = 0; i < t.occupancy_gb.size(); ++i)
            out += fmt::format("{:.3f},{},{:.6f},{:.6f}\n", static_cast<double>(i) * t.sample_interval_s, t.name,
                               t.occupancy_gb[i], cap > 0 ? t.occupancy_gb[i] / cap : 0.0);
    }
    return out;
}

std::string requests_csv(const Recorder& rec) {
    std::string out =
        "id,status,worker,arrival_s,queue_ms,ttft_ms,e2e_ms,tpot_ms,input_tokens,output_tokens,generated,"
        "cached_tokens,preemptions,prefill_worker,transfer_ms,transfer_bytes\n";
    auto ms_or_empty = [](TimeNs a, TimeNs b) {
        return (a < 0 || b < 0) ? std::string() : fmt::format("{:.3f}", core::ns_to_ms(a - b));
    };
    for (const RequestRecord& r : rec.records()) {
        if (!r.arrived) continue;
        const std::string tpot = (r.status == RequestStatus::Finished && r.generated > 1)
                                     ? fmt::format("{:.3f}", core::ns_to_ms(r.finish_ns - r.first_token_ns) /
                                                                 (r.generated - 1))
                                     : std::string();
        out += fmt::format("{},{},{},{:.6f},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.id, to_string(r.status), r.worker,
                           core::ns_to_seconds(r.arrival_ns), ms_or_empty(r.first_scheduled_ns, r.arrival_ns),
                           ms_or_empty(r.first_token_ns, r.arrival_ns), ms_or_empty(r.finish_ns, r.arrival_ns), tpot,
                           r.input_tokens, r.output_tokens, r.generated, r.cached_tokens, r.preemptions,
                           r.prefill_worker, r.transfer_ns < 0 ? std::string() : fmt::format("{:.6f}", core::ns_to_ms(r.transfer_ns)),
                           r.transfer_bytes);
    }
    return out;
}

}  // namespace dynosim::sim::metrics
