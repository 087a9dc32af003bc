#include "agent/proposer.hpp"

#include <fmt/format.h>

#include <sstream>

#include "agent/mutator.hpp"
#include "agent/process.hpp"

namespace dynosim::agent {

std::string proposal_prompt(const ProposalContext& c) {
    std::string s = fmt::format("# dynosim agent, iteration {}\n\n## program\n\n{}\n", c.iteration, c.program);
    s += fmt::format("\n## incumbent\n\n{}\n\n## history (results.tsv, most recent last)\n\n{}\n", c.incumbent,
                     c.history);
    for (const auto& [path, text] : c.sources) s += fmt::format("\n=== FILE: {} ===\n{}=== END ===\n", path, text);
    s += "\n## answer\n\nOne line describing the change, then either a unified diff (git diff format, paths a/FILE "
         "b/FILE) or each changed file whole between '=== FILE: path ===' and '=== END ===' lines.\n";
    return s;
}

Proposal parse_proposal(const std::string& answer) {
    Proposal p;
    std::istringstream in(answer);
    std::string line, before;
    std::size_t pos = 0;
    bool found = false;
    // Find the first line that starts a diff or a file block.
    while (std::getline(in, line)) {
        if (line.starts_with("diff --git") || line.starts_with("--- ")) {
            p.diff = answer.substr(pos);
            found = true;
            break;
        }
        if (line.starts_with("=== FILE: ")) {
            found = true;
            std::string rest = answer.substr(pos);
            std::istringstream fin(rest);
            std::string l, path, text;
            bool inside = false;
            while (std::getline(fin, l)) {
                if (!inside && l.starts_with("=== FILE: ") && l.ends_with(" ===")) {
                    path = l.substr(10, l.size() - 14);
                    text.clear();
                    inside = true;
                } else if (inside && l == "=== END ===") {
                    p.files[path] = text;
                    inside = false;
                } else if (inside) {
                    text += l + "\n";
                }
            }
            if (inside) throw ProposerError(fmt::format("the proposer's file block for {} has no '=== END ===' line", path));
            break;
        }
        if (p.description.empty() && !line.empty()) p.description = line;
        pos += line.size() + 1;
    }
    if (!found)
        throw ProposerError("the proposer answered neither a unified diff nor '=== FILE: path ===' blocks; its answer "
                            "began: " + answer.substr(0, 200));
    if (p.description.empty()) p.description = p.diff.empty() ? "whole-file change" : "diff";
    return p;
}

Proposal CommandProposer::propose(const ProposalContext& c) {
    ProcessOptions o;
    o.argv = {"/bin/sh", "-c", command_};
    o.cwd = workspace_;
    o.stdin_text = proposal_prompt(c);
    o.timeout_s = timeout_s_;
    o.merge_stderr = false;  // stderr is the user's to see; stdout is the answer
    o.env = {{"DYNOSIM_AGENT_ITERATION", std::to_string(c.iteration)}, {"DYNOSIM_AGENT_WORKSPACE", workspace_}};
    const ProcessResult r = run_process(o);
    if (!r.ok()) {
        std::string tail = r.output.size() > 400 ? r.output.substr(r.output.size() - 400) : r.output;
        throw ProposerError(fmt::format("proposer command `{}` failed: {}{}", command_, r.describe(timeout_s_),
                                        tail.empty() ? "" : "; its output ended: " + tail));
    }
    try {
        return parse_proposal(r.output);
    } catch (const ProposerError& e) {
        throw ProposerError(fmt::format("proposer command `{}`: {}", command_, e.what()));
    }
}

std::unique_ptr<Proposer> make_proposer(const AgentConfig& c, const std::string& workspace) {
    if (c.proposer == "command") return std::make_unique<CommandProposer>(c.proposer_command, workspace, c.proposer_timeout_s);
    return std::make_unique<Mutator>(c.seed);
}

}  // namespace dynosim::agent
