#!/bin/sh
# Sweeps the arrival rate (rate_scale on the trace) for G1 only, G1 + host (G2), G1 + host + disk (G3), and
# G1 + host behind a slow host link, and writes tiers.csv (one row per run: throughput, TTFT/TPOT, SLA
# attainment, hit rate per tier, TTFT breakdown) and tiers.svg (throughput vs TTFT p50 with each
# configuration's Pareto front). Prints, per configuration, the busiest rate whose runs meet the SLA.
# Usage: examples/kv-tiers/sweep.sh [path/to/dynosim] [out_dir]    (needs jq)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dynosim=${1:-$here/../../build/cli/dynosim}
out=${2:-$here/out}
mkdir -p "$out/runs"
rates="0.1 0.25 0.375 0.5 0.75 1"
# configuration | --set arguments (fp8 KV: 64 KiB per token of Llama-3.1-8B, so 256 GB of host RAM holds
# 3.9 M tokens, ~8x G1)
configs="G1|kvbm.host.capacity_gb=0
G1+G2|kvbm.host.capacity_gb=256
G1+G2+G3|kvbm.host.capacity_gb=256 kvbm.disk.capacity_gb=2000
G1+G2-slow-link|kvbm.host.capacity_gb=256 kvbm.host.bandwidth_gbps=2"
csv=$out/tiers.csv
echo "config,rate_scale,requests_per_s,output_tokens_per_s,ttft_mean_ms,ttft_p50_ms,ttft_p90_ms,tpot_p50_ms,sla_attainment,goodput,g1_hit_rate,host_hit_rate,disk_hit_rate,queue_mean_ms,onboard_mean_ms,prefill_mean_ms,onboarded_requests,finished,submitted" > "$csv"
echo "$configs" | while IFS='|' read -r label sets; do
  for rate in $rates; do
    dir=$out/runs/$label-$rate
    args="--set timing.kv_dtype=fp8 --set workload.transform.rate_scale=$rate"
    for s in $sets; do args="$args --set $s"; done
    # shellcheck disable=SC2086
    "$dynosim" run "$here/tiers.toml" $args --quiet --out "$dir" > /dev/null
    jq -r --arg c "$label" --arg r "$rate" '[$c, $r,
        .throughput.requests_per_s, .throughput.output_tokens_per_s, .ttft_ms.mean, .ttft_ms.p50, .ttft_ms.p90,
        .tpot_ms.p50, .goodput.sla_attainment, .goodput.requests_per_s, .prefix_hit_rate,
        ((.kvbm.tiers // []) | map(select(.tier == "host")) | .[0].hit_rate // 0),
        ((.kvbm.tiers // []) | map(select(.tier == "disk")) | .[0].hit_rate // 0),
        (.kvbm.ttft_breakdown_ms.queue.mean // .queue_ms.mean), (.kvbm.ttft_breakdown_ms.onboard.mean // 0),
        (.kvbm.ttft_breakdown_ms.prefill.mean // (.ttft_ms.mean - .queue_ms.mean)),
        (.kvbm.onboarded_requests // 0), .requests.finished, .requests.submitted] | @csv' "$dir/summary.json" \
      | tr -d '"' >> "$csv"
  done
done
"$here/plot.sh" "$csv" > "$out/tiers.svg"
# The SLA: at least 80% of requests within TTFT <= 8 s and TPOT <= 100 ms (tiers.toml [sla]; long prompts).
awk -F, 'NR > 1 && $9 >= 0.8 && $2 + 0 > best[$1] + 0 { best[$1] = $2; row[$1] = $0 }
  END { for (c in row) { split(row[c], f, ","); printf "busiest rate holding the SLA: %-16s rate_scale %s  TTFT mean %.0f ms p50 %.0f ms  attainment %.3f\n", c, f[2], f[5], f[6], f[9] } }' "$csv" | sort
echo "wrote $csv and $out/tiers.svg"
