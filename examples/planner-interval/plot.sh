#!/bin/sh
# interval.csv (from sweep.sh) -> SVG on stdout: two panels against the adjustment interval (log): p90 TTFT
# (ms, log) and scaling events (decisions that changed the replica count).
set -eu
awk -F, '
NR == 1 { next }
{ n++; iv[n] = $1; p90[n] = $3; ev[n] = $6
  if (ymin == "" || $3 < ymin) ymin = $3
  if ($3 > ymax) ymax = $3
  if ($6 > emax) emax = $6
  if (xmin == "" || $1 < xmin) xmin = $1
  if ($1 > xmax) xmax = $1 }
function lx(v) { return log(v) / log(10) }
function px(p, v) { return p * 360 + 70 + (lx(v) - xlo) / (xhi - xlo) * 260 }
function pyl(v) { return 330 - (lx(v) - lo) / (hi - lo) * 270 }
function pye(v) { return 330 - v / etop * 270 }
END {
  xlo = int(lx(xmin)); if (lx(xmin) < xlo) xlo--; xhi = int(lx(xmax)) + 1
  lo = int(lx(ymin)); if (lx(ymin) < lo) lo--; hi = int(lx(ymax)) + 1
  etop = (int(emax / 10) + 1) * 10
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"400\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"720\" height=\"400\" fill=\"white\"/>\n"
  printf "<text x=\"70\" y=\"40\" font-size=\"14\">TTFT p90, ms (log)</text><text x=\"430\" y=\"40\" font-size=\"14\">scaling events</text>\n"
  for (p = 0; p < 2; p++) {
    printf "<line x1=\"%d\" y1=\"330\" x2=\"%d\" y2=\"330\" stroke=\"black\"/><line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"330\" stroke=\"black\"/>\n", p * 360 + 70, p * 360 + 330, p * 360 + 70, p * 360 + 70
    for (e = xlo; e <= xhi; e++)
      printf "<text x=\"%.1f\" y=\"348\" text-anchor=\"middle\">%g</text><line x1=\"%.1f\" y1=\"330\" x2=\"%.1f\" y2=\"60\" stroke=\"#ddd\"/>\n", px(p, 10 ^ e), 10 ^ e, px(p, 10 ^ e), px(p, 10 ^ e)
    printf "<text x=\"%d\" y=\"368\" text-anchor=\"middle\">adjustment interval, s (log)</text>\n", p * 360 + 200
  }
  for (e = lo; e <= hi; e++)
    printf "<text x=\"64\" y=\"%.1f\" text-anchor=\"end\">%g</text><line x1=\"70\" y1=\"%.1f\" x2=\"330\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", pyl(10 ^ e) + 4, 10 ^ e, pyl(10 ^ e), pyl(10 ^ e)
  for (t = 0; t <= etop; t += etop / 5)
    printf "<text x=\"424\" y=\"%.1f\" text-anchor=\"end\">%d</text><line x1=\"430\" y1=\"%.1f\" x2=\"690\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", pye(t) + 4, t, pye(t), pye(t)
  a = ""; b = ""
  for (i = 1; i <= n; i++) {
    a = a sprintf("%.1f,%.1f ", px(0, iv[i]), pyl(p90[i])); b = b sprintf("%.1f,%.1f ", px(1, iv[i]), pye(ev[i]))
    printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#1f77b4\"/>\n", px(0, iv[i]), pyl(p90[i]), px(1, iv[i]), pye(ev[i])
  }
  printf "<polyline points=\"%s\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/><polyline points=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n", a, b
  printf "</svg>\n"
}' "$1"
