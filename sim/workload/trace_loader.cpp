// Trace loaders (see trace_loader.hpp). Every malformed line is reported as
// `<file>:<line>: field '<name>': <what is wrong>` so a user can open the file at the right place.
#include "sim/workload/trace_loader.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include "sim/core/errors.hpp"

namespace dynosim::sim::workload {

namespace fs = std::filesystem;
using core::InputError;

namespace {

constexpr std::int64_t kMaxTokens = std::numeric_limits<std::int32_t>::max();

// Where a line came from, for error messages.
struct LineCtx {
    const fs::path* path;
    std::uint64_t line;
};

[[noreturn]] void field_error(const LineCtx& c, std::string_view field, const std::string& what) {
    throw InputError(fmt::format("{}:{}: field '{}': {}", c.path->string(), c.line, field, what));
}

[[noreturn]] void line_error(const LineCtx& c, const std::string& what) {
    throw InputError(fmt::format("{}:{}: {}", c.path->string(), c.line, what));
}

void require_file(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw InputError(fmt::format("{}: trace file not found", path.string()));
    if (fs::is_directory(path, ec))
        throw InputError(fmt::format("{}: is a directory, expected a trace file", path.string()));
}

std::string read_whole_file(const fs::path& path) {
    require_file(path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot open trace file", path.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Calls fn(line_number, line_text) for every line (1-based, '\r' and surrounding blanks stripped),
// including blank ones so line numbers stay those of the file.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
    std::uint64_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
        const std::size_t end =
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
        ++line_no;
        fn(line_no, trim(text.substr(pos, end - pos)));
        pos = end + 1;
    }
}

// Runs parse() for one line; under skip_bad_lines a malformed line is counted instead of thrown.
template <typename Parse>
void guarded(const LoadOptions& opts, Workload& w, Parse&& parse) {
    if (!opts.skip_bad_lines) {
        parse();
        return;
    }
    try {
        parse();
    } catch (const InputError&) {
        ++w.skipped_lines;
    }
}

// --- Mooncake JSONL -------------------------------------------------------------------------------

const char* json_type_name(simdjson::ondemand::json_type t) {
    using simdjson::ondemand::json_type;
    switch (t) {
        case json_type::array:
            return "an array";
        case json_type::object:
            return "an object";
        case json_type::number:
            return "a number";
        case json_type::string:
            return "a string";
        case json_type::boolean:
            return "a boolean";
        case json_type::null:
            return "null";
    }
    return "an unknown value";
}

// What a value looks like, for "got ..." in messages: scalars verbatim, containers by kind.
std::string describe(simdjson::ondemand::value& v) {
    simdjson::ondemand::json_type t;
    if (v.type().get(t)) return "an invalid value";
    if (t == simdjson::ondemand::json_type::array || t == simdjson::ondemand::json_type::object)
        return json_type_name(t);
    std::string_view raw = trim(v.raw_json_token());
    if (raw.size() > 40) return std::string(raw.substr(0, 40)) + "...";
    return std::string(raw);
}

// A JSON number that is an integer (also written as 12.0). Returns nullopt with `why` set otherwise.
std::optional<std::int64_t> json_integer(simdjson::ondemand::value& v, std::string& why) {
    using namespace simdjson::ondemand;
    json_type t;
    if (v.type().get(t) || t != json_type::number) {
        why = "expected an integer, got " + describe(v);
        return std::nullopt;
    }
    number_type nt;
    if (v.get_number_type().get(nt)) {
        why = "not a valid number: " + describe(v);
        return std::nullopt;
    }
    if (nt == number_type::signed_integer) {
        std::int64_t x;
        if (!v.get_int64().get(x)) return x;
    } else if (nt == number_type::floating_point_number) {
        double d;
        if (!v.get_double().get(d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
            return static_cast<std::int64_t>(d);
        why = "expected an integer, got " + describe(v);
        return std::nullopt;
    }
    why = "integer out of range: " + describe(v);
    return std::nullopt;
}

std::int32_t token_count(const LineCtx& c, std::string_view field, simdjson::ondemand::value& v) {
    std::string why;
    const auto x = json_integer(v, why);
    if (!x) field_error(c, field, why);
    if (*x < 1) field_error(c, field, fmt::format("must be >= 1, got {}", *x));
    if (*x > kMaxTokens) field_error(c, field, fmt::format("must be <= {}, got {}", kMaxTokens, *x));
    return static_cast<std::int32_t>(*x);
}

TimeNs timestamp_ms(const LineCtx& c, simdjson::ondemand::value& v) {
    using namespace simdjson::ondemand;
    json_type t;
    if (v.type().get(t) || t != json_type::number)
        field_error(c, "timestamp", "expected a number (ms), got " + describe(v));
    number_type nt;
    if (v.get_number_type().get(nt)) field_error(c, "timestamp", "not a valid number: " + describe(v));
    if (nt == number_type::signed_integer) {
        std::int64_t ms = 0;
        if (v.get_int64().get(ms)) field_error(c, "timestamp", "not a valid number: " + describe(v));
        if (ms < 0) field_error(c, "timestamp", fmt::format("must be >= 0, got {}", ms));
        if (ms > core::kTimeMax / core::kNsPerMs) field_error(c, "timestamp", "too large");
        return ms * core::kNsPerMs;  // integer ms: exact
    }
    double ms = 0;
    if (v.get_double().get(ms) || !std::isfinite(ms))
        field_error(c, "timestamp", "not a valid number: " + describe(v));
    if (ms < 0) field_error(c, "timestamp", fmt::format("must be >= 0, got {}", ms));
    if (ms > 9.0e12) field_error(c, "timestamp", "too large");
    return static_cast<TimeNs>(std::llround(ms * 1e6));
}

void hash_ids(const LineCtx& c, simdjson::ondemand::value& v, std::vector<std::uint64_t>& out) {
    using namespace simdjson::ondemand;
    array arr;
    if (v.get_array().get(arr))
        field_error(c, "hash_ids", "expected an array of integers, got " + describe(v));
    std::size_t i = 0;
    for (auto el : arr) {
        value ev;
        if (std::move(el).get(ev)) field_error(c, "hash_ids", fmt::format("element {}: invalid JSON", i));
        std::string why;
        const auto x = json_integer(ev, why);
        if (!x) field_error(c, "hash_ids", fmt::format("element {}: {}", i, why));
        if (*x < 0) field_error(c, "hash_ids", fmt::format("element {}: must be >= 0, got {}", i, *x));
        out.push_back(static_cast<std::uint64_t>(*x));
        ++i;
    }
}

Request parse_mooncake_line(simdjson::ondemand::parser& parser, const LineCtx& c, const char* p,
                            std::size_t len, std::size_t capacity, std::int32_t block_tokens) {
    using namespace simdjson::ondemand;
    auto bad_json = [&](simdjson::error_code e) {
        line_error(c, fmt::format("invalid JSON: {}", simdjson::error_message(e)));
    };
    document doc;
    if (auto e = parser.iterate(simdjson::padded_string_view(p, len, capacity)).get(doc)) bad_json(e);
    object obj;
    if (auto e = doc.get_object().get(obj)) {
        if (e == simdjson::INCORRECT_TYPE) line_error(c, "invalid JSON: expected one object per line");
        bad_json(e);
    }
    Request r;
    r.hash_block_tokens = block_tokens;
    bool has_ts = false, has_in = false, has_out = false;
    for (auto fr : obj) {
        field f;
        if (auto e = std::move(fr).get(f)) bad_json(e);
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) bad_json(e);
        value v = f.value();
        if (key == "timestamp") {
            r.arrival_ns = timestamp_ms(c, v);
            has_ts = true;
        } else if (key == "input_length") {
            r.input_tokens = token_count(c, key, v);
            has_in = true;
        } else if (key == "output_length") {
            r.output_tokens = token_count(c, key, v);
            has_out = true;
        } else if (key == "hash_ids") {
            r.block_hashes.clear();
            hash_ids(c, v, r.block_hashes);
        } else if (key == "session_id" || key == "chat_id") {
            // Optional conversation id: used when it is an integer, otherwise ignored like any extra key.
            std::int64_t sid;
            if (!v.get_int64().get(sid) && sid >= 0) r.session_id = sid;
        }
        // Any other key is skipped by the object iterator.
    }
    if (!has_ts) field_error(c, "timestamp", "missing");
    if (!has_in) field_error(c, "input_length", "missing");
    if (!has_out) field_error(c, "output_length", "missing");
    return r;
}

// --- Azure / Vidur CSV ---------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool parse_fixed_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// `YYYY-MM-DD HH:MM:SS[.fraction]` (or 'T' between date and time) to ns since the Unix epoch, exactly:
// fraction digits past the 9th (sub-ns) are dropped.
std::optional<TimeNs> parse_wall_clock(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    if (!parse_fixed_digits(s, 0, 4, y) || !parse_fixed_digits(s, 5, 2, mo) ||
        !parse_fixed_digits(s, 8, 2, d) || !parse_fixed_digits(s, 11, 2, h) ||
        !parse_fixed_digits(s, 14, 2, mi) || !parse_fixed_digits(s, 17, 2, sec))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    TimeNs frac = 0;
    if (s.size() > 19) {
        if (s[19] != '.' || s.size() == 20) return std::nullopt;
        TimeNs scale = 100'000'000;
        for (std::size_t i = 20; i < s.size(); ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 24 + h) * 60 + mi) * 60 * core::kNsPerSec + sec * core::kNsPerSec + frac;
}

std::string_view unquote(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

void split_csv(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = line.find(',', start);
        if (comma == std::string_view::npos) {
            out.push_back(unquote(line.substr(start)));
            return;
        }
        out.push_back(unquote(line.substr(start, comma - start)));
        start = comma + 1;
    }
}

std::int32_t csv_tokens(const LineCtx& c, std::string_view field, std::string_view s) {
    std::int64_t x = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
        // Integral values written as floats ("12.0") are accepted.
        double d = 0;
        auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (s.empty() || ec2 != std::errc() || p2 != s.data() + s.size() || !std::isfinite(d) ||
            d != std::floor(d) || std::fabs(d) > 9.0e18)
            field_error(c, field, fmt::format("expected an integer, got '{}'", s));
        x = static_cast<std::int64_t>(d);
    }
    if (x < 1) field_error(c, field, fmt::format("must be >= 1, got {}", x));
    if (x > kMaxTokens) field_error(c, field, fmt::format("must be <= {}, got {}", kMaxTokens, x));
    return static_cast<std::int32_t>(x);
}

}  // namespace

std::vector<std::string> LoadOptions::validate(const std::string& prefix) const {
    std::vector<std::string> errs;
    if (format != "auto" && format != "mooncake" && format != "azure")
        errs.push_back(
            fmt::format("{}format = \"{}\": must be one of auto, mooncake, azure", prefix, format));
    if (trace_block_tokens < 1)
        errs.push_back(fmt::format("{}trace_block_tokens = {}: must be >= 1", prefix, trace_block_tokens));
    return errs;
}

Workload load_mooncake_jsonl(const fs::path& path, const LoadOptions& opts) {
    if (opts.trace_block_tokens < 1)
        throw InputError(fmt::format("trace_block_tokens = {}: must be >= 1", opts.trace_block_tokens));
    require_file(path);
    simdjson::padded_string text;
    if (auto e = simdjson::padded_string::load(path.string()).get(text))
        throw InputError(
            fmt::format("{}: cannot read trace file ({})", path.string(), simdjson::error_message(e)));
    const std::string_view all(text.data(), text.size());
    Workload w;
    w.source = path.string();
    // One request per line: count newlines to allocate once.
    w.requests.reserve(static_cast<std::size_t>(std::count(all.begin(), all.end(), '\n')) + 1);
    simdjson::ondemand::parser parser;
    const std::size_t capacity_end = text.size() + simdjson::SIMDJSON_PADDING;
    for_each_line(all, [&](std::uint64_t line_no, std::string_view line) {
        if (line.empty()) return;
        const LineCtx c{&path, line_no};
        // The line lies inside one padded buffer, so the bytes after it serve as its padding.
        const std::size_t offset = static_cast<std::size_t>(line.data() - text.data());
        guarded(opts, w, [&] {
            w.requests.push_back(parse_mooncake_line(parser, c, line.data(), line.size(),
                                                     capacity_end - offset, opts.trace_block_tokens));
        });
    });
    finalize(w);
    return w;
}

Workload load_azure_csv(const fs::path& path, const LoadOptions& opts) {
    const std::string text = read_whole_file(path);
    Workload w;
    w.source = path.string();
    w.requests.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);

