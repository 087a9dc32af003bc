#!/bin/sh
# Experiment 3: cold-start delay swept from 0 to 600 s under a step burst (burst.toml), with round-robin
# routing (Dynamo's default without the KV router) and with least-loaded routing. Writes
# cold-start.csv (p90 / p99 TTFT, SLA attainment, GPU-hours, when the burst's workers became ready) and
# cold-start.svg (p90 TTFT against the cold start).
# Usage: examples/planner-cold-start/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
mkdir -p "$out/runs"
csv=$out/cold-start.csv
echo "router,cold_start_s,ttft_p50_ms,ttft_p90_ms,ttft_p99_ms,itl_p90_ms,sla_attainment,gpu_hours,workers_requested,max_ready,first_added_ready_s" > "$csv"
for r in round_robin least_loaded; do
for c in 0 15 30 45 60 90 120 180 240 300 450 600; do
  dir=$out/runs/$r-cold-$c
  "$dynosim" run "$here/burst.toml" --set planner.cold_start_s="$c" --set router.policy="$r" --quiet --out "$dir"
  jq -r --arg r "$r" --arg c "$c" '[$r, $c, .ttft_ms.p50, .ttft_ms.p90, .ttft_ms.p99, .itl_ms.p90, .goodput.sla_attainment,
      .planner.gpu_hours, .planner.workers_requested, .planner.replicas.max_ready,
      ([.planner.workers[] | select(.requested_s > 0 and .ready_s != null) | .ready_s] | min // "")] | @csv' \
      "$dir/summary.json" | tr -d '"' >> "$csv"
done
done
"$here/plot.sh" "$csv" > "$out/cold-start.svg"
echo "wrote $csv and $out/cold-start.svg"
