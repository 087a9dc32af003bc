// The `dynosim` subcommands. Each command file registers its subcommand on the app; its callback does the
// work and stores the process exit code in `exit_code()`. Bad input is reported by throwing (the
// scenario's ConfigError or core::InputError); main() prints it and exits with 2.
#pragma once
#include <CLI/CLI.hpp>

namespace dynosim::cli {

// Exit code the finished command asks for (0 unless set).
int& exit_code();

void add_run_command(CLI::App& app);     // run_command.cpp: simulate a scenario
void add_trace_command(CLI::App& app);   // trace_command.cpp: trace stats
void add_config_command(CLI::App& app);  // config_command.cpp: config defaults

}  // namespace dynosim::cli
