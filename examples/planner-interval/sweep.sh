#!/bin/sh
# Experiment 2: the SLA planner's adjustment interval swept from 1 s to 180 s on the compressed day of
# traffic (../planner-static-vs-sla/day.toml and its profile), with a 30 s cold start and with none. Writes interval.csv (p90 TTFT,
# scaling events, decisions, GPU-hours per setting) and interval.svg.
# Usage: examples/planner-interval/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
mkdir -p "$out/runs"
csv=$out/interval.csv
echo "cold_start_s,interval_s,ttft_p50_ms,ttft_p90_ms,ttft_p99_ms,itl_p90_ms,scaling_events,scale_up_events,scale_down_events,decisions,workers_requested,gpu_hours,sla_attainment" > "$csv"
for c in 30 0; do
for i in 1 2 5 10 20 30 60 120 180; do
  dir=$out/runs/cold$c-interval-$i
  "$dynosim" run "$here/../planner-static-vs-sla/day.toml" --set planner.kind=sla --set planner.interval_s="$i" \
    --set planner.cold_start_s="$c" --quiet --out "$dir"
  jq -r --arg c "$c" --arg i "$i" '[$c, $i, .ttft_ms.p50, .ttft_ms.p90, .ttft_ms.p99, .itl_ms.p90,
      (.planner.scale_up_events + .planner.scale_down_events), .planner.scale_up_events, .planner.scale_down_events,
      .planner.decisions, .planner.workers_requested, .planner.gpu_hours, .goodput.sla_attainment] | @csv' "$dir/summary.json" | tr -d '"' >> "$csv"
done
done
"$here/plot.sh" "$csv" > "$out/interval.svg"
echo "wrote $csv and $out/interval.svg"
