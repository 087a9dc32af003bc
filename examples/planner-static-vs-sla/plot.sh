#!/bin/sh
# static-vs-sla.csv (from sweep.sh) -> SVG on stdout: p90 TTFT (log) against GPU-hours; the static fleets
# as a line labelled by worker count, each planner as its own marker.
set -eu
awk -F, '
NR == 1 { next }
{ n++; cfg[n] = $1; w[n] = $2; gh[n] = $3; p90[n] = $5
  if ($3 > xmax) xmax = $3
  if (ymin == "" || $5 < ymin) ymin = $5
  if ($5 > ymax) ymax = $5 }
function lx(v) { return log(v) / log(10) }
function px(v) { return 70 + v / xtop * 560 }
function py(v) { return 360 - (lx(v) - lo) / (hi - lo) * 300 }
END {
  xtop = (int(xmax * 4) + 1) / 4
  lo = int(lx(ymin)); if (lx(ymin) < lo) lo--; hi = int(lx(ymax)) + 1
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"720\" height=\"440\" fill=\"white\"/>\n"
  printf "<text x=\"70\" y=\"40\" font-size=\"14\">p90 TTFT vs GPU-hours: static fleets and planners</text>\n"
  for (e = lo; e <= hi; e++)
    printf "<text x=\"64\" y=\"%.1f\" text-anchor=\"end\">%g</text><line x1=\"70\" y1=\"%.1f\" x2=\"630\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", py(10 ^ e) + 4, 10 ^ e, py(10 ^ e), py(10 ^ e)
  for (t = 0; t <= xtop + 1e-9; t += 0.25)
    printf "<text x=\"%.1f\" y=\"378\" text-anchor=\"middle\">%.2f</text><line x1=\"%.1f\" y1=\"360\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(t), t, px(t), px(t)
  printf "<line x1=\"70\" y1=\"360\" x2=\"630\" y2=\"360\" stroke=\"black\"/><line x1=\"70\" y1=\"60\" x2=\"70\" y2=\"360\" stroke=\"black\"/>\n"
  printf "<text x=\"350\" y=\"398\" text-anchor=\"middle\">GPU-hours</text>\n"
  printf "<text x=\"20\" y=\"210\" text-anchor=\"middle\" transform=\"rotate(-90 20 210)\">TTFT p90, ms (log)</text>\n"
  pts = ""
  for (i = 1; i <= n; i++) if (cfg[i] == "static") {
    pts = pts sprintf("%.1f,%.1f ", px(gh[i]), py(p90[i]))
    printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1f77b4\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#1f77b4\">%s</text>\n", px(gh[i]), py(p90[i]), px(gh[i]) + 6, py(p90[i]) - 6, w[i]
  }
  printf "<polyline points=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n", pts
  split("#d62728 #ff7f0e #9467bd #2ca02c", col, " "); k = 0
  for (i = 1; i <= n; i++) if (cfg[i] != "static") {
    k++; label = cfg[i]; gsub(/</, "\\&lt;", label)
    # planners land close together: their labels go in a column at the right, joined by a thin line
    printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\"/>\n", px(gh[i]) - 4.5, py(p90[i]) - 4.5, col[k]
    printf "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"560\" y2=\"%d\" stroke=\"%s\" stroke-width=\"0.5\"/><text x=\"564\" y=\"%d\" fill=\"%s\">%s</text>\n", px(gh[i]), py(p90[i]), 70 + 16 * k, col[k], 74 + 16 * k, col[k], label
  }
  printf "<circle cx=\"480\" cy=\"420\" r=\"4\" fill=\"#1f77b4\"/><text x=\"490\" y=\"424\">static fleet (label: workers)</text>\n"
  printf "</svg>\n"
}' "$1"
