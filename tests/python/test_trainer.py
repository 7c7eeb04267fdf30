"""The Trainer binding with numpy: four trainers in this process
(Trainer.local: ring ports, a library polling thread each), one Python
thread per trainer running a least-squares training loop whose batches come
from the step's public seed; trainer 3 hands in the sign-flipped gradient.
Checked: every honest trainer gets the same aggregate bits and keeps
bit-identical parameters; a step without bans, exclusions or restarts has,
part by part, the aggregate byzreduce.centered_clip (the aggregators' Gram
path) gives for the contributors' gradients; the sign flipper is banned and
the ban reaches the script; bad input raises a clear Python exception before
C is called, and the step it was meant for still runs."""
import errno
import sys
import threading

from common import check, done, need, raises

need("numpy")
import numpy as np  # noqa: E402

import byzreduce  # noqa: E402

N, D, STEPS, BYZ, LR = 4, 48, 8, 3, 0.05
XSTAR = np.linspace(-1, 1, D).astype(np.float32)


def grad(x, seed):
    """Least squares on a batch that the seed alone determines."""
    rng = np.random.default_rng(int.from_bytes(seed[:8], "little"))
    a = rng.uniform(-1, 1, (16, D)).astype(np.float32)
    b = a @ XSTAR
    return (a.T @ (a @ x - b) / 16).astype(np.float32)


class Player:
    def __init__(self, t):
        self.t = t
        self.x = {0: np.zeros(D, np.float32)}
        self.g, self.agg, self.rep, self.err = {}, {}, {}, None
        t.validator = lambda step, seed, out: out.__setitem__(slice(None),
                                                              grad(self.x[step], seed))

    def run(self):
        try:
            for s in range(STEPS):
                nx = self.t.next(timeout=30)
                assert nx.step == s, (nx.step, s)
                g = None
                if nx.contribute:
                    g = grad(self.x[s], nx.seed)
                    if self.t.index == BYZ:
                        g = -g
                    if self.t.index == 0 and s == 0:
                        self.bad_input(g)
                self.g[s] = g
                out = np.empty(D, np.float32)
                agg = self.t.step(g, out=out)
                assert agg is out
                self.agg[s], self.rep[s] = agg, self.t.report
                self.x[s + 1] = self.x[s] - np.float32(LR) * agg if self.t.report.updated \
                    else self.x[s]
        except Exception as e:  # reported by the main thread
            self.err = e

    def bad_input(self, g):
        t = self.t
        raises(TypeError, lambda: t.submit(g.astype(np.float64)), "float32", "float64 grad")
        raises(TypeError, lambda: t.submit(list(g)), "ndarray", "list grad")
        raises(ValueError, lambda: t.submit(np.repeat(g, 2)[::2]), "contiguous", "strided")
        raises(ValueError, lambda: t.submit(g[:-1]), "expected %d elements" % D, "short")
        raises(ValueError, lambda: t.submit(np.append(g, g[:1])), "expected", "long")
        bad = g.copy()
        bad[5] = np.nan
        raises(ValueError, lambda: t.submit(bad), "NaN or Inf (first at index 5)", "NaN")
        bad[5] = -np.inf
        raises(ValueError, lambda: t.submit(bad), "NaN or Inf", "-Inf")
        raises(ValueError, lambda: t.submit(None), "asks for a gradient", "None")
        raises(ValueError, lambda: t.step(g, out=np.empty(D, np.float64)), "out", "bad out")
        raises(ValueError, lambda: t.step(g, out=np.empty(D - 1, np.float32)), "out", "short out")
        raises(RuntimeError, lambda: t.wait(timeout=0.01), "nothing submitted", "wait first")


# Long phases and a short GIL switch interval: the library threads call the
# validator in Python, and every message must meet its phase deadline (a
# message that arrives late at some peers only can split their views).
sys.setswitchinterval(0.0005)
ts = byzreduce.Trainer.local(N, D, seed=11, phase_us=200000)
players = [Player(t) for t in ts]
check([t.index for t in ts] == list(range(N)) and all(t.dim == D and t.peers == N for t in ts),
      "indices and sizes")
raises(byzreduce.ByzError, lambda: byzreduce.Trainer.local(2, D), "local swarm",
       "a second local swarm")
th = [threading.Thread(target=p.run) for p in players]
for x in th:
    x.start()
for x in th:
    x.join()
for i, p in enumerate(players):
    check(p.err is None, "trainer %d: %r" % (i, p.err))
if not any(p.err for p in players):
    ban_step, clean = None, 0
    banned = False
    for s in range(STEPS):
        r0 = players[0].rep[s]
        for p in players[1:BYZ]:
            check(p.agg[s].tobytes() == players[0].agg[s].tobytes(), "step %d: aggregates" % s)
            check(p.x[s + 1].tobytes() == players[0].x[s + 1].tobytes(), "step %d: params" % s)
            check([b.peer for b in p.rep[s].bans] == [b.peer for b in r0.bans], "step %d bans" % s)
        for p in players[:BYZ]:
            check(all(b.peer == BYZ for b in p.rep[s].bans), "step %d: honest banned" % s)
        if any(b.peer == BYZ for b in r0.bans):
            ban_step = s if ban_step is None else ban_step
            check(r0.bans[0].reason == "gradient", "reason %s" % r0.bans[0].reason)
        kinds = {e.kind for e in r0.events}
        if r0.updated and not kinds & {"ban", "silent", "restart"}:
            contrib = [i for i in range(N) if players[i].rep[s].contributed
                       and not (i == BYZ and banned)]
            k = len(contrib)
            L = -(-D // k)
            want = np.empty(D, np.float32)
            for j in range(k):
                parts = np.zeros((k, L), np.float32)
                for m, i in enumerate(contrib):
                    seg = players[i].g[s][j * L:(j + 1) * L]
                    parts[m, :len(seg)] = seg
                # the run constants of byz_run_defaults (tau 10, eps 1e-5, 10^6 iterations)
                y = byzreduce.centered_clip(parts, 10.0, 1e-5, 1000000, impl="gram")
                n = min(L, D - j * L)
                if n > 0:
                    want[j * L:j * L + n] = y[:n]
            check(want.tobytes() == players[0].agg[s].tobytes(),
                  "step %d: aggregate != centered_clip of the inputs" % s)
            clean += 1
        banned = banned or ban_step is not None
        print("step %d: %r" % (s, r0), flush=True)
    print("sign flipper banned at step %s; %d steps equal centered_clip of the inputs"
          % (ban_step, clean))
    check(ban_step is not None, "the sign flipper was not banned")
    check(clean >= 2, "too few steps checked against centered_clip")
for t in ts:
    t.close()
raises(RuntimeError, lambda: ts[0].submit(np.zeros(D, np.float32)), "closed", "closed trainer")
raises(RuntimeError, lambda: ts[0].next(), "closed", "next after close")
ts[0].close()  # twice is fine
raises(byzreduce.ByzError, lambda: byzreduce.Trainer("/nonexistent/node.conf"), "nonexistent",
       "missing config")
raises(TypeError, lambda: byzreduce.Trainer(42), "path", "config not a path")
check(errno.ECANCELED > 0, "errno")
done("python-trainer")
