#include "sim/scenario/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace dynosim::sim::scenario {

namespace {

std::string join_lines(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
    return out;
}

std::string describe(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a bool";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date/time";
    }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string_view last_part(std::string_view k) {
    const auto dot = k.rfind('.');
    return dot == std::string_view::npos ? k : k.substr(dot + 1);
}

}  // namespace

ConfigError::ConfigError(const std::vector<std::string>& problems)
    : core::InputError(join_lines(problems)), problems_(problems) {}

std::string did_you_mean(std::string_view key, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_d = SIZE_MAX;
    for (const auto& k : known) {
        std::size_t d = edit_distance(key, k);
        // The same final name under another table ("max_num_seqs" put under [fleet]) is a strong hint.
        if (last_part(k) == last_part(key)) d = std::min<std::size_t>(d, 1);
        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
    return best_d <= limit ? best : std::string();
}

std::optional<std::string> read_value(const toml::node& n, std::int64_t& out) {
    if (auto v = n.value_exact<std::int64_t>()) {
        out = *v;
        return std::nullopt;
    }
    return "expected an integer, got " + describe(n);
}
std::optional<std::string> read_value(const toml::node& n, std::int32_t& out) {
    std::int64_t v = 0;
    if (auto e = read_value(n, v)) return e;
    if (v < INT32_MIN || v > INT32_MAX) return fmt::format("{} does not fit a 32-bit integer", v);
    out = static_cast<std::int32_t>(v);
    return std::nullopt;
}
std::optional<std::string> read_value(const toml::node& n, double& out) {
    if (auto v = n.value_exact<double>()) out = *v;
    else if (auto i = n.value_exact<std::int64_t>()) out = static_cast<double>(*i);
    else return "expected a number, got " + describe(n);
    return std::nullopt;
}
std::optional<std::string> read_value(const toml::node& n, bool& out) {
    if (auto v = n.value_exact<bool>()) {
        out = *v;
        return std::nullopt;
    }
    return "expected true or false, got " + describe(n);
}
std::optional<std::string> read_value(const toml::node& n, std::string& out) {
    if (auto v = n.value_exact<std::string>()) {
        out = *v;
        return std::nullopt;
    }
    return "expected a string, got " + describe(n);
}
std::optional<std::string> read_value(const toml::node& n, std::vector<double>& out) {
    const toml::array* a = n.as_array();
    if (!a) return "expected an array of numbers, got " + describe(n);
    std::vector<double> v;
    for (const auto& e : *a) {
        double d = 0;
        if (auto err = read_value(e, d)) return "array element: " + *err;
        v.push_back(d);
    }
    out = std::move(v);
    return std::nullopt;
}
std::optional<std::string> read_value(const toml::node& n, std::vector<std::string>& out) {
    const toml::array* a = n.as_array();
    if (!a) return "expected an array of strings, got " + describe(n);
    std::vector<std::string> v;
    for (const auto& e : *a) {
        std::string s;
        if (auto err = read_value(e, s)) return "array element: " + *err;
        v.push_back(std::move(s));
    }
    out = std::move(v);
    return std::nullopt;
}

std::optional<std::string> scalar_text(const toml::node& n, std::string& out) {
    if (auto s = n.value_exact<std::string>()) out = *s;
    else if (auto i = n.value_exact<std::int64_t>()) out = std::to_string(*i);
    else if (auto d = n.value_exact<double>()) out = fmt::format("{}", *d);
    else if (auto b = n.value_exact<bool>()) out = *b ? "true" : "false";
    else return "expected a string, number or bool, got " + describe(n);
    return std::nullopt;
}

std::string show_value(std::int32_t v) { return std::to_string(v); }
std::string show_value(std::int64_t v) { return std::to_string(v); }
std::string show_value(double v) { return fmt::format("{}", v); }
std::string show_value(bool v) { return v ? "true" : "false"; }
std::string show_value(const std::string& v) { return "\"" + v + "\""; }
std::string show_value(const std::vector<double>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }
std::string show_value(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    return out + "]";
}

struct ParsedConfig::Impl {
    toml::table root;
    std::map<const toml::node*, std::string> override_where;
};

ParsedConfig::ParsedConfig(const std::string& text, const std::string& source_name,
                           const std::vector<std::string>& overrides)
    : impl_(new Impl) {
    try {
        impl_->root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        delete impl_;
        impl_ = nullptr;
        throw ConfigError({fmt::format("{}:{}:{}: {}", source_name, e.source().begin.line, e.source().begin.column,
                                       e.description())});
    }
    std::vector<std::string> problems;
    for (const std::string& ov : overrides) {
        const auto eq = ov.find('=');
        if (eq == std::string::npos || eq == 0) {
            problems.push_back(fmt::format("--set {}: expected key=value", ov));
            continue;
        }
        const std::string key = ov.substr(0, eq);
        const std::string value = ov.substr(eq + 1);
        toml::table tmp;
        try {
            tmp = toml::parse("v = " + value);
        } catch (const toml::parse_error&) {
            tmp = toml::table{};
            tmp.insert("v", value);  // a bare word is a string: --set router.policy=random
        }
        // Walk/create the tables of the dotted key.
        toml::table* t = &impl_->root;
        std::string_view rest = key;
        bool bad = false;
        while (true) {
            const auto dot = rest.find('.');
            if (dot == std::string_view::npos) break;
            const std::string part(rest.substr(0, dot));
            rest.remove_prefix(dot + 1);
            auto [it, inserted] = t->insert(part, toml::table{});
            (void)inserted;
            t = it->second.as_table();
            if (!t) {
                problems.push_back(fmt::format("--set {}: '{}' is not a table", ov, part));
                bad = true;
                break;
            }
        }
        if (bad) continue;
        const std::string leaf(rest);
        t->insert_or_assign(leaf, std::move(*tmp.get("v")));
        impl_->override_where[t->get(leaf)] = "--set " + ov;
    }
    if (!problems.empty()) {
        delete impl_;
        impl_ = nullptr;
        throw ConfigError(problems);
    }
    // Flatten to leaves in document order of keys (toml++ tables are ordered maps: sorted keys).
    std::function<void(const toml::table&, const std::string&)> walk = [&](const toml::table& tbl,
                                                                          const std::string& prefix) {
        for (const auto& [k, v] : tbl) {
            const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
            if (const toml::table* sub = v.as_table()) {
                walk(*sub, key);
                continue;
            }
            std::string where;
            if (auto it = impl_->override_where.find(&v); it != impl_->override_where.end()) where = it->second;
            else where = fmt::format("{}:{}", source_name, v.source().begin.line);
            leaves_.push_back({key, &v, where});
        }
    };
    walk(impl_->root, "");
}

ParsedConfig::~ParsedConfig() { delete impl_; }

std::string read_text_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw core::InputError(fmt::format("{}: cannot open file", p.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace dynosim::sim::scenario
