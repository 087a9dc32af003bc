// Shared helpers for the suite: where the shared data lives, temporary folders, running the CLI.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace dynosim::test {

// ../shared/data next to the repository, or $DYNOSIM_DATA.
inline std::filesystem::path data_dir() {
    if (const char* env = std::getenv("DYNOSIM_DATA"); env && *env) return env;
    return std::filesystem::path(DYNOSIM_SOURCE_DIR) / ".." / "shared" / "data";
}

inline std::filesystem::path source_dir() { return DYNOSIM_SOURCE_DIR; }

// A fresh empty folder under the system temp dir, unique per name and process: ctest runs test cases
// in parallel, one process each, and several cases may ask for the same name.
inline std::filesystem::path temp_dir(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() /
             ("dynosim-test-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct CommandResult {
    int exit_code = 0;
    std::string output;  // stdout and stderr together
};

// Runs the built `dynosim` CLI with the given arguments (a shell string).
inline CommandResult run_cli(const std::string& args) {
    const std::string cmd = std::string(DYNOSIM_CLI) + " " + args + " 2>&1";
    CommandResult r;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return {-1, "popen failed"};
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
    const int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace dynosim::test
