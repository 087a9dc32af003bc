#!/usr/bin/env bash
# Renders a `dynosim report` (a run with its time series, a study, an optimizer comparison) in headless
# Chromium and checks that the page ran its script without error and laid out every plot with a non-empty
# box (the report's script writes body data-shown; data-plots is the number of plots in the file).
# Usage: report_render.sh PATH/TO/dynosim. Exits 77 (ctest: skipped) when no Chromium is installed
# (scripts/install-deps --with-chromium installs it).
set -euo pipefail
cli=$1
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null; then browser=$(command -v "$b"); break; fi
done
if [[ -z "$browser" ]]; then
  echo "no Chromium found: skipped (scripts/install-deps --with-chromium installs it)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
gen=(--set workload.kind=generator --set workload.generator.num_requests=60 --set workload.generator.duration_s=10
     --set workload.generator.arrival.rate=6 --set workload.generator.input.value=1024
     --set workload.generator.output.value=32 --set fleet.workers=3)
"$cli" run "${gen[@]}" --set metrics.timeseries_interval_s=1 --out "$dir/run" --quiet
cat > "$dir/s.toml" <<'TOML'
[study]
budget = 5
seed = 1
parallelism = 2
set = ["workload.kind=\"generator\"", "workload.generator.num_requests=40", "workload.generator.duration_s=10",
       "workload.generator.arrival.rate=6", "workload.generator.input.value=2048", "workload.generator.output.value=64"]
[optimizer]
name = "random"
[[dimension]]
key = "fleet.workers"
type = "int"
min = 1
max = 3
[[dimension]]
key = "engine.max_num_seqs"
type = "categorical"
values = [2, 8, 64]
[[objective]]
metric = "tokens_per_s_per_gpu"
direction = "maximize"
[[objective]]
metric = "ttft.p90"
TOML
"$cli" study run "$dir/s.toml" --db "$dir/s.sqlite" --quiet
"$cli" compare --study "$dir/s.toml" --optimizers random,grid --budget 4 --repeats 2 --out "$dir/cmp" 2>/dev/null >/dev/null
"$cli" report "$dir/run" "$dir/s.sqlite" "$dir/cmp" -o "$dir/report.html"
dom=$("$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$dir/profile" \
        --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$dir/report.html" 2>"$dir/console.log")
plots=$(grep -o 'data-plots="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || true)
shown=$(grep -o 'data-shown="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || true)
fail=0
if grep -q 'data-error=' <<<"$dom"; then echo "script error: $(grep -o 'data-error="[^"]*"' <<<"$dom")"; fail=1; fi
if grep -qi 'Uncaught' "$dir/console.log"; then echo "console:"; grep -i 'Uncaught' "$dir/console.log"; fail=1; fi
if [[ -z "$plots" || "$plots" -lt 10 ]]; then echo "expected at least 10 plots in the report, found '${plots}'"; fail=1; fi
if [[ "$shown" != "$plots" ]]; then echo "Chromium laid out ${shown:-no} of ${plots} plots"; fail=1; fi
[[ $fail -eq 0 ]] && echo "Chromium ($("$browser" --version 2>/dev/null | head -1)) rendered all $plots plots, no script error"
exit $fail
