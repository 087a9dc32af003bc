// An agent workspace: a git repository (the workspace folder is its root) holding the policy sources, a
// standalone CMakeLists.txt that builds them into policy.so against a copy of the plugin headers
// (include/), the program file for the proposer (program.md), the agent config (agent.toml) and the
// scenario(s) it names. Ignored by git and owned by the agent: results.tsv, agent.sqlite and .agent/
// (scratch builds). Refs: branch agent/best (the incumbent), tag agent/start (where it began), tags
// agent/iter-N (each kept change), branch agent/try-N (the iteration in progress; gone after it).
#pragma once
#include <filesystem>
#include <map>
#include <string>

#include "agent/config.hpp"
#include "agent/git_repo.hpp"

namespace dynosim::agent {

inline constexpr const char* kBestBranch = "agent/best";
inline constexpr const char* kStartTag = "agent/start";
inline constexpr const char* kTryPrefix = "agent/try-";

class Workspace {
public:
    // Checks, in order, with a clear error (InputError / ConfigError / GitError) naming the path: the folder
    // exists, is the root of a git repository, has agent.toml (valid), the program file and every scenario.
    static Workspace open(const std::filesystem::path& dir);

    const std::filesystem::path& dir() const { return dir_; }
    const AgentConfig& config() const { return config_; }
    GitRepo& repo() { return repo_; }
    std::filesystem::path results_tsv() const { return dir_ / "results.tsv"; }
    std::filesystem::path study_db() const { return dir_ / "agent.sqlite"; }
    std::filesystem::path scratch() const { return dir_ / ".agent"; }
    std::string program() const;
    // The files a proposer sees and may change: config.proposer files, else every *.cpp *.hpp *.h *.c at
    // the workspace's top level. Path (relative) -> text.
    std::map<std::string, std::string> sources() const;

private:
    Workspace(std::filesystem::path dir, AgentConfig c, GitRepo r)
        : dir_(std::move(dir)), config_(std::move(c)), repo_(std::move(r)) {}
    std::filesystem::path dir_;
    AgentConfig config_;
    GitRepo repo_;
};

struct InitOptions {
    std::filesystem::path from;      // a policy folder (policies/<name>): its *.cpp/*.hpp/*.h are copied
    std::filesystem::path dir;       // the new workspace; must not exist or be empty
    std::filesystem::path scenario;  // copied as scenario.toml; empty: a small Mooncake scenario
    std::filesystem::path config;    // copied as agent.toml (checked); empty: the default config
    // Where plugins/dynosim_plugin.h{,pp} are found: empty = searched upwards from `from`, then the
    // source tree dynosim was built from.
    std::filesystem::path source_root;
};

// Creates the workspace, commits it on branch agent/best and tags agent/start. Returns a summary line.
std::string init_workspace(const InitOptions& o);

std::string read_text(const std::filesystem::path& p);
void write_text(const std::filesystem::path& p, const std::string& text);

}  // namespace dynosim::agent
