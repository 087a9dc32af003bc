// Optimizer options as written in a study file ([optimizer.options]): a flat map of name -> value that each
// optimizer reads into its own options struct through OptionReader, which checks types and ranges and
// rejects names the optimizer does not know. Errors are OptionError naming the option, value and rule; the
// framework adds the file and line.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace dynosim::optimizers {

using OptionValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;
using OptionMap = std::map<std::string, OptionValue>;

class OptionError : public std::runtime_error {
public:
    OptionError(std::string option, const std::string& message)
        : std::runtime_error(message), option_(std::move(option)) {}
    const std::string& option() const { return option_; }

private:
    std::string option_;
};

std::string show_option(const OptionValue& v);

class OptionReader {
public:
    // `optimizer` names the optimizer in messages ("bayes: option 'xi' = -1: must be >= 0").
    OptionReader(const OptionMap& options, std::string optimizer) : options_(options), optimizer_(std::move(optimizer)) {}
    void read(const std::string& name, std::int64_t& out, std::int64_t min, std::int64_t max);
    void read(const std::string& name, double& out, double min, double max);
    void read(const std::string& name, bool& out);
    void read(const std::string& name, std::string& out, const std::vector<std::string>& allowed);
    void read(const std::string& name, std::vector<std::string>& out);
    // Throws for any option that no read() asked for, listing the known ones.
    void finish() const;

private:
    const OptionValue* find(const std::string& name);
    [[noreturn]] void fail(const std::string& name, const OptionValue& v, const std::string& rule) const;
    const OptionMap& options_;
    std::string optimizer_;
    std::set<std::string> known_;
};

}  // namespace dynosim::optimizers
