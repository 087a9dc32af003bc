// The `dynosim` command: parses arguments and dispatches to the subcommands in cli/*_command.cpp, which
// call libdynosim and print. No simulation logic lives here.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "plugins/adapters.hpp"
#include "sim/scenario/config.hpp"

namespace dynosim::cli {
int& exit_code() {
    static int code = 0;
    return code;
}
}  // namespace dynosim::cli

int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_st("dynosim"));
    spdlog::set_pattern("[%l] %v");
    dynosim::plugins::install_plugin_factories();  // router.policy / engine.cache_policy / optimizer "plugin"
    CLI::App app{"dynosim: a discrete-event digital twin of an LLM-serving fleet"};
    app.require_subcommand(1);
    namespace cli = dynosim::cli;
    cli::add_run_command(app);
    cli::add_trace_command(app);
    cli::add_config_command(app);
    cli::add_estimate_command(app);
    cli::add_calib_command(app);
    cli::add_study_command(app);
    cli::add_compare_command(app);
    cli::add_plugin_command(app);
    cli::add_validate_command(app);
    cli::add_profile_command(app);
    cli::add_report_command(app);
    cli::add_watch_command(app);
    cli::add_agent_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const dynosim::sim::scenario::ConfigError& e) {
        for (const auto& p : e.problems()) spdlog::error("{}", p);
        return 2;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 2;
    }
    return cli::exit_code();
}
