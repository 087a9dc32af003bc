// Running a child command (a build step, an external proposer) in its own process group with a wall-clock
// timeout: on timeout the whole group is killed (SIGKILL), so a compiler or an LLM client that spawned
// helpers leaves nothing behind. stdin is fed from a string; stdout (and stderr, merged or to a file) is
// captured.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace dynosim::agent {

struct ProcessOptions {
    std::vector<std::string> argv;        // argv[0] is looked up in PATH
    std::filesystem::path cwd;            // empty: the current directory
    std::string stdin_text;               // written to the child's stdin, then closed
    double timeout_s = 0;                 // wall seconds; 0 = none. Range >= 0
    bool merge_stderr = true;             // stderr into the captured stdout; false: stderr is inherited
    std::vector<std::pair<std::string, std::string>> env;  // set in the child on top of ours
};

struct ProcessResult {
    int exit_code = -1;      // valid when exited
    bool exited = false;     // ended by exit()
    int signal = 0;          // the signal that ended it, else 0
    bool timed_out = false;  // killed by us at the timeout
    bool spawn_failed = false;
    std::string output;      // captured stdout (+ stderr)
    double wall_s = 0;

    bool ok() const { return exited && exit_code == 0 && !timed_out; }
    // "exit status 2", "killed by signal 11 (Segmentation fault)", "timed out after 5 s", ...
    std::string describe(double timeout_s) const;
};

// Never throws for a failing child; throws std::runtime_error only when no pipe or fork is possible.
// Sets SIGPIPE to ignored in this process (a child that exits without reading its stdin must not kill us).
ProcessResult run_process(const ProcessOptions& o);

}  // namespace dynosim::agent
