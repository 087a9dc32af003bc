// Config binding: every key a scenario file accepts is declared once, with its type, its meaning and a
// reference into the options struct that holds its default. Loading a TOML file checks each key against
// that list (unknown key -> error with file:line and a did-you-mean), type-checks values, and writes them
// into the options; `dynosim config defaults` prints the same list.
#pragma once
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/errors.hpp"

namespace toml {
inline namespace v3 {
class node;
}
}  // namespace toml

namespace dynosim::sim::scenario {

// Bad config: every problem found, one per line, each naming file:line and key.
class ConfigError : public core::InputError {
public:
    explicit ConfigError(const std::vector<std::string>& problems);
    const std::vector<std::string>& problems() const { return problems_; }

private:
    std::vector<std::string> problems_;
};

// One accepted key. `set` returns an error text ("expected an integer, got a string") or nullopt.
template <class Options>
struct Binding {
    std::string key;
    std::string type;  // "integer", "float", "bool", "string", ...
    std::string doc;
    std::function<std::string(const Options&)> show;
    std::function<std::optional<std::string>(Options&, const toml::node&)> set;
    // Optional: the key also takes a table whose entries are handed over one by one ("key.name = value"
    // leaves: `[router.plugin_params]` with `cap = 4` arrives as ("cap", 4)).
    std::function<std::optional<std::string>(Options&, const std::string&, const toml::node&)> set_entry;
};

// Where each key's value came from ("file:line"), for later validation messages.
using SourceMap = std::map<std::string, std::string>;


std::optional<std::string> read_value(const toml::node& n, std::int32_t& out);
std::optional<std::string> read_value(const toml::node& n, std::int64_t& out);
std::optional<std::string> read_value(const toml::node& n, double& out);
std::optional<std::string> read_value(const toml::node& n, bool& out);
std::optional<std::string> read_value(const toml::node& n, std::string& out);
std::optional<std::string> read_value(const toml::node& n, std::vector<double>& out);
std::optional<std::string> read_value(const toml::node& n, std::vector<std::string>& out);
std::string show_value(std::int32_t v);
std::string show_value(std::int64_t v);
std::string show_value(double v);
std::string show_value(bool v);
std::string show_value(const std::string& v);
std::string show_value(const std::vector<double>& v);
std::string show_value(const std::vector<std::string>& v);
template <class T>
std::string type_name_of() {
    if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_integral_v<T>) return "integer";
    else if constexpr (std::is_floating_point_v<T>) return "float";
    else if constexpr (std::is_same_v<T, std::string>) return "string";
    else if constexpr (std::is_same_v<T, std::vector<double>>) return "array of floats";
    else return "array of strings";
}

template <class Options, class T, class Field>
Binding<Options> bind_key(std::string key, Field field, std::string doc) {
    Binding<Options> b;
    b.key = std::move(key);
    b.type = type_name_of<T>();
    b.doc = std::move(doc);
    b.show = [field](const Options& o) { return show_value(static_cast<const T&>(field(const_cast<Options&>(o)))); };
    b.set = [field](Options& o, const toml::node& n) { return read_value(n, static_cast<T&>(field(o))); };
    return b;
}

// A scalar TOML value (string, integer, float, bool) as plain text: "4", "0.5", "true", "lfu".
std::optional<std::string> scalar_text(const toml::node& n, std::string& out);

// Parameters handed to a plugin: either an array of "key=value" strings or a table (`[router.plugin_params]`
// with `cap = 4`), whose entries are appended as "key=value".
template <class Options, class Field>
Binding<Options> bind_params_key(std::string key, Field field, std::string doc) {
    Binding<Options> b = bind_key<Options, std::vector<std::string>>(std::move(key), field, std::move(doc));
    b.type = "table or array of strings";
    b.set_entry = [field](Options& o, const std::string& name, const toml::node& n) -> std::optional<std::string> {
        std::string text;
        if (auto err = scalar_text(n, text)) return err;
        static_cast<std::vector<std::string>&>(field(o)).push_back(name + "=" + text);
        return std::nullopt;
    };
    return b;
}

// Closest known key by edit distance, or "" when nothing is close.
std::string did_you_mean(std::string_view key, const std::vector<std::string>& known);

// Parses TOML text (from `source_name`, a path or "<builtin>"), applies `overrides` ("key=value", value
// in TOML syntax or a bare string), and writes every key into `opts` through `bindings`. Throws
// ConfigError listing all problems. Returns where each key was set.
template <class Options>
SourceMap apply_config(const std::string& text, const std::string& source_name,
                       const std::vector<std::string>& overrides, const std::vector<Binding<Options>>& bindings,
                       Options& opts);

// The non-template core of apply_config: visits every leaf as (key, node, "file:line").
struct Leaf {
    std::string key;
    const toml::node* node;
    std::string where;
};
class ParsedConfig {
public:
    ParsedConfig(const std::string& text, const std::string& source_name, const std::vector<std::string>& overrides);
    ~ParsedConfig();
    ParsedConfig(const ParsedConfig&) = delete;
    ParsedConfig& operator=(const ParsedConfig&) = delete;
    const std::vector<Leaf>& leaves() const { return leaves_; }

private:
    struct Impl;
    Impl* impl_;
    std::vector<Leaf> leaves_;
};

template <class Options>
SourceMap apply_config(const std::string& text, const std::string& source_name,
                       const std::vector<std::string>& overrides, const std::vector<Binding<Options>>& bindings,
                       Options& opts) {
    ParsedConfig parsed(text, source_name, overrides);
    std::vector<std::string> problems, known;
    known.reserve(bindings.size());
    for (const auto& b : bindings) known.push_back(b.key);
    SourceMap where;
    for (const Leaf& leaf : parsed.leaves()) {
        const Binding<Options>* match = nullptr;
        for (const auto& b : bindings)
            if (b.key == leaf.key) match = &b;
        if (!match)
            for (const auto& b : bindings)
                if (b.set_entry && leaf.key.size() > b.key.size() + 1 && leaf.key.starts_with(b.key) &&
                    leaf.key[b.key.size()] == '.') {
                    if (auto err = b.set_entry(opts, leaf.key.substr(b.key.size() + 1), *leaf.node))
                        problems.push_back(leaf.where + ": " + leaf.key + ": " + *err);
                    else where.emplace(b.key, leaf.where);
                    match = &b;
                    break;
                }
        if (match && match->set_entry && leaf.key != match->key) continue;
        if (!match) {
            std::string msg = leaf.where + ": unknown key '" + leaf.key + "'";
            if (auto s = did_you_mean(leaf.key, known); !s.empty()) msg += "; did you mean '" + s + "'?";
            problems.push_back(msg);
            continue;
        }
        if (auto err = match->set(opts, *leaf.node)) {
            problems.push_back(leaf.where + ": " + leaf.key + ": " + *err);
            continue;
        }
        where[leaf.key] = leaf.where;
    }
    if (!problems.empty()) throw ConfigError(problems);
    return where;
}

// Reads a whole file; InputError naming it when unreadable.
std::string read_text_file(const std::filesystem::path& p);

}  // namespace dynosim::sim::scenario
