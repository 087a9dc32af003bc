#!/bin/sh
# Reproduces examples/agent-router/README.md: a workspace from policies/weighted_cost with this folder's
# agent.toml, the loop with the built-in mutator, then the log.
# Usage: examples/agent-router/run.sh [BUILD_DIR] [WORKSPACE]   (from the repository root)
set -e
BUILD=${1:-build}
WS=${2:-out/agent-router}
rm -rf "$WS"
"$BUILD/cli/dynosim" agent init --from policies/weighted_cost --config examples/agent-router/agent.toml \
    --scenario examples/agent-router/scenario.toml "$WS"
"$BUILD/cli/dynosim" agent run "$WS"
"$BUILD/cli/dynosim" agent log "$WS"
