#!/bin/sh
# interval.csv (from sweep.sh) -> SVG on stdout: two panels against the adjustment interval (log): p90 TTFT
# (ms, log) and scaling events (decisions that changed the replica count), one line per cold start.
set -eu
awk -F, '
NR == 1 { next }
{ n++; cs[n] = $1; iv[n] = $2; p90[n] = $4; ev[n] = $7
  if (!($1 in sidx)) { sidx[$1] = ++ns; sname[ns] = $1 }
  if (ymin == "" || $4 < ymin) ymin = $4
  if ($4 > ymax) ymax = $4
  if ($7 > emax) emax = $7
  if (xmin == "" || $2 < xmin) xmin = $2
  if ($2 > xmax) xmax = $2 }
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
  split("#d62728 #1f77b4 #2ca02c", col, " ")
  for (k = 1; k <= ns; k++) {
    a = ""; b = ""
    for (i = 1; i <= n; i++) if (cs[i] == sname[k]) {
      a = a sprintf("%.1f,%.1f ", px(0, iv[i]), pyl(p90[i])); b = b sprintf("%.1f,%.1f ", px(1, iv[i]), pye(ev[i]))
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", px(0, iv[i]), pyl(p90[i]), col[k], px(1, iv[i]), pye(ev[i]), col[k]
    }
    printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/><polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n", a, col[k], b, col[k]
    printf "<rect x=\"%d\" y=\"378\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"388\">cold start %s s</text>\n", 70 + (k - 1) * 160, col[k], 86 + (k - 1) * 160, sname[k]
  }
  printf "</svg>\n"
}' "$1"
