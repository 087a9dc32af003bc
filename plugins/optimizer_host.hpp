// An optimizer plugin in a child process of its own (study.isolation = "process"): the plugin's object lives
// in a forked server that answers ask and tell over a socket pair, so a plugin that crashes (segfault, abort) or
// hangs (no answer within the timeout) takes down only that server. The failure is reported once, as a
// ProposalError naming the signal or the timeout (the study stores it as a failed trial); after it the
// optimizer proposes nothing more (a deterministic plugin would fail at the same ask again), so the study
// ends with every finished trial stored. A copy starts a new server and replays the ask/tell history, which
// gives the same state for a plugin that is deterministic for its seed (the ABI's rule).
#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "optimizers/optimizer.hpp"
#include "optimizers/options.hpp"

namespace dynosim::plugins {

class IsolatedPluginOptimizer {
public:
    // Loads the library here first (ABI version and kind errors come from this process), then starts the
    // server; a create failure (bad parameter) is thrown as PluginError. timeout_s: seconds to wait for
    // each answer (0 = forever).
    IsolatedPluginOptimizer(const std::filesystem::path& path, const optimizers::Problem& p,
                            const optimizers::OptionMap& options, double timeout_s);
    IsolatedPluginOptimizer(const IsolatedPluginOptimizer& o);
    IsolatedPluginOptimizer& operator=(const IsolatedPluginOptimizer&) = delete;
    ~IsolatedPluginOptimizer();

    std::optional<optimizers::Point> ask();
    void tell(const optimizers::Trial& t);
    std::string_view name() const { return name_; }
    bool supports_pending() const { return supports_pending_; }
    // The server's process id (tests), or -1 once it is gone.
    int server_pid() const;

private:
    struct Server;
    void start();
    // Sends one command line and reads the answer line; nullopt when the server died or timed out (then
    // failure_ says how, and the server is gone).
    std::optional<std::string> call(const std::string& line);

    std::filesystem::path path_;
    optimizers::Problem problem_;
    optimizers::OptionMap options_;
    double timeout_s_;
    std::string name_;
    bool supports_pending_ = false;
    std::unique_ptr<Server> server_;
    std::vector<std::string> history_;  // every command sent, for the replay of a copy
    std::string failure_;               // why the server is gone ("" while it runs)
    bool reported_ = false;             // the failure was thrown once
};

}  // namespace dynosim::plugins
