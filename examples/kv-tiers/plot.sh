#!/bin/sh
# tiers.csv (from sweep.sh) -> SVG on stdout: output tokens/s against TTFT p50 (log scale), every run of
# every KV-tier configuration, each configuration's Pareto front (no other run of it has both lower TTFT
# and higher throughput) as a line. Legend: hit rate per tier at the highest rate swept.
set -eu
awk -F, '
NR == 1 { next }
{
  n++; cfg[n] = $1; rate[n] = $2; thr[n] = $4; ttft[n] = $6
  if (!($1 in cidx)) { cidx[$1] = ++nc; cname[nc] = $1 }
  if ($2 + 0 >= top[$1] + 0) { top[$1] = $2; g1[$1] = $11; host[$1] = $12; disk[$1] = $13 }
  if ($4 > ymax) ymax = $4
  if (xmin == "" || $6 < xmin) xmin = $6
  if ($6 > xmax) xmax = $6
}
function lx(v) { return log(v) / log(10) }
function px(v) { return 80 + (lx(v) - lo) / (hi - lo) * 560 }
function py(v) { return 340 - v / ytop * 280 }
END {
  split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd", col, " ")
  lo = int(lx(xmin)); if (lx(xmin) < lo) lo--; hi = int(lx(xmax)) + 1
  ytop = (int(ymax / 100) + 1) * 100
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" height=\"480\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"700\" height=\"480\" fill=\"white\"/>\n"
  printf "<text x=\"80\" y=\"40\" font-size=\"14\">KV tiers: Mooncake conversation trace, Llama-3.1-8B (fp8 KV), 1 x H100</text>\n"
  printf "<line x1=\"%d\" y1=\"340\" x2=\"%d\" y2=\"340\" stroke=\"black\"/>\n", px(10 ^ lo), px(10 ^ hi)
  printf "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"340\" stroke=\"black\"/>\n", px(10 ^ lo), px(10 ^ lo)
  for (e = lo; e <= hi; e++)
    printf "<text x=\"%.1f\" y=\"358\" text-anchor=\"middle\">%g</text><line x1=\"%.1f\" y1=\"340\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(10 ^ e), 10 ^ e, px(10 ^ e), px(10 ^ e)
  for (t = 0; t <= ytop; t += ytop / 5)
    printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px(10 ^ lo) - 4, py(t) + 4, t, px(10 ^ lo), py(t), px(10 ^ hi), py(t)
  printf "<text x=\"360\" y=\"378\" text-anchor=\"middle\">TTFT p50, ms (log)</text>\n"
  printf "<text x=\"22\" y=\"200\" text-anchor=\"middle\" transform=\"rotate(-90 22 200)\">output tokens/s</text>\n"
  for (k = 1; k <= nc; k++) {
    c = 0
    for (i = 1; i <= n; i++) if (cfg[i] == cname[k]) { c++; ix[c] = i }
    for (a = 2; a <= c; a++) { v = ix[a]; b = a - 1; while (b >= 1 && ttft[ix[b]] > ttft[v]) { ix[b + 1] = ix[b]; b-- } ix[b + 1] = v }
    pts = ""; best = -1
    for (a = 1; a <= c; a++) {
      i = ix[a]
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.6\"/>\n", px(ttft[i]), py(thr[i]), col[k]
      if (thr[i] > best) { best = thr[i]; pts = pts sprintf("%.1f,%.1f ", px(ttft[i]), py(thr[i])) }
    }
    printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts, col[k]
    printf "<rect x=\"90\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"106\" y=\"%d\">%s: hit G1 %.1f%%, host %.1f%%, disk %.1f%% (rate %s)</text>\n", 390 + 16 * k - 10, col[k], 390 + 16 * k, cname[k], 100 * g1[cname[k]], 100 * host[cname[k]], 100 * disk[cname[k]], top[cname[k]]
  }
  printf "</svg>\n"
}' "$1"