    enum class Kind { None, Azure, Vidur } kind = Kind::None;
    std::array<std::size_t, 3> col{};         // time, input, output column indices
    std::array<std::string_view, 3> names{};  // their header names, for messages
    std::size_t ncols_needed = 0;
    std::vector<std::string_view> cells;

    for_each_line(text, [&](std::uint64_t line_no, std::string_view line) {
        if (line.empty()) return;
        const LineCtx c{&path, line_no};
        split_csv(line, cells);
        if (kind == Kind::None) {
            auto find = [&](std::string_view name) -> std::optional<std::size_t> {
                for (std::size_t i = 0; i < cells.size(); ++i)
                    if (iequals(cells[i], name)) return i;
                return std::nullopt;
            };
            const auto az = std::array{find("TIMESTAMP"), find("ContextTokens"), find("GeneratedTokens")};
            const auto vi =
                std::array{find("arrived_at"), find("num_prefill_tokens"), find("num_decode_tokens")};
            if (az[0] && az[1] && az[2]) {
                kind = Kind::Azure;
                col = {*az[0], *az[1], *az[2]};
                names = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
            } else if (vi[0] && vi[1] && vi[2]) {
                kind = Kind::Vidur;
                col = {*vi[0], *vi[1], *vi[2]};
                names = {"arrived_at", "num_prefill_tokens", "num_decode_tokens"};
            } else {
                line_error(c,
                           fmt::format("unrecognized CSV header '{}' (expected TIMESTAMP,ContextTokens,"
                                       "GeneratedTokens or arrived_at,num_prefill_tokens,num_decode_tokens)",
                                       line));
            }
            ncols_needed = std::max({col[0], col[1], col[2]}) + 1;
            return;
        }
        guarded(opts, w, [&] {
            if (cells.size() < ncols_needed) {
                for (std::size_t k = 0; k < 3; ++k)
                    if (col[k] >= cells.size())
                        field_error(c, names[k], fmt::format("missing (row has {} columns)", cells.size()));
            }
            Request r;
            TimeNs t = 0;
            const std::string_view ts = cells[col[0]];
            if (kind == Kind::Azure) {
                const auto parsed = parse_wall_clock(ts);
                if (!parsed)
                    field_error(
                        c, names[0],
                        fmt::format("expected a time like 2023-11-16 18:17:03.9799600, got '{}'", ts));
                t = *parsed;
            } else {
                double s = 0;
                auto [ptr, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), s);
                if (ts.empty() || ec != std::errc() || ptr != ts.data() + ts.size() || !std::isfinite(s))
                    field_error(c, names[0], fmt::format("expected a number of seconds, got '{}'", ts));
                if (s < 0) field_error(c, names[0], fmt::format("must be >= 0, got {}", ts));
                if (s > 9.0e9) field_error(c, names[0], fmt::format("too large: {}", ts));
                t = core::seconds_to_ns(s);
            }
            r.input_tokens = csv_tokens(c, names[1], cells[col[1]]);
            r.output_tokens = csv_tokens(c, names[2], cells[col[2]]);
            r.arrival_ns = t;
            w.requests.push_back(std::move(r));
        });
    });
    if (kind == Kind::None)
        throw InputError(fmt::format("{}: empty trace file (no CSV header)", path.string()));
    if (kind == Kind::Azure && !w.requests.empty()) {
        // Wall clock -> relative to the earliest request (the first row in the published traces).
        TimeNs t0 = w.requests.front().arrival_ns;
        for (const Request& r : w.requests) t0 = std::min(t0, r.arrival_ns);
        for (Request& r : w.requests) r.arrival_ns -= t0;
    }
    finalize(w);
    return w;
}

std::string detect_trace_format(const fs::path& path, const std::string& format) {
    if (format == "mooncake" || format == "azure") return format;
    if (format != "auto")
        throw InputError(fmt::format("unknown trace format '{}' (expected auto, mooncake, azure)", format));
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (ext == ".jsonl" || ext == ".json") return "mooncake";
    if (ext == ".csv") return "azure";
    require_file(path);
    std::ifstream in(path, std::ios::binary);
    char ch = 0;
    while (in.get(ch))
        if (!std::isspace(static_cast<unsigned char>(ch))) break;
    return ch == '{' ? "mooncake" : "azure";
}

Workload load_trace(const fs::path& path, const LoadOptions& opts) {
    const std::string fmt_name = detect_trace_format(path, opts.format);
    return fmt_name == "mooncake" ? load_mooncake_jsonl(path, opts) : load_azure_csv(path, opts);
}

}  // namespace dynosim::sim::workload
