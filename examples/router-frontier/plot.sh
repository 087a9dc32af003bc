#!/bin/sh
# frontier.csv (from sweep.sh) -> SVG on stdout: one panel per mode (aggregated, disaggregated), output
# tokens/s against TTFT p50 (log scale), every point of every policy, and each policy's Pareto front (no
# other point of that policy has both lower TTFT and higher throughput) as a line. Legend: prefix hit rate
# per policy (mean over the sweep).
set -eu
awk -F, '
NR == 1 { next }
{
  n++; mode[n] = $1; pol[n] = $2; thr[n] = $5; ttft[n] = $7; hit[n] = $12
  if (!($2 in pidx)) { pidx[$2] = ++np; pname[np] = $2 }
  hs[$1 "," $2] += $12; hc[$1 "," $2]++
  if ($5 > ymax) ymax = $5
  if (xmin == "" || $7 < xmin) xmin = $7
  if ($7 > xmax) xmax = $7
}
function lx(v) { return log(v) / log(10) }
function px(panel, v) { return panel * 480 + 70 + (lx(v) - lo) / (hi - lo) * 380 }
function py(v) { return 330 - v / ytop * 270 }
END {
  split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b", col, " ")
  lo = int(lx(xmin)); if (lx(xmin) < lo) lo--; hi = int(lx(xmax)) + 1
  ytop = (int(ymax / 1000) + 1) * 1000
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"460\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"960\" height=\"460\" fill=\"white\"/>\n"
  split("agg disagg", modes, " ")
  title["agg"] = "aggregated: 4 workers"; title["disagg"] = "disaggregated: 2 prefill + 2 decode"
  for (m = 1; m <= 2; m++) {
    md = modes[m]; p0 = m - 1
    printf "<text x=\"%d\" y=\"40\" font-size=\"14\">%s</text>\n", p0 * 480 + 70, title[md]
    printf "<line x1=\"%d\" y1=\"330\" x2=\"%d\" y2=\"330\" stroke=\"black\"/>\n", px(p0, 10 ^ lo), px(p0, 10 ^ hi)
    printf "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"330\" stroke=\"black\"/>\n", px(p0, 10 ^ lo), px(p0, 10 ^ lo)
    for (e = lo; e <= hi; e++)
      printf "<text x=\"%.1f\" y=\"348\" text-anchor=\"middle\">%g</text><line x1=\"%.1f\" y1=\"330\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(p0, 10 ^ e), 10 ^ e, px(p0, 10 ^ e), px(p0, 10 ^ e)
    for (t = 0; t <= ytop; t += ytop / 5)
      printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px(p0, 10 ^ lo) - 4, py(t) + 4, t, px(p0, 10 ^ lo), py(t), px(p0, 10 ^ hi), py(t)
    printf "<text x=\"%d\" y=\"368\" text-anchor=\"middle\">TTFT p50, ms (log)</text>\n", p0 * 480 + 260
    printf "<text x=\"%d\" y=\"195\" text-anchor=\"middle\" transform=\"rotate(-90 %d 195)\">output tokens/s</text>\n", p0 * 480 + 18, p0 * 480 + 18
    for (k = 1; k <= np; k++) {
      # the policy points of this mode, sorted by TTFT (insertion sort; a handful of points)
      c = 0
      for (i = 1; i <= n; i++) if (mode[i] == md && pol[i] == pname[k]) { c++; ix[c] = i }
      for (a = 2; a <= c; a++) { v = ix[a]; b = a - 1; while (b >= 1 && ttft[ix[b]] > ttft[v]) { ix[b + 1] = ix[b]; b-- } ix[b + 1] = v }
      pts = ""; best = -1
      for (a = 1; a <= c; a++) {
        i = ix[a]
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.6\"/>\n", px(p0, ttft[i]), py(thr[i]), col[k]
        if (thr[i] > best) { best = thr[i]; pts = pts sprintf("%.1f,%.1f ", px(p0, ttft[i]), py(thr[i])) }
      }
      printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts, col[k]
      key = md "," pname[k]
      printf "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s: prefix hit %.1f%%</text>\n", p0 * 480 + 80, 380 + 16 * k - 10, col[k], p0 * 480 + 96, 380 + 16 * k, pname[k], 100 * hs[key] / hc[key]
    }
  }
  printf "</svg>\n"
}' "$1"
