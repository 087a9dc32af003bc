#!/usr/bin/env bash
# MPI sweep throughput (issue 13): the same random-search study (8 trials, each the first hour of the Mooncake
# conversation trace on 4 vLLM workers) run single-process with 1 thread, then under mpirun with 1 and 2
# worker ranks (-n 2 and -n 3: rank 0 runs the optimizer and SQLite and simulates nothing). Prints wall
# seconds, trials per minute and the parallel efficiency of 2 worker ranks against 1. Figures for notes;
# never asserted. Usage: bench/mpi_sweep.sh [PATH/TO/dynosim] [TRIALS]
set -euo pipefail
cli=${1:-build/cli/dynosim}
trials=${2:-8}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && args+=(--allow-run-as-root)
cat > "$dir/s.toml" <<TOML
[study]
scenario = "$repo/examples/quickstart.toml"
set = ["workload.transform.window_end_s=3600"]
budget = $trials
seed = 1
parallelism = 1
[optimizer]
name = "random"
[[dimension]]
key = "engine.max_num_seqs"
type = "int"
min = 16
max = 512
log = true
[[dimension]]
key = "router.policy"
type = "categorical"
values = ["round_robin", "least_loaded"]
[[objective]]
metric = "ttft.p90"
TOML
now() { date +%s.%N; }
t0=$(now); "$cli" study run "$dir/s.toml" --db "$dir/single.sqlite" --quiet; t1=$(now)
single=$(echo "$t1 - $t0" | bc -l)
t0=$(now); mpirun "${args[@]}" -n 2 "$cli" study run --mpi "$dir/s.toml" --db "$dir/r1.sqlite" --quiet; t1=$(now)
one=$(echo "$t1 - $t0" | bc -l)
t0=$(now); mpirun "${args[@]}" -n 3 "$cli" study run --mpi "$dir/s.toml" --db "$dir/r2.sqlite" --quiet; t1=$(now)
two=$(echo "$t1 - $t0" | bc -l)
printf "nproc %s, %s trials\n" "$(nproc)" "$trials"
printf "%-26s %8s %12s\n" "run" "wall_s" "trials/min"
printf "%-26s %8.2f %12.2f\n" "single process, 1 thread" "$single" "$(echo "$trials * 60 / $single" | bc -l)"
printf "%-26s %8.2f %12.2f\n" "mpirun -n 2 (1 worker)" "$one" "$(echo "$trials * 60 / $one" | bc -l)"
printf "%-26s %8.2f %12.2f\n" "mpirun -n 3 (2 workers)" "$two" "$(echo "$trials * 60 / $two" | bc -l)"
printf "efficiency of 2 worker ranks vs 1: %.2f (speed-up %.2f / 2)\n" "$(echo "$one / $two / 2" | bc -l)" \
  "$(echo "$one / $two" | bc -l)"
