// Synthetic workload generator (see generator.hpp). Each concern draws from its own forked stream
// (arrivals, lengths, groups, sessions), so changing e.g. the length distribution leaves the arrival
// times of the same seed unchanged.
#include "sim/workload/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "sim/core/errors.hpp"
#include "sim/core/rng.hpp"
#include "sim/workload/trace_loader.hpp"

namespace dynosim::sim::workload {

namespace {

constexpr std::uint64_t kStreamArrivals = 1;
constexpr std::uint64_t kStreamLengths = 2;
constexpr std::uint64_t kStreamGroups = 3;
constexpr std::uint64_t kStreamSessions = 4;
// Salts separating the hash spaces of group prefixes and of per-session content.
constexpr std::uint64_t kSaltGroup = 0x67726f75702d6b76ULL;
constexpr std::uint64_t kSaltSession = 0x73657373696f6e73ULL;

std::string fmt_double(double x) {
    return fmt::format("{}", x);
}

bool sessions_enabled(const SessionOptions& s) {
    return !(s.turns.kind == "fixed" && s.turns.value == 1);
}

// Loads each empirical trace once, even when input and output both sample it.
class EmpiricalTraces {
  public:
    const Workload& get(const LengthDistOptions& o) {
        const auto key = std::make_pair(o.path, o.format);
        auto it = loaded_.find(key);
        if (it == loaded_.end()) {
            LoadOptions lo;
            lo.format = o.format;
            it = loaded_.emplace(key, load_trace(o.path, lo)).first;
        }
        return it->second;
    }

