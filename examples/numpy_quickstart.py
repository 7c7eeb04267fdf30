#!/usr/bin/env python3
"""The smallest byzreduce training loop: least squares in NumPy.

    byz-run --peers 4 --byzantine 1 --attack sign-flip examples/numpy_quickstart.py

Every peer builds the same data from BYZ_RUN_SEED, computes its gradient on
the batch the step's public seed selects, hands it in, and applies the
robust aggregate with plain SGD. The validation callback recomputes a
gradient at the parameters of the step it is asked about, so the loop keeps
the parameters of the last steps. Arithmetic is elementwise (NumPy's
pairwise sums, no BLAS threads), so honest peers agree bit for bit.
"""
import argparse
import os
import sys

import numpy as np

import byzreduce

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--dim", type=int, default=32)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--lr", type=float, default=0.1)
ap.add_argument("--until-ban", action="store_true",
                help="stop at the end of the first step that bans a peer")
args = ap.parse_args()

rng = np.random.default_rng(int(os.environ.get("BYZ_RUN_SEED", "1")))
N = 1024
A = rng.standard_normal((N, args.dim))
x_true = rng.standard_normal(args.dim)
b = (A * x_true).sum(axis=1) + 0.01 * rng.standard_normal(N)


def grad(x, seed):
    idx = np.random.default_rng(int.from_bytes(seed[:8], "little")).integers(0, N, args.batch)
    r = (A[idx] * x).sum(axis=1) - b[idx]
    return ((A[idx] * r[:, None]).sum(axis=0) / args.batch).astype(np.float32)


x = np.zeros(args.dim)
hist = {}
t = byzreduce.Trainer.from_env(dim=args.dim)
t.validator = lambda step, seed, out: grad(hist[step], seed)
me = "peer %d%s" % (t.index, " (attacking: %s)" % os.environ["BYZ_ATTACK"]
                    if os.environ.get("BYZ_ATTACK") else "")
print("%s of %d, d = %d" % (me, t.peers, t.dim), flush=True)
for _ in range(args.steps):
    nx = t.next()
    hist[nx.step] = x.copy()
    for old in [s for s in hist if s + 2 < nx.step]:
        del hist[old]
    g = grad(x, nx.seed) if nx.contribute else None
    agg = t.step(g)
    if t.report.updated:
        x = x - args.lr * agg.astype(np.float64)
    print("step %d %s |x - x*| %.4f%s" % (
        nx.step, "contributed" if nx.contribute else "validated",
        float(np.linalg.norm(x - x_true)),
        "".join(" ban %d (%s)" % (bn.peer, bn.reason) for bn in t.report.bans)), flush=True)
    if args.until_ban and t.report.bans:
        break
t.close()
print("done: |x - x*| %.4f" % float(np.linalg.norm(x - x_true)), flush=True)
sys.exit(0)
