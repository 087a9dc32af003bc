// The [workload] keys: trace replay, synthetic generators (arrivals, lengths, prefix groups, sessions),
// ServeGen multi-client traffic, and replay transforms.
#include <fmt/format.h>

#include <toml++/toml.h>

#include "sim/scenario/scenario.hpp"

namespace dynosim::sim::scenario {

using Opts = ScenarioOptions;
using workload::LengthDistOptions;

namespace {

template <class Field>
Binding<Opts> bind_table(std::string key, Field field, std::string doc) {
    Binding<Opts> b;
    b.key = std::move(key);
    b.type = "table {value = probability}";
    b.doc = std::move(doc);
    b.show = [field](const Opts& o) {
        const auto& t = field(const_cast<Opts&>(o));
        std::string out = "{";
        for (const auto& [v, p] : t) out += fmt::format("{}\"{}\" = {}", out.size() > 1 ? ", " : " ", v, p);
        return out + (t.empty() ? "}" : " }");
    };
    b.set = [field](Opts& o, const toml::node& n) -> std::optional<std::string> {
        const toml::table* t = n.as_table();
        if (!t) return "expected a table of \"value\" = probability";
        std::map<std::int32_t, double> out;
        for (const auto& [k, v] : *t) {
            std::int32_t value = 0;
            try {
                std::size_t used = 0;
                value = std::stoi(std::string(k.str()), &used);
                if (used != k.str().size()) throw std::invalid_argument("trailing");
            } catch (const std::exception&) {
                return fmt::format("key '{}' is not an integer token count", k.str());
            }
            double p = 0;
            if (auto e = read_value(v, p)) return fmt::format("'{}': {}", k.str(), *e);
            out[value] = p;
        }
        field(o) = std::move(out);
        return std::nullopt;
    };
    return b;
}

Binding<Opts> bind_schedule(std::string key, std::string doc) {
    Binding<Opts> b;
    b.key = std::move(key);
    b.type = "array of {duration_s, rate_start, rate_end}";
    b.doc = std::move(doc);
    b.show = [](const Opts& o) {
        std::string out = "[";
        for (const auto& s : o.workload.gen.arrival.schedule)
            out += fmt::format("{}{{ duration_s = {}, rate_start = {}, rate_end = {} }}", out.size() > 1 ? ", " : "",
                               s.duration_s, s.rate_start, s.rate_end);
        return out + "]";
    };
    b.set = [](Opts& o, const toml::node& n) -> std::optional<std::string> {
        const toml::array* a = n.as_array();
        if (!a) return "expected an array of tables {duration_s, rate_start, rate_end}";
        std::vector<workload::RateSegment> segs;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::table* t = (*a)[i].as_table();
            if (!t) return fmt::format("element {}: expected a table {{duration_s, rate_start, rate_end}}", i);
            workload::RateSegment s;
            for (const auto& [k, v] : *t) {
                double* dst = k == "duration_s" ? &s.duration_s
                              : k == "rate_start" ? &s.rate_start
                              : k == "rate_end"   ? &s.rate_end
                                                  : nullptr;
                if (!dst) return fmt::format("element {}: unknown field '{}' (duration_s, rate_start, rate_end)", i, k.str());
                if (auto e = read_value(v, *dst)) return fmt::format("element {}: {}: {}", i, k.str(), *e);
            }
            if (!t->contains("rate_end")) s.rate_end = s.rate_start;
            segs.push_back(s);
        }
        o.workload.gen.arrival.schedule = std::move(segs);
        return std::nullopt;
    };
    return b;
}

// The keys of one length distribution under `prefix` (e.g. workload.generator.input).
template <class Get>
void add_length_bindings(std::vector<Binding<Opts>>& b, const std::string& p, Get get, const std::string& what) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>(p + ".kind", [get](Opts& o) -> auto& { return get(o).kind; },
        what + ": fixed, uniform, lognormal, empirical (lengths of a trace) or table"));
    b.push_back(bind_key<Opts, std::int32_t>(p + ".value", [get](Opts& o) -> auto& { return get(o).value; },
        "fixed: the value"));
    b.push_back(bind_key<Opts, std::int32_t>(p + ".min", [get](Opts& o) -> auto& { return get(o).min; },
        "uniform: smallest value; lognormal: lower clamp"));
    b.push_back(bind_key<Opts, std::int32_t>(p + ".max", [get](Opts& o) -> auto& { return get(o).max; },
        "uniform: largest value; lognormal: upper clamp"));
    b.push_back(bind_key<Opts, double>(p + ".mean", [get](Opts& o) -> auto& { return get(o).mean; },
        "lognormal: mean"));
    b.push_back(bind_key<Opts, double>(p + ".sigma", [get](Opts& o) -> auto& { return get(o).sigma; },
        "lognormal: standard deviation of log(length); 0 = derive from cv"));
    b.push_back(bind_key<Opts, double>(p + ".cv", [get](Opts& o) -> auto& { return get(o).cv; },
        "lognormal: coefficient of variation, used when sigma = 0"));
    b.push_back(bind_key<Opts, std::string>(p + ".path", [get](Opts& o) -> auto& { return get(o).path; },
        "empirical: trace whose lengths are sampled ('data:' = shared data folder)"));
    b.push_back(bind_key<Opts, std::string>(p + ".format", [get](Opts& o) -> auto& { return get(o).format; },
        "empirical: trace format (auto, mooncake, azure)"));
    b.push_back(bind_table(p + ".table", [get](Opts& o) -> auto& { return get(o).table; },
        "table: probability of each value, e.g. { \"128\" = 0.7, \"2048\" = 0.3 }"));
    // clang-format on
}

}  // namespace

