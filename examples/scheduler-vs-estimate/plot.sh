#!/bin/sh
# sweep.csv (from sweep.sh) -> SVG on stdout: two panels, TTFT and TPOT (ms, log scale) against concurrency
# (log2 scale). Per backend (colour): replay mean (solid), replay p99 (dotted, TTFT panel), estimate (dashed).
set -eu
awk -F, '
NR == 1 { next }
{
  n++; be[n] = $1; c[n] = $2; tm[n] = $3; t99[n] = $5; pm[n] = $6; et[n] = $11; ep[n] = $12
  if (!($1 in bi)) { bi[$1] = ++nb; bname[nb] = $1 }
  if (cmax == "" || $2 > cmax) cmax = $2
  for (k = 3; k <= 12; k++) if (k == 3 || k == 5 || k == 11) { upd(0, $k) } else if (k == 6 || k == 12) { upd(1, $k) }
}
function upd(p, v) { if (lo[p] == "" || v < lo[p]) lo[p] = v; if (v > hi[p]) hi[p] = v }
function lg(v) { return log(v) / log(10) }
function px(p, v) { return p * 480 + 70 + (log(v) / log(2)) / (log(cmax) / log(2)) * 380 }
function py(p, v) { return 380 - (lg(v) - dlo[p]) / (dhi[p] - dlo[p]) * 320 }
function line(p, key, arr, dash, w,   i, s, col) {
  s = ""
  for (i = 1; i <= n; i++) if (be[i] == key) s = s sprintf("%.1f,%.1f ", px(p, c[i]), py(p, arr[i]))
  printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" %s points=\"%s\"/>\n", color[key], w, dash, s
}
END {
  split("#1f77b4 #d62728 #2ca02c", cols, " ")
  for (b = 1; b <= nb; b++) color[bname[b]] = cols[b]
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"470\" font-family=\"sans-serif\" font-size=\"12\">\n"
  printf "<rect width=\"960\" height=\"470\" fill=\"white\"/>\n"
  title[0] = "TTFT (ms): replay mean, replay p99, estimate"; title[1] = "TPOT (ms): replay mean, estimate"
  for (p = 0; p <= 1; p++) {
    dlo[p] = int(lg(lo[p])); if (lg(lo[p]) < dlo[p]) dlo[p]--; dhi[p] = int(lg(hi[p])) + 1
    printf "<text x=\"%d\" y=\"45\" font-size=\"14\">%s</text>\n", p * 480 + 70, title[p]
    printf "<rect x=\"%d\" y=\"60\" width=\"380\" height=\"320\" fill=\"none\" stroke=\"#444\"/>\n", p * 480 + 70
    for (d = dlo[p]; d <= dhi[p]; d++) {
      y = py(p, 10 ^ d)
      printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", p * 480 + 70, p * 480 + 450, y, y
      printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", p * 480 + 65, y + 4, 10 ^ d
    }
    for (x = 1; x <= cmax; x *= 2)
      printf "<text x=\"%.1f\" y=\"397\" text-anchor=\"middle\">%d</text>\n", px(p, x), x
    printf "<text x=\"%d\" y=\"415\" text-anchor=\"middle\">concurrent requests (one wave)</text>\n", p * 480 + 260
    for (b = 1; b <= nb; b++) {
      k = bname[b]
      if (p == 0) { line(p, k, tm, "", 2); line(p, k, t99, "stroke-dasharray=\"2,3\"", 1.5); line(p, k, et, "stroke-dasharray=\"8,4\"", 2) }
      else { line(p, k, pm, "", 2); line(p, k, ep, "stroke-dasharray=\"8,4\"", 2) }
    }
  }
  for (b = 1; b <= nb; b++)
    printf "<text x=\"%d\" y=\"445\" fill=\"%s\">%s</text>\n", 70 + (b - 1) * 110, color[bname[b]], bname[b]
  printf "<text x=\"420\" y=\"445\">solid: replay mean   dotted: replay p99   dashed: timing-only estimate</text>\n"
  printf "<text x=\"70\" y=\"20\" font-size=\"15\">Llama-3.1-8B, 1 x H100, ISL 1024 / OSL 128: scheduler-aware replay vs static estimate</text>\n"
  printf "</svg>\n"
}' "$1"
