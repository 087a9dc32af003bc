// The optimizers a study may name (`[optimizer] name = "..."`): name, one-line description, the options it
// reads (for `dynosim study optimizers` and docs/studies.md), and its factory. Built-ins are listed in
// registry.cpp explicitly (static self-registration is dropped by the linker in a static library).
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "optimizers/optimizer.hpp"
#include "optimizers/options.hpp"

namespace dynosim::optimizers {

struct OptionDoc {
    std::string_view name, type, default_value, doc;
};

struct OptimizerEntry {
    std::string_view name;
    std::string_view description;
    std::vector<OptionDoc> options;
    Optimizer (*make)(const Problem&, const OptionMap&);
};

class OptimizerRegistry {
public:
    void add(OptimizerEntry e);
    const OptimizerEntry* find(std::string_view name) const;
    // Throws OptionError("name", ...) naming the unknown optimizer and the known ones.
    Optimizer make(std::string_view name, const Problem& p, const OptionMap& options) const;
    std::span<const OptimizerEntry> entries() const { return entries_; }
    std::vector<std::string> names() const;

private:
    std::vector<OptimizerEntry> entries_;
};

const OptimizerRegistry& builtin_optimizers();

}  // namespace dynosim::optimizers
