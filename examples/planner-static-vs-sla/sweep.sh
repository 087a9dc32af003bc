#!/bin/sh
# Experiment 1: the SLA planner (three TTFT targets) and the load planner against every static replica count on the same
# compressed day of traffic (day.toml), then on a real trace (azure-conv.toml). Writes static-vs-sla.csv and
# static-vs-sla-azure.csv (GPU-hours, TTFT / ITL percentiles, SLA attainment, scaling events per
# configuration) and an SVG of each (p90 TTFT against GPU-hours).
# Usage: examples/planner-static-vs-sla/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
mkdir -p "$out/runs"
csv=$out/static-vs-sla.csv
echo "config,workers,gpu_hours,ttft_p50_ms,ttft_p90_ms,ttft_p99_ms,itl_p90_ms,itl_p99_ms,sla_attainment,scale_up_events,scale_down_events,max_ready" > "$csv"
row() {  # label, workers column, run dir
  jq -r --arg c "$1" --arg w "$2" '[$c, $w, (if .planner then .planner.gpu_hours else .fleet.gpu_seconds / 3600 end),
      .ttft_ms.p50, .ttft_ms.p90, .ttft_ms.p99, .itl_ms.p90, .itl_ms.p99, .goodput.sla_attainment,
      (.planner.scale_up_events // 0), (.planner.scale_down_events // 0), (.planner.replicas.max_ready // .fleet.workers)]
      | @csv' "$3/summary.json" | tr -d '"' >> "$csv"
}
for n in 1 2 3 4 5 6 7 8; do
  "$dynosim" run "$here/day.toml" --set planner.kind=none --set fleet.workers="$n" --quiet --out "$out/runs/static-$n"
  row static "$n" "$out/runs/static-$n"
done
# The SLA planner at three mean-TTFT targets (its profile's knee is near 500 ms), and the load planner.
for t in 500 200 150; do
  "$dynosim" run "$here/day.toml" --set planner.kind=sla --set planner.ttft_ms="$t" --quiet --out "$out/runs/sla-$t"
  row "sla ttft<=$t" "" "$out/runs/sla-$t"
done
"$dynosim" run "$here/day.toml" --set planner.kind=load --quiet --out "$out/runs/load"
row "load" "" "$out/runs/load"
"$here/plot.sh" "$csv" > "$out/static-vs-sla.svg"
echo "wrote $csv and $out/static-vs-sla.svg"

# The same comparison on a real trace (azure-conv.toml: Azure's conversation trace replayed 8x faster).
csv=$out/static-vs-sla-azure.csv
head -1 "$out/static-vs-sla.csv" > "$csv"
for n in 1 2 3 4 5 6; do
  "$dynosim" run "$here/azure-conv.toml" --set planner.kind=none --set fleet.workers="$n" --quiet --out "$out/runs/azure-static-$n"
  row static "$n" "$out/runs/azure-static-$n"
done
for t in 500 150; do
  "$dynosim" run "$here/azure-conv.toml" --set planner.kind=sla --set planner.ttft_ms="$t" --quiet --out "$out/runs/azure-sla-$t"
  row "sla ttft<=$t" "" "$out/runs/azure-sla-$t"
done
"$dynosim" run "$here/azure-conv.toml" --set planner.kind=load --quiet --out "$out/runs/azure-load"
row "load" "" "$out/runs/azure-load"
"$here/plot.sh" "$csv" > "$out/static-vs-sla-azure.svg"
echo "wrote $csv and $out/static-vs-sla-azure.svg"
