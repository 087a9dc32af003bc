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
// estimate_command.cpp: one forward pass and a static TTFT / TPOT / throughput estimate with a per-op
// breakdown, from the timing model alone (no simulation).
void add_estimate_command(CLI::App& app);
// calib_command.cpp: `calib validate` (per-op interpolation error on held-out table rows, and across
// sources) and `calib fit` (per-step overhead fitted on measured iteration times -> calibration file).
void add_calib_command(CLI::App& app);
// study_command.cpp: `study run|resume|show|optimizers` (optimization studies in SQLite).
void add_study_command(CLI::App& app);
// compare_command.cpp: compare optimizers on one study at a fixed budget.
void add_compare_command(CLI::App& app);
// plugin_command.cpp: `plugin check FILE.so` (kind, name, version, parameters, smoke run).
void add_plugin_command(CLI::App& app);
// validate_command.cpp: `validate RUNS.csv` (fidelity against measured serving runs) and `validate --replay DIR`.
void add_validate_command(CLI::App& app);
// profile_command.cpp: `profile` (one worker's TTFT / ITL over request rate: the SLA planner's profile).
void add_profile_command(CLI::App& app);
// report_command.cpp: `report INPUT... -o report.html` (HTML report with SVG plots).
void add_report_command(CLI::App& app);
// watch_command.cpp: `watch --traces DIR --study STUDY.toml` (continuous sweep, deployment recommendations).
void add_watch_command(CLI::App& app);
// agent_command.cpp: `agent init|run|resume|log` (the autoresearch loop, docs/agent.md).
void add_agent_command(CLI::App& app);

}  // namespace dynosim::cli
