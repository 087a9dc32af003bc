// `dynosim config defaults [--markdown]`: every scenario key with its type, default and meaning.
#include <iostream>

#include "cli/commands.hpp"
#include "sim/scenario/scenario.hpp"

namespace dynosim::cli {

void add_config_command(CLI::App& app) {
    auto* cfg = app.add_subcommand("config", "configuration helpers");
    cfg->require_subcommand(1);
    auto* defaults = cfg->add_subcommand("defaults", "print every key with its default and meaning");
    auto markdown = std::make_shared<bool>(false);
    defaults->add_flag("--markdown", *markdown, "print the docs/config.md table");
    defaults->callback([markdown] { std::cout << sim::scenario::describe_config(*markdown); });
}

}  // namespace dynosim::cli