  private:
    std::map<std::pair<std::string, std::string>, Workload> loaded_;
};

LengthSampler make_sampler(const LengthDistOptions& o, bool output_lengths, EmpiricalTraces& traces) {
    if (o.kind != "empirical") return LengthSampler(o);
    const Workload& w = traces.get(o);
    std::vector<std::int32_t> values;
    values.reserve(w.requests.size());
    for (const Request& r : w.requests) values.push_back(output_lengths ? r.output_tokens : r.input_tokens);
    return LengthSampler(o, std::move(values));
}

}  // namespace

std::vector<std::string> GeneratorOptions::validate(const std::string& prefix) const {
    std::vector<std::string> errs;
    auto err = [&](const std::string& field, const std::string& value, const std::string& rule) {
        errs.push_back(fmt::format("{}{} = {}: {}", prefix, field, value, rule));
    };
    auto append = [&](std::vector<std::string> more) {
        errs.insert(errs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    };

    const ArrivalOptions& a = arrival;
    if (a.process != "poisson" && a.process != "gamma" && a.process != "weibull")
        err("arrival.process", fmt::format("\"{}\"", a.process), "must be one of poisson, gamma, weibull");
    if (a.process != "poisson" && (!(a.cv > 0) || !std::isfinite(a.cv)))
        err("arrival.cv", fmt_double(a.cv), "must be > 0 (1 = Poisson-like)");
    if (a.schedule.empty()) {
        if (!(a.rate > 0) || !std::isfinite(a.rate))
            err("arrival.rate", fmt_double(a.rate), "must be > 0 req/s");
    } else {
        double mass = 0;
        for (std::size_t i = 0; i < a.schedule.size(); ++i) {
            const RateSegment& s = a.schedule[i];
            const std::string f = fmt::format("arrival.schedule[{}]", i);
            if (!(s.duration_s > 0) || !std::isfinite(s.duration_s))
                err(f + ".duration_s", fmt_double(s.duration_s), "must be > 0 s");
            if (!(s.rate_start >= 0) || !std::isfinite(s.rate_start))
                err(f + ".rate_start", fmt_double(s.rate_start), "must be >= 0 req/s");
            if (!(s.rate_end >= 0) || !std::isfinite(s.rate_end))
                err(f + ".rate_end", fmt_double(s.rate_end), "must be >= 0 req/s");
            if (s.duration_s > 0 && s.rate_start >= 0 && s.rate_end >= 0)
                mass += s.duration_s * (s.rate_start + s.rate_end);
        }
        if (!(mass > 0) && !(a.schedule.back().rate_end > 0))
            err("arrival.schedule", fmt::format("{} segments", a.schedule.size()),
                "all rates are 0: no request would arrive");
    }

    append(input.validate(prefix + "input"));
    append(output.validate(prefix + "output"));

    const PrefixGroupOptions& p = this->prefix;
    if (p.num_groups < 0)
        err("prefix.num_groups", std::to_string(p.num_groups), "must be >= 0 (0 = no groups)");
    if (p.num_groups > 0) {
        if (p.prefix_tokens < 1)
            err("prefix.prefix_tokens", std::to_string(p.prefix_tokens), "must be >= 1 when num_groups > 0");
        if (p.pick != "uniform" && p.pick != "zipf")
            err("prefix.pick", fmt::format("\"{}\"", p.pick), "must be one of uniform, zipf");
        if (!(p.zipf_skew >= 0) || !std::isfinite(p.zipf_skew))
            err("prefix.zipf_skew", fmt_double(p.zipf_skew), "must be >= 0");
    }

    const SessionOptions& s = session;
    append(s.turns.validate(prefix + "session.turns"));
    if (s.turns.kind == "empirical")
        err("session.turns.kind", "\"empirical\"", "turn counts cannot come from a trace");
    if (!(s.think_time_mean_s > 0) || !std::isfinite(s.think_time_mean_s))
        err("session.think_time_mean_s", fmt_double(s.think_time_mean_s), "must be > 0 s");
    if (!s.followup_input.kind.empty()) append(s.followup_input.validate(prefix + "session.followup_input"));
    if (s.max_input_tokens < 0)
        err("session.max_input_tokens", std::to_string(s.max_input_tokens), "must be >= 0 (0 = no limit)");

    if (!std::isfinite(duration_s)) err("duration_s", fmt_double(duration_s), "must be finite");
    if (num_requests != -1 && num_requests < 1)
        err("num_requests", std::to_string(num_requests), "must be >= 1, or -1 for no limit");
    if (!(duration_s > 0) && num_requests < 1 && a.schedule.empty())
        err("duration_s", fmt_double(duration_s),
            "set duration_s > 0 or num_requests >= 1, or generation never ends");
    if (hash_block_tokens < 1) err("hash_block_tokens", std::to_string(hash_block_tokens), "must be >= 1");
    return errs;
}

Workload generate(const GeneratorOptions& opts, std::uint64_t seed) {
    if (auto errs = opts.validate(); !errs.empty()) {
        std::string msg = "invalid workload generator options:";
        for (const auto& e : errs) msg += "\n  " + e;
        throw core::InputError(msg);
    }
    const core::Rng base(seed);
    core::Rng arrival_rng = base.fork(kStreamArrivals);
    core::Rng length_rng = base.fork(kStreamLengths);
    core::Rng group_rng = base.fork(kStreamGroups);
    core::Rng session_rng = base.fork(kStreamSessions);
    const std::uint64_t group_salt = core::hash_combine(kSaltGroup, seed);
    const std::uint64_t session_salt = core::hash_combine(kSaltSession, seed);

    // Lengths.
    EmpiricalTraces traces;
    const LengthSampler input = make_sampler(opts.input, false, traces);
    const LengthSampler output = make_sampler(opts.output, true, traces);
    const bool joint = opts.input.kind == "empirical" && opts.output.kind == "empirical" &&
                       opts.input.path == opts.output.path && opts.input.format == opts.output.format;
    const bool sessions = sessions_enabled(opts.session);
    const LengthSampler turns(opts.session.turns);
    const bool followup_own = !opts.session.followup_input.kind.empty();
    const LengthSampler followup =
        followup_own ? make_sampler(opts.session.followup_input, false, traces) : LengthSampler();
    auto draw_lengths = [&]() -> std::pair<std::int64_t, std::int64_t> {
        if (joint) {
            const std::size_t i = length_rng.below(input.empirical_size());
            return {input.empirical_at(i), output.empirical_at(i)};
        }
        const std::int64_t in = input.sample(length_rng);
        return {in, output.sample(length_rng)};
    };

    // Group choice: cumulative weights 1 / (g + 1)^s (s = 0 for uniform).
    const std::int32_t num_groups = opts.prefix.num_groups;
    std::vector<double> group_cdf;
    if (num_groups > 0) {
        const double s = opts.prefix.pick == "zipf" ? opts.prefix.zipf_skew : 0.0;
        double total = 0;
        for (std::int32_t g = 0; g < num_groups; ++g) {
            total += std::pow(static_cast<double>(g) + 1.0, -s);
            group_cdf.push_back(total);
        }
    }
    const std::int32_t B = opts.hash_block_tokens;
    const std::int32_t prefix_tokens = num_groups > 0 ? opts.prefix.prefix_tokens : 0;
    const std::int64_t group_blocks = prefix_tokens / B;  // only whole blocks are pure prefix content

    // Arrivals of requests (with sessions: of first turns).
    const auto& sched = opts.arrival.schedule;
    const RateSchedule schedule = sched.empty() ? RateSchedule::constant(opts.arrival.rate)
                                                : RateSchedule(sched, sched.back().rate_end);
    const double inf = std::numeric_limits<double>::infinity();
    double horizon = opts.duration_s > 0 ? opts.duration_s : inf;
    if (!(opts.duration_s > 0) && opts.num_requests < 1 && !sched.empty()) horizon = schedule.duration();
    GapSampler gaps;
    if (opts.arrival.process == "gamma") gaps = GapSampler(GapShape::Gamma, opts.arrival.cv);
    if (opts.arrival.process == "weibull") gaps = GapSampler(GapShape::Weibull, opts.arrival.cv);
    const std::vector<double> starts =
        arrival_times(schedule, {gaps}, horizon, opts.num_requests, arrival_rng);

    Workload w;
    w.source = fmt::format("generator:{}", opts.arrival.process);
    w.requests.reserve(starts.size());
    constexpr std::int64_t kMaxTokens = std::numeric_limits<std::int32_t>::max();
    for (std::size_t j = 0; j < starts.size(); ++j) {
        std::int32_t group = -1;
        if (num_groups > 0) {
            const double u = group_rng.uniform() * group_cdf.back();
            const auto it = std::upper_bound(group_cdf.begin(), group_cdf.end(), u);
            group =
                static_cast<std::int32_t>(std::min<std::ptrdiff_t>(it - group_cdf.begin(), num_groups - 1));
        }
        const std::int32_t n_turns = sessions ? turns.sample(session_rng) : 1;
        // Content hash of block p of this session: the group's while inside its prefix, else the session's.
        const std::uint64_t own = core::hash_combine(session_salt, j);
        const std::uint64_t grp = core::hash_combine(group_salt, static_cast<std::uint64_t>(group + 1));
        double t = starts[j];
        std::int64_t prompt = 0, out = 0;
        for (std::int32_t k = 0; k < n_turns; ++k) {
            auto [in_len, out_len] = draw_lengths();
            if (k == 0) {
                prompt = prefix_tokens + in_len;
            } else {
                t += session_rng.exponential(opts.session.think_time_mean_s);
                if (!(t < horizon)) break;
                const std::int64_t added = followup_own ? followup.sample(length_rng) : in_len;
                // The next prompt is the whole conversation so far plus the new user message.
                prompt = prompt + out + added;
                if (opts.session.max_input_tokens > 0 && prompt > opts.session.max_input_tokens) break;
            }
            out = out_len;
            if (prompt + out > kMaxTokens) break;
            Request r;
            r.arrival_ns = core::seconds_to_ns(t);
            r.input_tokens = static_cast<std::int32_t>(prompt);
            r.output_tokens = static_cast<std::int32_t>(out);
            r.session_id = sessions ? static_cast<std::int64_t>(j) : -1;
            r.hash_block_tokens = B;
            // Sessions list the output's blocks too: the next turn's prompt contains them.
            const std::int64_t covered = sessions ? prompt + out : prompt;
            const std::int64_t nb = covered / B;
            r.hashed_tokens = static_cast<std::int32_t>(covered);
            r.block_hashes.reserve(static_cast<std::size_t>(nb));
            for (std::int64_t p = 0; p < nb; ++p) {
                const std::uint64_t stream = (group >= 0 && p < group_blocks) ? grp : own;
                r.block_hashes.push_back(core::hash_combine(stream, static_cast<std::uint64_t>(p)));
            }
            w.requests.push_back(std::move(r));
        }
    }
    finalize(w);
    if (opts.num_requests > 0 && static_cast<std::int64_t>(w.requests.size()) > opts.num_requests)
        w.requests.resize(static_cast<std::size_t>(opts.num_requests));
    return w;
}

}  // namespace dynosim::sim::workload
