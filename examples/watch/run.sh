#!/bin/sh
# Records a drifting trace into a folder (130 s of short prompts, 256 tokens at 6 requests/s; then 130 s of
# 8 K-token prompts at 9 requests/s whose first 4 K tokens are one of four shared prefixes) and lets
# `dynosim watch` follow it with a 60 s window every 60 s; prints ticks.csv and the last recommendation,
# and writes report.html of the last tick's study.
# Usage: examples/watch/run.sh [path/to/dynosim] [out_dir]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cli=${1:-build/cli/dynosim}
out=${2:-out/watch}
mkdir -p "$out/traces"
# trace SECONDS RPS INPUT GROUPS SHARED_BLOCKS SALT: Mooncake JSONL, 512-token hash blocks.
trace() {
  awk -v secs="$1" -v rps="$2" -v inp="$3" -v groups="$4" -v shared="$5" -v salt="$6" 'BEGIN {
    n = int(secs * rps); blocks = int((inp + 511) / 512)
    for (i = 0; i < n; i++) {
      printf "{\"timestamp\": %.1f, \"input_length\": %d, \"output_length\": 32, \"hash_ids\": [", 1000 * i / rps, inp
      for (b = 0; b < blocks; b++)
        printf "%s%d", (b ? ", " : ""), (groups > 0 && b < shared) ? 1000 * (i % groups) + b : salt + i * 100 + b
      printf "]}\n"
    } }'
}
trace 130 6 256 0 0 1000000 > "$out/traces/00-short.jsonl"
trace 130 9 8192 4 8 9000000 > "$out/traces/01-long.jsonl"
"$cli" watch --traces "$out/traces" --study "$here/drift-study.toml" --window 60s --every 60s --out "$out/run"
cat "$out/run/ticks.csv"
cat "$out/run/recommended/engine-args.sh"
last=$(ls -d "$out"/run/tick-* | tail -1)
"$cli" report "$last/study.sqlite" -o "$out/report.html"
