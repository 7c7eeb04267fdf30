#!/usr/bin/env python3
"""Held-out accuracy against step, from the --csv files of
examples/torch_fashion_mnist.py, as one SVG (no plotting library needed).

    examples/plot_curves.py OUT.svg LABEL=FILE.csv [LABEL=FILE.csv ...]

LABEL=A.csv+B.csv+... plots the mean accuracy of several runs (seeds) at
each step they all have.
"""
import csv
import math
import sys

if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
    sys.exit(__doc__.strip())
series = []
for arg in sys.argv[2:]:
    label, paths = arg.split("=", 1)
    runs = []
    for path in paths.split("+"):
        with open(path) as f:
            runs.append({int(r["step"]): float(r["accuracy"]) for r in csv.DictReader(f)})
    steps = sorted(set.intersection(*(set(r) for r in runs)))
    rows = [(s, sum(r[s] for r in runs) / len(runs)) for s in steps]
    series.append((label, rows))
W, H, L, B, T, R = 760, 400, 60, 50, 20, 310
xmax = max(s for _, rows in series for s, _ in rows)
colors = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]


def X(s):
    return L + (W - L - R) * s / xmax


def Y(a):
    return T + (H - T - B) * (1 - a)


out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
       'font-family="sans-serif" font-size="12">' % (W, H),
       '<rect width="100%" height="100%" fill="white"/>']
for i in range(6):
    a = i / 5
    out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (L, Y(a), W - R, Y(a)))
    out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (L - 6, Y(a) + 4, a))
for i in range(5):
    s = round(xmax * i / 4)
    out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(s), H - B + 18, s))
out.append('<text x="%d" y="%d" text-anchor="middle">step</text>' % ((L + W - R) / 2, H - 10))
out.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">'
           'held-out accuracy</text>' % ((T + H - B) / 2, (T + H - B) / 2))
for k, (label, rows) in enumerate(series):
    c = colors[k % len(colors)]
    pts = " ".join("%.1f,%.1f" % (X(s), Y(a if math.isfinite(a) else 0)) for s, a in rows)
    out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, pts))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>'
               % (W - R + 10, T + 10 + 18 * k, W - R + 30, T + 10 + 18 * k, c))
    out.append('<text x="%d" y="%d">%s</text>' % (W - R + 36, T + 14 + 18 * k, label))
out.append("</svg>")
with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
