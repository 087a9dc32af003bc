#!/bin/sh
# cold-start.csv (from sweep.sh) -> SVG on stdout: p90 and p99 TTFT (ms, log) against the cold-start delay
# (s), with the TTFT target (500 ms) as a dashed line.
set -eu
awk -F, '
NR == 1 { next }
{ n++; c[n] = $1; p90[n] = $3; p99[n] = $4
  if (ymin == "" || $3 < ymin) ymin = $3
  if ($4 > ymax) ymax = $4
  if ($1 > xmax) xmax = $1 }
function lx(v) { return log(v) / log(10) }
function px(v) { return 70 + v / xtop * 560 }
function py(v) { return 340 - (lx(v) - lo) / (hi - lo) * 280 }
END {
  xtop = (int(xmax / 100) + (xmax % 100 ? 1 : 0)) * 100
  if (ymin > 500) ymin = 500
  lo = int(lx(ymin)); if (lx(ymin) < lo) lo--; hi = int(lx(ymax)) + 1
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"420\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"720\" height=\"420\" fill=\"white\"/>\n"
  printf "<text x=\"70\" y=\"40\" font-size=\"14\">TTFT under a step burst vs cold-start delay (SLA planner, burst.toml)</text>\n"
  for (e = lo; e <= hi; e++)
    printf "<text x=\"64\" y=\"%.1f\" text-anchor=\"end\">%g</text><line x1=\"70\" y1=\"%.1f\" x2=\"630\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", py(10 ^ e) + 4, 10 ^ e, py(10 ^ e), py(10 ^ e)
  for (t = 0; t <= xtop; t += 100)
    printf "<text x=\"%.1f\" y=\"358\" text-anchor=\"middle\">%d</text><line x1=\"%.1f\" y1=\"340\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(t), t, px(t), px(t)
  printf "<line x1=\"70\" y1=\"340\" x2=\"630\" y2=\"340\" stroke=\"black\"/><line x1=\"70\" y1=\"60\" x2=\"70\" y2=\"340\" stroke=\"black\"/>\n"
  printf "<line x1=\"70\" y1=\"%.1f\" x2=\"630\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"5,4\"/><text x=\"626\" y=\"%.1f\" text-anchor=\"end\">target 500 ms</text>\n", py(500), py(500), py(500) - 5
  printf "<text x=\"350\" y=\"378\" text-anchor=\"middle\">cold-start delay, s</text>\n"
  printf "<text x=\"20\" y=\"200\" text-anchor=\"middle\" transform=\"rotate(-90 20 200)\">TTFT, ms (log)</text>\n"
  a = ""; b = ""
  for (i = 1; i <= n; i++) {
    a = a sprintf("%.1f,%.1f ", px(c[i]), py(p90[i])); b = b sprintf("%.1f,%.1f ", px(c[i]), py(p99[i]))
    printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#9467bd\"/>\n", px(c[i]), py(p90[i]), px(c[i]), py(p99[i])
  }
  printf "<polyline points=\"%s\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/><polyline points=\"%s\" fill=\"none\" stroke=\"#9467bd\" stroke-width=\"1.5\" stroke-dasharray=\"3,3\"/>\n", a, b
  printf "<circle cx=\"400\" cy=\"400\" r=\"4\" fill=\"#d62728\"/><text x=\"410\" y=\"404\">p90</text><circle cx=\"460\" cy=\"400\" r=\"4\" fill=\"#9467bd\"/><text x=\"470\" y=\"404\">p99</text>\n"
  printf "</svg>\n"
}' "$1"
