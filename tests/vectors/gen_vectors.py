#!/usr/bin/python3
"""Known-answer vectors for byzreduce's aggregators, from an independent NumPy
reference (float64 math on float32 inputs).

Run with Debian's /usr/bin/python3 (numpy 1.24) from anywhere:
    /usr/bin/python3 tests/vectors/gen_vectors.py [OUTDIR]
It rewrites OUTDIR (default: this script's folder) byte-identically: seeded
PCG64 data, no BLAS (plain elementwise sums), and repr() for every float.

Files per case NAME:
  NAME.in.npy           k x d float32 inputs
  NAME.<agg>.npy        d float32 expected output of aggregator <agg>
  NAME.cclip-star.npy   d float32: CenteredClip's fixed point (iterated far past eps;
                        only for runs that converged)
manifest.txt: one record per line, "kind key=value ...":
  case   name k d tau eps max_iters f m geomed_eps geomed_iters geomed_nu
  expect agg=NAME file=...        an aggregator defined for this case
  reject agg=NAME                 an aggregator whose parameters are invalid here (-EINVAL)
  cclip  iters residual clipped [star_err] dist=a,b,...  (iters: updates of y, the last
         one of norm <= eps unless capped; residual, clipped, dist at the float32
         output; star_err = ||out - fixed point||_2 when converged)
  geomed iters residual           (residual = norm of the last Weiszfeld step)
  krum   selected scores=a,b,...
  multikrum selected
Every record's numbers come from this file's code, never from the C code.
"""
import os
import sys

import numpy as np

F32 = np.float32
F64 = np.float64


def norm(x):
    # No BLAS: np.linalg.norm may call a dot kernel whose rounding differs by machine.
    return float(np.sqrt(np.sum(x * x)))


