#!/bin/sh
# An external proposer for `dynosim agent` that asks an LLM. dynosim runs it with `sh -c` in the workspace,
# writes the prompt (program.md, the incumbent, recent results.tsv rows and the policy sources; format in
# docs/agent.md) to its stdin and reads the answer from its stdout: one line describing the change, then a
# unified diff or whole files between '=== FILE: path ===' and '=== END ===' lines.
#
# Set LLM_CMD to any command-line client that reads a prompt on stdin and prints the model's reply, e.g.
#   LLM_CMD="llm -m gpt-4o"                 (simonw/llm)
#   LLM_CMD="ollama run qwen2.5-coder:14b"  (a local model)
# and point agent.toml at this script:
#   [proposer]
#   kind = "command"
#   command = "sh /path/to/llm_proposer.sh"
#   timeout_s = 600
set -eu
: "${LLM_CMD:?set LLM_CMD to an LLM command-line client that reads the prompt on stdin}"
{
    cat
    printf '\nAnswer with the description line and the whole changed file(s) only, no other prose, no code fences.\n'
} | $LLM_CMD | sed -e '/^```/d'
