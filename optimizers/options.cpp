#include "optimizers/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace dynosim::optimizers {

std::string show_option(const OptionValue& v) {
    struct Show {
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return fmt::format("{}", d); }
        std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
        std::string operator()(const std::vector<std::string>& l) const {
            return fmt::format("[\"{}\"]", fmt::join(l, "\", \""));
        }
    };
    return std::visit(Show{}, v);
}

const OptionValue* OptionReader::find(const std::string& name) {
    known_.insert(name);
    auto it = options_.find(name);
    return it == options_.end() ? nullptr : &it->second;
}

void OptionReader::fail(const std::string& name, const OptionValue& v, const std::string& rule) const {
    throw OptionError(name, fmt::format("optimizer {}: option {} = {}: {}", optimizer_, name, show_option(v), rule));
}

void OptionReader::read(const std::string& name, std::int64_t& out, std::int64_t min, std::int64_t max) {
    const OptionValue* v = find(name);
    if (!v) return;
    if (!std::holds_alternative<std::int64_t>(*v)) fail(name, *v, "must be an integer");
    const auto i = std::get<std::int64_t>(*v);
    if (i < min || i > max) fail(name, *v, fmt::format("must be in [{}, {}]", min, max));
    out = i;
}

void OptionReader::read(const std::string& name, double& out, double min, double max) {
    const OptionValue* v = find(name);
    if (!v) return;
    double d = 0;
    if (std::holds_alternative<double>(*v)) d = std::get<double>(*v);
    else if (std::holds_alternative<std::int64_t>(*v)) d = static_cast<double>(std::get<std::int64_t>(*v));
    else fail(name, *v, "must be a number");
    if (!(d >= min && d <= max)) fail(name, *v, fmt::format("must be in [{}, {}]", min, max));
    out = d;
}

void OptionReader::read(const std::string& name, bool& out) {
    const OptionValue* v = find(name);
    if (!v) return;
    if (!std::holds_alternative<bool>(*v)) fail(name, *v, "must be true or false");
    out = std::get<bool>(*v);
}

void OptionReader::read(const std::string& name, std::string& out, const std::vector<std::string>& allowed) {
    const OptionValue* v = find(name);
    if (!v) return;
    if (!std::holds_alternative<std::string>(*v)) fail(name, *v, "must be a string");
    const auto& s = std::get<std::string>(*v);
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end())
        fail(name, *v, fmt::format("must be one of {}", fmt::join(allowed, ", ")));
    out = s;
}

void OptionReader::read(const std::string& name, std::vector<std::string>& out) {
    const OptionValue* v = find(name);
    if (!v) return;
    if (!std::holds_alternative<std::vector<std::string>>(*v)) fail(name, *v, "must be an array of strings");
    out = std::get<std::vector<std::string>>(*v);
}

void OptionReader::finish() const {
    for (const auto& [name, value] : options_)
        if (!known_.count(name))
            throw OptionError(name, fmt::format("optimizer {}: unknown option '{}'; known: {}", optimizer_, name,
                                                fmt::join(known_, ", ")));
}

}  // namespace dynosim::optimizers