def lower_median(v):
    k = v.shape[0]
    return np.sort(v, axis=0, kind="stable")[(k - 1) // 2].astype(F32)


def mean(v):
    return v.astype(F64).sum(axis=0) / v.shape[0]


def trimmed_mean(v, f):
    s = np.sort(v.astype(F64), axis=0, kind="stable")
    return s[f:v.shape[0] - f].sum(axis=0) / (v.shape[0] - 2 * f)


def clip_residual(v64, y, tau):
    """r(y) = (1/k) sum_i min(1, tau/||v_i - y||)(v_i - y); returns (r, dist)."""
    diff = v64 - y
    dist = np.sqrt(np.sum(diff * diff, axis=1))
    w = np.ones_like(dist)
    far = dist > tau
    w[far] = tau / dist[far]
    return (w[:, None] * diff).sum(axis=0) / v64.shape[0], dist


def cclip(v, tau, eps, max_iters):
    """From the lower median: y += r(y), counting updates; stop after an update
    with ||r|| <= eps or after max_iters updates (0: the median itself).
    Returns y (float64), iterations, and the norms of the last two updates."""
    v64 = v.astype(F64)
    y = lower_median(v).astype(F64)
    it = 0
    rn = prev = None
    while it < max_iters:
        r, _ = clip_residual(v64, y, tau)
        prev, rn = rn, norm(r)
        y = y + r
        it += 1
        if rn <= eps:
            break
    return y, it, rn, prev


def cclip_star(v, y, tau, scale):
    """Keep iterating far past eps: the fixed point to float64 accuracy."""
    v64 = v.astype(F64)
    for _ in range(2000000):
        r, _ = clip_residual(v64, y, tau)
        if norm(r) <= 1e-13 * scale:
            return y
        y = y + r
    raise SystemExit("cclip_star did not converge")


def geomed(v, eps, iters, nu):
    """Smoothed Weiszfeld from the lower median: y <- sum w_i v_i / sum w_i with
    w_i = 1/max(nu, ||v_i - y||); stop after a step of norm <= eps or iters steps."""
    v64 = v.astype(F64)
    y = lower_median(v).astype(F64)
    step = 0.0
    prev = None
    it = 0
    while it < iters:
        diff = v64 - y
        dist = np.sqrt(np.sum(diff * diff, axis=1))
        w = 1.0 / np.maximum(dist, nu)
        ynew = (w[:, None] * v64).sum(axis=0) / w.sum()
        prev = step if it else None
        step = norm(ynew - y)
        y = ynew
        it += 1
        if step <= eps:
            break
    return y, it, step, prev


def krum_scores(v, f):
    k = v.shape[0]
    v64 = v.astype(F64)
    d2 = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            diff = v64[i] - v64[j]
            d2[i, j] = np.sum(diff * diff)
    scores = np.zeros(k)
    for i in range(k):
        others = np.sort(np.delete(d2[i], i), kind="stable")
        scores[i] = others[:k - f - 2].sum()
    return scores


def ranked(scores):
    # Lowest score first, ties to the lowest index.
    return sorted(range(len(scores)), key=lambda i: (scores[i], i))


def assert_margin(what, a, b, rel=1e-6):
    if abs(a - b) <= rel * max(abs(a), abs(b)):
        raise SystemExit("borderline %s: %r vs %r; change the case" % (what, a, b))


def fmt(x):
    return repr(float(x))


def make_cases():
    """(name, inputs, tau, eps, max_iters, f, m). Seeds fixed per case."""
    cases = []

    def rng(seed):
        return np.random.default_rng(seed)

    r = rng(1)
    cases.append(("gauss_k5_d37", r.standard_normal((5, 37)), 1.0, 1e-6, 1000, 1, 0))
    r = rng(2)
    mu = r.standard_normal(100)
    cases.append(("tight_k8_d100", mu + 0.1 * r.standard_normal((8, 100)), 0.5, 1e-6, 1000, 2, 3))
    r = rng(3)
    v = 1.0 + 0.3 * r.standard_normal((7, 37))
    v[4] = 1e4 * r.standard_normal(37)
    cases.append(("outlier_k7_d37", v, 1.0, 1e-6, 1000, 2, 0))
    r = rng(4)
    v = 0.2 * r.standard_normal((10, 100))
    v[5:] += 1000.0  # half of the inputs far away, on one side: drifts, hits the cap
    cases.append(("halffar_k10_d100", v, 1.0, 1e-6, 300, 3, 0))
    r = rng(5)
    row = r.standard_normal(37)
    cases.append(("allequal_k6_d37", np.tile(row, (6, 1)), 1.0, 1e-6, 1000, 1, 0))
    r = rng(6)
    # Every input clipped (tau ~ 1/90 of the spread): slow, many iterations.
    cases.append(("smalltau_k9_d1000", 0.1 * r.standard_normal((9, 1000)), 0.05, 1e-6, 20000, 3, 0))
    r = rng(7)
    cases.append(("hugetau_k4_d100", 5.0 * r.standard_normal((4, 100)), 1e6, 1e-6, 1000, 1, 0))
    r = rng(8)
    mu = r.standard_normal(1000)
    v = mu + 0.5 * r.standard_normal((15, 1000))
    v[12:] = -1000.0 * mu  # three sign-flip attackers
    cases.append(("signflip_k15_d1000", v, 10.0, 1e-5, 1000, 4, 0))
    r = rng(9)
    cases.append(("cap_k6_d100", r.standard_normal((6, 100)), 0.05, 1e-12, 7, 1, 2))
    r = rng(10)
    cases.append(("single_k1_d37", r.standard_normal((1, 37)), 1.0, 1e-6, 1000, 0, 0))
    return [(n, np.asarray(v, dtype=F32), tau, eps, it, f, m) for (n, v, tau, eps, it, f, m) in cases]


GEOMED_EPS = 1e-6
GEOMED_ITERS = 1000
GEOMED_NU = 1e-6


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    lines = ["# byzreduce known-answer vectors: written by gen_vectors.py, do not edit"]
    for name, v, tau, eps, max_iters, f, m in make_cases():
        k, d = v.shape
        np.save(os.path.join(out, name + ".in.npy"), v)
        lines.append("case name=%s k=%d d=%d tau=%s eps=%s max_iters=%d f=%d m=%d "
                     "geomed_eps=%s geomed_iters=%d geomed_nu=%s"
                     % (name, k, d, fmt(tau), fmt(eps), max_iters, f, m,
                        fmt(GEOMED_EPS), GEOMED_ITERS, fmt(GEOMED_NU)))
        results = {}
        scale = float(np.max(np.abs(v.astype(F64))))

        # CenteredClip
        y, it, rn, prev = cclip(v, tau, eps, max_iters)
        converged = rn is not None and rn <= eps
        if rn is not None and rn > 0:
            assert_margin("cclip last step", rn, eps)
        if prev is not None:
            assert_margin("cclip previous step", prev, eps)
        y32 = y.astype(F32)
        r32, dist = clip_residual(v.astype(F64), y32.astype(F64), tau)
        for di in dist:
            if di > 0:
                assert_margin("cclip distance vs tau", di, tau)
        results["cclip"] = y32
        star = ""
        if converged:
            ystar = cclip_star(v, y.copy(), tau, max(scale, 1.0))
            np.save(os.path.join(out, name + ".cclip-star.npy"), ystar.astype(F32))
            star = " star_err=%s" % fmt(norm(y32.astype(F64) - ystar))
        lines.append("cclip iters=%d residual=%s clipped=%d%s dist=%s"
                     % (it, fmt(norm(r32)), int(np.sum(dist > tau)), star,
                        ",".join(fmt(x) for x in dist)))

        results["mean"] = mean(v).astype(F32)
        results["median"] = lower_median(v)
        if k > 2 * f:
            results["trimmed-mean"] = trimmed_mean(v, f).astype(F32)

        g, git, gstep, gprev = geomed(v, GEOMED_EPS, GEOMED_ITERS, GEOMED_NU)
        if git < GEOMED_ITERS:
            assert_margin("geomed stop", gstep, GEOMED_EPS)
        if gprev is not None:
            assert_margin("geomed previous step", gprev, GEOMED_EPS)
        results["geomed"] = g.astype(F32)
        lines.append("geomed iters=%d residual=%s" % (git, fmt(gstep)))

        if k > 2 * f + 2:
            scores = krum_scores(v, f)
            order = ranked(scores)
            if scores[order[0]] != scores[order[1]]:
                assert_margin("krum best score", scores[order[0]], scores[order[1]], 1e-9)
            results["krum"] = v[order[0]].copy()
            lines.append("krum selected=%d scores=%s"
                         % (order[0], ",".join(fmt(x) for x in scores)))
            mm = m if m else k - f
            if mm < k and scores[order[mm - 1]] != scores[order[mm]]:
                assert_margin("multikrum cut", scores[order[mm - 1]], scores[order[mm]], 1e-9)
            results["multikrum"] = mean(v[sorted(order[:mm])]).astype(F32)
            lines.append("multikrum selected=%d" % mm)

        for agg in ("cclip", "mean", "median", "trimmed-mean", "geomed", "krum", "multikrum"):
            if agg in results:
                fn = "%s.%s.npy" % (name, agg)
                np.save(os.path.join(out, fn), results[agg])
                lines.append("expect agg=%s file=%s" % (agg, fn))
            else:
                lines.append("reject agg=%s" % agg)
    with open(os.path.join(out, "manifest.txt"), "w") as fp:
        fp.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
