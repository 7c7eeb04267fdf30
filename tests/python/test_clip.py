"""byzreduce.centered_clip against the C engine bit for bit: the same random
and adversarial inputs go through the binding and through tools/byz-clip
(which calls byz_clip from C); the outputs must be the same bytes.
usage: test_clip.py BYZ_CLIP"""
import os
import subprocess
import sys
import tempfile

from common import check, done, need, raises

need("numpy")
import numpy as np  # noqa: E402

import byzreduce  # noqa: E402

tool = sys.argv[1]
rng = np.random.default_rng(int(os.environ.get("BYZ_TEST_SEED", "20261204"), 0))
tmp = tempfile.mkdtemp()


def engine(v, tau, eps, iters, impl):
    i, o = os.path.join(tmp, "in.npy"), os.path.join(tmp, "out.npy")
    np.save(i, v)
    r = subprocess.run([tool, "--tau", repr(tau), "--eps", repr(eps), "--max-iters",
                        str(iters), "--impl", impl, i, o], capture_output=True, text=True)
    if r.returncode == 3 and "not available" in (r.stderr + r.stdout):
        return None
    check(r.returncode == 0, "byz-clip failed: %s" % r.stderr)
    return np.load(o)


impls = ["ref", "gram", "auto", "avx2", "avx512"]
cases = []
for k, d in [(1, 7), (3, 1), (5, 33), (8, 256), (17, 1000), (64, 129)]:
    v = rng.standard_normal((k, d)).astype(np.float32)
    cases.append(("gauss k=%d d=%d" % (k, d), v, 1.0))
v = rng.standard_normal((9, 64)).astype(np.float32)
v[:3] *= 1e6  # huge outliers
cases.append(("huge rows", v, 0.5))
cases.append(("all equal", np.tile(rng.standard_normal(40).astype(np.float32), (6, 1)), 1.0))
v = rng.standard_normal((7, 50)).astype(np.float32)
v[4:] = -v[4:] * 30  # a Byzantine block
cases.append(("byzantine block", v, 2.0))
n = 0
for name, v, tau in cases:
    for impl in impls:
        want = engine(v, tau, 1e-6, 1000, impl)
        if want is None:
            continue  # this CPU lacks the implementation
        got, info = byzreduce.centered_clip(v, tau, 1e-6, 1000, impl=impl, return_info=True)
        check(got.dtype == np.float32 and got.shape == (v.shape[1],), "%s %s shape" % (name, impl))
        check(got.tobytes() == want.tobytes(),
              "%s impl=%s: binding differs from the C engine (max diff %g)"
              % (name, impl, float(np.max(np.abs(got - want)))))
        n += 1
print("%d (input, implementation) pairs equal to the C engine bit for bit" % n)
check(n >= 3 * len(cases), "too few implementations ran")

# bad input: Python exceptions with a clear message, never a crash
good = rng.standard_normal((4, 8)).astype(np.float32)
raises(TypeError, lambda: byzreduce.centered_clip(good.astype(np.float64), 1.0), "float32",
       "float64 input")
raises(ValueError, lambda: byzreduce.centered_clip(np.asfortranarray(good), 1.0), "contiguous",
       "Fortran order")
raises(ValueError, lambda: byzreduce.centered_clip(good[:, ::2], 1.0), "contiguous", "strided")
bad = good.copy()
bad[2, 3] = np.nan
raises(ValueError, lambda: byzreduce.centered_clip(bad, 1.0), "NaN", "NaN input")
bad[2, 3] = np.inf
raises(ValueError, lambda: byzreduce.centered_clip(bad, 1.0), "Inf", "Inf input")
raises(ValueError, lambda: byzreduce.centered_clip(good[0], 1.0), "shape", "1-D input")
raises(ValueError, lambda: byzreduce.centered_clip(np.zeros((0, 4), np.float32), 1.0), "shape",
       "k = 0")
raises(ValueError, lambda: byzreduce.centered_clip(good, -1.0), "tau", "negative tau")
raises(ValueError, lambda: byzreduce.centered_clip(good, float("nan")), "tau", "NaN tau")
raises(ValueError, lambda: byzreduce.centered_clip(good, 1.0, eps=-1), "eps", "negative eps")
raises(ValueError, lambda: byzreduce.centered_clip(good, 1.0, iters=-2), "iters", "iters < 0")
raises(ValueError, lambda: byzreduce.centered_clip(good, 1.0, impl="fast"), "impl", "bad impl")
raises(TypeError, lambda: byzreduce.centered_clip([[1.0, 2.0]], 1.0), "ndarray", "a list")
done("python-clip")