void add_workload_bindings(std::vector<Binding<Opts>>& b) {
    // clang-format off
    b.push_back(bind_key<Opts, std::string>("workload.kind", [](Opts& o) -> auto& { return o.workload.kind; },
        "trace (replay workload.path), generator (synthetic, [workload.generator]) or servegen (multi-client "
        "ServeGen statistics in workload.path)"));
    b.push_back(bind_key<Opts, std::string>("workload.path", [](Opts& o) -> auto& { return o.workload.path; },
        "trace file (kind = trace) or ServeGen folder (kind = servegen); 'data:' = shared data folder"));
    b.push_back(bind_key<Opts, std::string>("workload.format", [](Opts& o) -> auto& { return o.workload.load.format; },
        "trace format: auto, mooncake (JSONL) or azure (CSV)"));
    b.push_back(bind_key<Opts, std::int32_t>("workload.trace_block_tokens", [](Opts& o) -> auto& { return o.workload.load.trace_block_tokens; },
        "tokens per entry of the trace's hash_ids (Mooncake: 512)"));
    b.push_back(bind_key<Opts, bool>("workload.skip_bad_lines", [](Opts& o) -> auto& { return o.workload.load.skip_bad_lines; },
        "count and skip malformed trace lines instead of failing"));

    b.push_back(bind_key<Opts, double>("workload.transform.window_start_s", [](Opts& o) -> auto& { return o.workload.transform.window_start_s; },
        "keep arrivals from this time on, seconds (re-based to 0)"));
    b.push_back(bind_key<Opts, double>("workload.transform.window_end_s", [](Opts& o) -> auto& { return o.workload.transform.window_end_s; },
        "keep arrivals before this time, seconds (< 0 = no end)"));
    b.push_back(bind_key<Opts, double>("workload.transform.rate_scale", [](Opts& o) -> auto& { return o.workload.transform.rate_scale; },
        "speed-up factor: arrival times are divided by it"));
    b.push_back(bind_key<Opts, double>("workload.transform.sample_fraction", [](Opts& o) -> auto& { return o.workload.transform.sample_fraction; },
        "keep each request (whole sessions together) with this probability"));
    b.push_back(bind_key<Opts, std::int64_t>("workload.transform.max_requests", [](Opts& o) -> auto& { return o.workload.transform.max_requests; },
        "keep only the first N requests (-1 = all)"));

    b.push_back(bind_key<Opts, double>("workload.generator.duration_s", [](Opts& o) -> auto& { return o.workload.gen.duration_s; },
        "generate arrivals in [0, duration_s) seconds (<= 0: no limit; then num_requests must be set)"));
    b.push_back(bind_key<Opts, std::int64_t>("workload.generator.num_requests", [](Opts& o) -> auto& { return o.workload.gen.num_requests; },
        "keep at most this many requests (-1 = no limit)"));
    b.push_back(bind_key<Opts, std::int32_t>("workload.generator.hash_block_tokens", [](Opts& o) -> auto& { return o.workload.gen.hash_block_tokens; },
        "tokens per prefix hash of generated requests"));
    b.push_back(bind_key<Opts, std::string>("workload.generator.arrival.process", [](Opts& o) -> auto& { return o.workload.gen.arrival.process; },
        "gaps between arrivals: poisson, gamma or weibull"));
    b.push_back(bind_key<Opts, double>("workload.generator.arrival.rate", [](Opts& o) -> auto& { return o.workload.gen.arrival.rate; },
        "mean arrival rate, requests/s (when no schedule)"));
    b.push_back(bind_key<Opts, double>("workload.generator.arrival.cv", [](Opts& o) -> auto& { return o.workload.gen.arrival.cv; },
        "coefficient of variation of gaps for gamma/weibull (1 = Poisson-like, > 1 bursty)"));
    b.push_back(bind_schedule("workload.generator.arrival.schedule",
        "piecewise-linear rate from t = 0, e.g. [{duration_s = 60, rate_start = 1, rate_end = 10}]; replaces rate"));
    // clang-format on
    add_length_bindings(b, "workload.generator.input", [](Opts& o) -> LengthDistOptions& { return o.workload.gen.input; },
                        "prompt tokens after any group prefix");
    add_length_bindings(b, "workload.generator.output", [](Opts& o) -> LengthDistOptions& { return o.workload.gen.output; },
                        "output tokens");
    // clang-format off
    b.push_back(bind_key<Opts, std::int32_t>("workload.generator.prefix.num_groups", [](Opts& o) -> auto& { return o.workload.gen.prefix.num_groups; },
        "shared system prompts (0 = none)"));
    b.push_back(bind_key<Opts, std::int32_t>("workload.generator.prefix.prefix_tokens", [](Opts& o) -> auto& { return o.workload.gen.prefix.prefix_tokens; },
        "tokens of each shared system prompt"));
    b.push_back(bind_key<Opts, std::string>("workload.generator.prefix.pick", [](Opts& o) -> auto& { return o.workload.gen.prefix.pick; },
        "how a request picks its group: uniform or zipf"));
    b.push_back(bind_key<Opts, double>("workload.generator.prefix.zipf_skew", [](Opts& o) -> auto& { return o.workload.gen.prefix.zipf_skew; },
        "zipf exponent (larger: a few groups dominate)"));
    b.push_back(bind_key<Opts, double>("workload.generator.session.think_time_mean_s", [](Opts& o) -> auto& { return o.workload.gen.session.think_time_mean_s; },
        "mean gap between a session's turns, seconds (exponential)"));
    b.push_back(bind_key<Opts, std::int32_t>("workload.generator.session.max_input_tokens", [](Opts& o) -> auto& { return o.workload.gen.session.max_input_tokens; },
        "end a session before a turn whose prompt would exceed this (0 = no limit)"));
    // clang-format on
    add_length_bindings(b, "workload.generator.session.turns",
                        [](Opts& o) -> LengthDistOptions& { return o.workload.gen.session.turns; },
                        "turns per session (fixed 1 = independent requests)");
    add_length_bindings(b, "workload.generator.session.followup_input",
                        [](Opts& o) -> LengthDistOptions& { return o.workload.gen.session.followup_input; },
                        "new user tokens of each later turn (kind \"\" = draw from input)");
    // clang-format off
    b.push_back(bind_key<Opts, double>("workload.servegen.start_s", [](Opts& o) -> auto& { return o.workload.servegen.start_s; },
        "start of the span within ServeGen's 24 h day, seconds"));
    b.push_back(bind_key<Opts, double>("workload.servegen.duration_s", [](Opts& o) -> auto& { return o.workload.servegen.duration_s; },
        "length of the span, seconds"));
    b.push_back(bind_key<Opts, std::int32_t>("workload.servegen.top_clients", [](Opts& o) -> auto& { return o.workload.servegen.top_clients; },
        "keep the N busiest clients in the span (0 = all)"));
    b.push_back(bind_key<Opts, double>("workload.servegen.rate_scale", [](Opts& o) -> auto& { return o.workload.servegen.rate_scale; },
        "multiplies every client's rate"));
    // clang-format on
}

}  // namespace dynosim::sim::scenario
