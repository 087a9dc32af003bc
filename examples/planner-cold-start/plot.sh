#!/bin/sh
# cold-start.csv (from sweep.sh) -> SVG on stdout: p90 TTFT (ms, log) against the cold-start delay (s), one
# line per router, with the goodput TTFT bound (500 ms) as a dashed line.
set -eu
awk -F, '
NR == 1 { next }
{ n++; rt[n] = $1; c[n] = $2; p90[n] = $4
  if (!($1 in sidx)) { sidx[$1] = ++ns; sname[ns] = $1 }
  if (ymin == "" || $4 < ymin) ymin = $4
  if ($4 > ymax) ymax = $4
  if ($2 > xmax) xmax = $2 }
function lx(v) { return log(v) / log(10) }
function px(v) { return 70 + v / xtop * 560 }
function py(v) { return 340 - (lx(v) - lo) / (hi - lo) * 280 }
END {
  xtop = (int(xmax / 100) + (xmax % 100 ? 1 : 0)) * 100
  if (ymin > 500) ymin = 500
  lo = int(lx(ymin)); if (lx(ymin) < lo) lo--; hi = int(lx(ymax)) + 1
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"420\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"720\" height=\"420\" fill=\"white\"/>\n"
  printf "<text x=\"70\" y=\"40\" font-size=\"14\">p90 TTFT under a step burst vs cold-start delay (SLA planner, burst.toml)</text>\n"
  for (e = lo; e <= hi; e++)
    printf "<text x=\"64\" y=\"%.1f\" text-anchor=\"end\">%g</text><line x1=\"70\" y1=\"%.1f\" x2=\"630\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", py(10 ^ e) + 4, 10 ^ e, py(10 ^ e), py(10 ^ e)
  for (t = 0; t <= xtop; t += 100)
    printf "<text x=\"%.1f\" y=\"358\" text-anchor=\"middle\">%d</text><line x1=\"%.1f\" y1=\"340\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(t), t, px(t), px(t)
  printf "<line x1=\"70\" y1=\"340\" x2=\"630\" y2=\"340\" stroke=\"black\"/><line x1=\"70\" y1=\"60\" x2=\"70\" y2=\"340\" stroke=\"black\"/>\n"
  printf "<line x1=\"70\" y1=\"%.1f\" x2=\"630\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"5,4\"/><text x=\"626\" y=\"%.1f\" text-anchor=\"end\">goodput bound 500 ms</text>\n", py(500), py(500), py(500) - 5
  printf "<text x=\"350\" y=\"378\" text-anchor=\"middle\">cold-start delay, s</text>\n"
  printf "<text x=\"20\" y=\"200\" text-anchor=\"middle\" transform=\"rotate(-90 20 200)\">TTFT, ms (log)</text>\n"
  split("#d62728 #1f77b4", col, " ")
  for (k = 1; k <= ns; k++) {
    a = ""
    for (i = 1; i <= n; i++) if (rt[i] == sname[k]) {
      a = a sprintf("%.1f,%.1f ", px(c[i]), py(p90[i]))
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", px(c[i]), py(p90[i]), col[k]
    }
    printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", a, col[k]
    printf "<circle cx=\"%d\" cy=\"400\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"404\">p90, %s</text>\n", 250 + (k - 1) * 170, col[k], 260 + (k - 1) * 170, sname[k]
  }
  printf "</svg>\n"
}' "$1"
