#!/bin/sh
# Scheduler-aware replay vs timing-only estimate: for each backend (vllm, sglang, trtllm) and concurrency N
# in 1..256, replays one wave of N requests (ISL 1024, OSL 128, all arriving together) on one worker
# (sweep.toml) and runs `dynosim estimate --batch N` for the same shape and backend tables. Writes
# sweep.csv and sweep.svg (plot.sh) to the output folder.
# Usage: examples/scheduler-vs-estimate/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
isl=1024
osl=128
data="$here/../../../shared/data"
mkdir -p "$out/runs"
csv=$out/sweep.csv
echo "backend,concurrency,replay_ttft_mean_ms,replay_ttft_p50_ms,replay_ttft_p99_ms,replay_tpot_mean_ms,replay_tpot_p99_ms,replay_steps,replay_preemptions,replay_finished,estimate_ttft_ms,estimate_tpot_ms,ttft_estimate_over_replay_mean,tpot_estimate_over_replay_mean" > "$csv"
for backend in vllm sglang trtllm; do
  for n in 1 2 4 8 16 32 64 128 256; do
    dir=$out/runs/$backend-$n
    "$dynosim" run "$here/sweep.toml" --set "engine.backend=\"$backend\"" \
      --set workload.generator.num_requests=$n --set workload.generator.input.value=$isl \
      --set workload.generator.output.value=$osl --quiet --out "$dir" > /dev/null
    if [ -d "$data/gpu" ]; then dd="--data-dir $data"; else dd=""; fi
    # shellcheck disable=SC2086
    "$dynosim" estimate --batch $n --isl $isl --osl $osl --backend $backend $dd --json > "$dir/estimate.json"
    jq -r -n --arg b "$backend" --arg n "$n" --slurpfile r "$dir/summary.json" --slurpfile e "$dir/estimate.json" '
      $r[0] as $r | $e[0] as $e |
      [$b, $n, $r.ttft_ms.mean, $r.ttft_ms.p50, $r.ttft_ms.p99, $r.tpot_ms.mean, $r.tpot_ms.p99, $r.steps,
       $r.preemptions, $r.requests.finished, $e.ttft_ms, $e.tpot_ms,
       ($e.ttft_ms / $r.ttft_ms.mean), ($e.tpot_ms / $r.tpot_ms.mean)] | @csv' | tr -d '"' >> "$csv"
  done
done
"$here/plot.sh" "$csv" > "$out/sweep.svg"
echo "wrote $csv and $out/sweep.svg"
