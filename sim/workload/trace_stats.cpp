// Trace statistics (see trace_stats.hpp).
#include "sim/workload/trace_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"

namespace dynosim::sim::workload {

namespace {

double percentile(const std::vector<std::int32_t>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    if (i + 1 >= sorted.size()) return sorted.back();
    return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

LengthStats length_stats(std::vector<std::int32_t> v) {
    LengthStats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (std::int32_t x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    s.p50 = percentile(v, 0.50);
    s.p90 = percentile(v, 0.90);
    s.p99 = percentile(v, 0.99);
    s.max = v.back();
    return s;
}

nlohmann::json length_json(const LengthStats& l) {
    return {{"mean", l.mean}, {"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"max", l.max}};
}

}  // namespace

TraceStats compute_trace_stats(const Workload& w, double bucket_s) {
    if (!(bucket_s > 0))
        throw core::InputError(fmt::format("trace stats bucket = {} s: must be > 0", bucket_s));
    TraceStats s;
    s.source = w.source;
    s.num_requests = w.requests.size();
    s.skipped_lines = w.skipped_lines;
    s.bucket_s = bucket_s;
    if (w.requests.empty()) return s;

    const TimeNs first = w.requests.front().arrival_ns;
    TimeNs last = first;
    for (const Request& r : w.requests) last = std::max(last, r.arrival_ns);
    s.duration_s = core::ns_to_seconds(last - first);
    s.mean_rate = s.duration_s > 0 ? static_cast<double>(s.num_requests) / s.duration_s : 0.0;

    // Rate per bucket; the last bucket's rate is over the stretch the trace covers (at least 1 ns),
    // so a short tail does not read as a lull.
    const TimeNs bucket_ns = std::max<TimeNs>(1, core::seconds_to_ns(bucket_s));
    const std::size_t nbuckets = static_cast<std::size_t>((last - first) / bucket_ns) + 1;
    std::vector<std::uint64_t> counts(nbuckets, 0);
    for (const Request& r : w.requests)
        ++counts[std::min(nbuckets - 1, static_cast<std::size_t>((r.arrival_ns - first) / bucket_ns))];
    s.rate_per_bucket.resize(nbuckets);
    for (std::size_t i = 0; i < nbuckets; ++i) {
        double width = bucket_s;
        if (i + 1 == nbuckets && nbuckets > 1) {
            const double covered = core::ns_to_seconds(last - first - static_cast<TimeNs>(i) * bucket_ns);
            width = std::max(covered, 1e-9);
        } else if (nbuckets == 1) {
            width = s.duration_s > 0 ? s.duration_s : bucket_s;
        }
        s.rate_per_bucket[i] = static_cast<double>(counts[i]) / width;
    }

    std::vector<std::int32_t> in, out;
    in.reserve(w.requests.size());
    out.reserve(w.requests.size());
    std::unordered_set<std::int64_t> sessions, clients;
    std::size_t total_hashes = 0;
    for (const Request& r : w.requests) {
        in.push_back(r.input_tokens);
        out.push_back(r.output_tokens);
        if (r.session_id >= 0) sessions.insert(r.session_id);
        if (r.client_id >= 0) clients.insert(r.client_id);
        total_hashes += r.block_hashes.size();
        if (!r.block_hashes.empty()) s.hash_block_tokens = std::max(s.hash_block_tokens, r.hash_block_tokens);
    }
    s.input = length_stats(std::move(in));
    s.output = length_stats(std::move(out));
    s.num_sessions = sessions.size();
    s.num_clients = clients.size();

    // Prefix reuse in arrival order. A block's identity chains its hash with all before it (and the
    // block size), so equal ids at different positions or after different prefixes do not count.
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(total_hashes);
    std::vector<std::uint64_t> chain;
    for (const Request& r : w.requests) {
        if (r.block_hashes.empty() || r.hash_block_tokens <= 0) continue;
        const std::int64_t B = r.hash_block_tokens;
        const std::uint64_t prompt_blocks = static_cast<std::uint64_t>((r.input_tokens + B - 1) / B);
        s.prompt_blocks += prompt_blocks;
        chain.clear();
        std::uint64_t h = core::splitmix64(static_cast<std::uint64_t>(B));
        for (std::uint64_t id : r.block_hashes) {
            h = core::hash_combine(h, id);
            chain.push_back(h);
        }
        const std::size_t n = std::min<std::size_t>(chain.size(), prompt_blocks);
        // Reuse is a prefix property: once a block misses, the ones after it cannot hit.
        for (std::size_t i = 0; i < n && seen.count(chain[i]); ++i) ++s.reused_blocks;
        // Insert after the lookups so a request never counts as reusing itself.
        seen.insert(chain.begin(), chain.end());
    }
    s.prefix_reuse_ratio = s.prompt_blocks > 0
                               ? static_cast<double>(s.reused_blocks) / static_cast<double>(s.prompt_blocks)
                               : 0.0;
    return s;
}

std::string format_trace_stats(const TraceStats& s) {
    std::string o;
    auto line = [&](std::string_view label, const std::string& value) {
        o += fmt::format("{:<16}{}\n", label, value);
    };
    auto lengths = [](const LengthStats& l) {
        return fmt::format("mean {:.1f}  p50 {:.0f}  p90 {:.0f}  p99 {:.0f}  max {}", l.mean, l.p50, l.p90,
                           l.p99, l.max);
    };
    line("trace", s.source.empty() ? "(unnamed)" : s.source);
    line("requests", s.skipped_lines > 0
                         ? fmt::format("{} ({} malformed lines skipped)", s.num_requests, s.skipped_lines)
                         : fmt::format("{}", s.num_requests));
    line("duration", fmt::format("{:.1f} s", s.duration_s));
    line("mean rate", fmt::format("{:.3f} req/s", s.mean_rate));
    if (!s.rate_per_bucket.empty()) {
        std::vector<double> r = s.rate_per_bucket;
        std::sort(r.begin(), r.end());
        line(fmt::format("rate per {:g} s", s.bucket_s),
             fmt::format("min {:.3f}  median {:.3f}  max {:.3f} req/s over {} buckets", r.front(),
                         r[r.size() / 2], r.back(), r.size()));
    }
    line("input tokens", lengths(s.input));
    line("output tokens", lengths(s.output));
    if (s.hash_block_tokens > 0)
        line("prefix reuse",
             fmt::format("{:.1f}% of {} prompt blocks ({} tokens each) seen in an earlier request",
                         100.0 * s.prefix_reuse_ratio, s.prompt_blocks, s.hash_block_tokens));
    else
        line("prefix reuse", "0% (no prefix hashes in this trace)");
    line("sessions", fmt::format("{}", s.num_sessions));
    line("clients", fmt::format("{}", s.num_clients));
    return o;
}

nlohmann::json to_json(const TraceStats& s) {
    return {
        {"source", s.source},
        {"num_requests", s.num_requests},
        {"skipped_lines", s.skipped_lines},
        {"duration_s", s.duration_s},
        {"mean_rate", s.mean_rate},
        {"bucket_s", s.bucket_s},
        {"rate_per_bucket", s.rate_per_bucket},
        {"input_tokens", length_json(s.input)},
        {"output_tokens", length_json(s.output)},
        {"hash_block_tokens", s.hash_block_tokens},
        {"prompt_blocks", s.prompt_blocks},
        {"reused_blocks", s.reused_blocks},
        {"prefix_reuse_ratio", s.prefix_reuse_ratio},
        {"num_sessions", s.num_sessions},
        {"num_clients", s.num_clients},
    };
}

}  // namespace dynosim::sim::workload
