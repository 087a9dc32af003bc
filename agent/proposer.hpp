// Proposers: who suggests the next change to the policy. One interface; two kinds: an external command
// (an LLM command-line client, a script) that reads the program file, the current sources and the recent
// history on stdin and answers with a unified diff or whole files, and the built-in offline mutator
// (mutator.hpp).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/config.hpp"

namespace dynosim::agent {

// The proposer could not give a change (it failed, timed out or answered something unreadable). The loop
// stops with this message; the repository is left on the best commit and no history is lost.
class ProposerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ProposalContext {
    std::int64_t iteration = 0;
    std::string program;                         // program.md
    std::map<std::string, std::string> sources;  // path (relative) -> text, the best commit's sources
    std::string history;                         // results.tsv header + the last rows
    std::string incumbent;                       // "ttft.p90 = 812.4 (minimize)"
    // Descriptions of the changes already tried on this incumbent (since the last keep), so a
    // deterministic proposer does not draw the same edit twice.
    std::vector<std::string> tried;
};

struct Proposal {
    std::string description;                     // one line, goes into the commit message and results.tsv
    std::string diff;                            // a unified diff, or
    std::map<std::string, std::string> files;    // whole files: path (relative) -> new text
};

class Proposer {
public:
    virtual ~Proposer() = default;
    virtual Proposal propose(const ProposalContext& c) = 0;
};

// Runs `sh -c command` in the workspace with the context on stdin (format in docs/agent.md), a timeout
// that kills its process group, and DYNOSIM_AGENT_ITERATION / DYNOSIM_AGENT_WORKSPACE set.
class CommandProposer final : public Proposer {
public:
    CommandProposer(std::string command, std::string workspace, double timeout_s)
        : command_(std::move(command)), workspace_(std::move(workspace)), timeout_s_(timeout_s) {}
    Proposal propose(const ProposalContext& c) override;

private:
    std::string command_, workspace_;
    double timeout_s_;
};

// The text a command proposer reads on stdin.
std::string proposal_prompt(const ProposalContext& c);
// Reads a proposer's answer: a unified diff (from the first "diff --git" or "--- " line) or whole files
// between "=== FILE: path ===" and "=== END ===" lines; text before them is the description (first
// non-empty line). ProposerError when it is neither.
Proposal parse_proposal(const std::string& answer);

std::unique_ptr<Proposer> make_proposer(const AgentConfig& c, const std::string& workspace);

}  // namespace dynosim::agent
