#!/bin/sh
# Sweeps arrival rate (rate_scale on the trace) for round-robin vs KV-aware routing (a few overlap weights
# and temperatures), aggregated and disaggregated, and writes frontier.csv and frontier.svg (throughput vs
# TTFT p50 per policy, each policy's Pareto front drawn as a line, prefix hit rates in the table).
# Usage: examples/router-frontier/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
mkdir -p "$out/runs"
rates="0.5 1 1.5 2 3"
# policy label | --set arguments
policies="rr|router.policy=round_robin
kv_w1_t0|router.policy=kv router.overlap_score_weight=1 router.temperature=0
kv_w2_t0|router.policy=kv router.overlap_score_weight=2 router.temperature=0
kv_w1_t0.5|router.policy=kv router.overlap_score_weight=1 router.temperature=0.5"
csv=$out/frontier.csv
echo "mode,policy,rate_scale,requests_per_s,output_tokens_per_s,output_tokens_per_s_per_gpu,ttft_p50_ms,ttft_p90_ms,tpot_p50_ms,tpot_p90_ms,itl_p99_ms,prefix_hit_rate,transfer_ms_mean,transfer_gb,finished,submitted" > "$csv"
for mode in agg disagg; do
  if [ "$mode" = disagg ]; then m="disagg.enabled=true"; else m="disagg.enabled=false"; fi
  echo "$policies" | while IFS='|' read -r label sets; do
    for rate in $rates; do
      dir=$out/runs/$mode-$label-$rate
      args="--set $m --set workload.transform.rate_scale=$rate"
      for s in $sets; do args="$args --set $s"; done
      # shellcheck disable=SC2086
      "$dynosim" run "$here/frontier.toml" $args --quiet --out "$dir" > /dev/null
      jq -r --arg mode "$mode" --arg p "$label" --arg r "$rate" '[$mode, $p, $r,
          .throughput.requests_per_s, .throughput.output_tokens_per_s, .throughput.output_tokens_per_s_per_gpu,
          .ttft_ms.p50, .ttft_ms.p90, .tpot_ms.p50, .tpot_ms.p90, .itl_ms.p99, .prefix_hit_rate,
          (.disagg.transfer_ms_mean // 0), (.disagg.transfer_gb // 0), .requests.finished, .requests.submitted]
          | @csv' "$dir/summary.json" | tr -d '"' >> "$csv"
    done
  done
done
"$here/plot.sh" "$csv" > "$out/frontier.svg"
echo "wrote $csv and $out/frontier.svg"
