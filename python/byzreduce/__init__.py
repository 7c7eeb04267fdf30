"""byzreduce for Python: Byzantine-robust gradient aggregation in your own
training loop (include/byz/trainer.h; docs/trainer.md is the guide).

    import byzreduce
    with byzreduce.Trainer("node.conf") as t:
        t.validator = my_grad_at_step           # (step, seed, out) -> None
        while True:
            nx = t.next()                       # step, contribute, seed
            g = my_gradient(params, nx.seed) if nx.contribute else None
            agg = t.step(g)                     # float32, same kind as g
            for b in t.report.bans: print(b)
            params -= lr * agg                  # your optimizer

Arrays: numpy.ndarray or torch.Tensor, float32, C-contiguous, d elements, on
the CPU, finite. They are passed to C without copies; anything else raises
TypeError or ValueError before C is called. byzreduce.torch has the PyTorch
optimizer wrapper.
"""
import errno as _errno
import sys as _sys
import threading as _threading
import traceback as _traceback
from collections import namedtuple as _nt

import ctypes as _ct

from . import _lib

__all__ = ["Trainer", "ByzError", "centered_clip", "StepInfo", "Report", "Ban",
           "EVENT_NAMES", "attack", "ATTACKS"]

EVENT_NAMES = {1: "step-done", 2: "ban", 3: "silent", 4: "left", 5: "restart",
               6: "accuse", 7: "skipped", 8: "joined", 9: "active", 10: "out-of-sync",
               11: "resynced", 12: "late", 13: "halt", 14: "tx-stall"}
_EV_BAN, _EV_SILENT = 2, 3

StepInfo = _nt("StepInfo", "step contribute seed")
StepInfo.__doc__ = "What a step asks: contribute=True: hand in the gradient on the batch of seed."
Ban = _nt("Ban", "peer reason accuser step")
Event = _nt("Event", "kind step attempt peer accuser reason")


class ByzError(RuntimeError):
    """A byzreduce call failed; .code is the negative errno-style code."""

    def __init__(self, code, what):
        self.code = code
        RuntimeError.__init__(self, "%s: %s (%d)" % (what, _lib.strerror(code).decode(), code))


def _raise(code, what):
    if code == -_errno.ETIMEDOUT:
        raise TimeoutError("%s: timed out" % what)
    if code == -_errno.ECANCELED:
        raise RuntimeError("%s: the trainer is closed" % what)
    if code == -_errno.ECONNABORTED:
        e = ByzError(code, what)
        e.args = ("%s: this peer's node halted (late too often, or no re-sync in time): it "
                  "decides no more steps" % what,)
        raise e
    raise ByzError(code, what)


class Report:
    """What one step decided (struct byz_trainer_report, as Python values)."""

    def __init__(self, r):
        self.step = int(r.step)
        self.updated = bool(r.updated)
        self.contributed = bool(r.contributed)
        self.digest = bytes(r.digest)
        self.next = StepInfo(int(r.next.step), bool(r.next.contribute), bytes(r.next.seed))
        self.events_lost = int(r.events_lost)
        self.events = [Event(EVENT_NAMES.get(e.kind, str(e.kind)), int(e.step), int(e.attempt),
                             int(e.peer), int(e.accuser), int(e.reason))
                       for e in r.events[:r.nevents]]
        self.bans = [Ban(int(e.peer), _lib.ban_reason_name(e.reason).decode(), int(e.accuser),
                         int(e.step))
                     for e in r.events[:r.nevents] if e.kind == _EV_BAN]
        self.excluded = [int(e.peer) for e in r.events[:r.nevents] if e.kind == _EV_SILENT]

    def __repr__(self):
        return ("Report(step=%d, updated=%s, contributed=%s, bans=%r, excluded=%r)"
                % (self.step, self.updated, self.contributed, self.bans, self.excluded))


# ------------------------------------------------------------------ arrays

def _torch():
    return _sys.modules.get("torch")  # only if the caller imported it


def _is_tensor(x):
    t = _torch()
    return t is not None and isinstance(x, t.Tensor)


def _check_vec(x, d, what):
    """(pointer, kind) of a float32 C-contiguous finite CPU vector of d elements."""
    if _is_tensor(x):
        t = _torch()
        if x.dtype != t.float32:
            raise TypeError("%s: dtype must be torch.float32, got %s" % (what, x.dtype))
        if x.device.type != "cpu":
            raise ValueError("%s: tensor must be on the CPU, got device %s" % (what, x.device))
        if not x.is_contiguous():
            raise ValueError("%s: tensor is not contiguous (call .contiguous())" % what)
        if x.numel() != d:
            raise ValueError("%s: expected %d elements, got %d" % (what, d, x.numel()))
        x = x.detach()
        _check_finite(x.numpy(), what)  # a view: same memory
        return x.data_ptr(), "torch"
    np = _sys.modules.get("numpy")
    if np is None:
        import numpy as np
    if not isinstance(x, np.ndarray):
        raise TypeError("%s: expected a numpy.ndarray or torch.Tensor, got %s"
                        % (what, type(x).__name__))
    if x.dtype != np.float32:
        raise TypeError("%s: dtype must be float32, got %s" % (what, x.dtype))
    if not x.flags.c_contiguous:
        raise ValueError("%s: array is not C-contiguous (use numpy.ascontiguousarray)" % what)
    if x.size != d:
        raise ValueError("%s: expected %d elements, got %d" % (what, d, x.size))
    _check_finite(x, what)
    return x.ctypes.data, "numpy"


def _check_finite(a, what):
    """ValueError naming the first NaN or Inf of @p a. A finite sum proves
    every element finite (NaN and Inf propagate through addition), so the
    element-wise pass runs only when the sum is not (a bad value, or overflow)."""
    import numpy as np
    a = a.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, dtype=np.float32)):
            return
    fin = np.isfinite(a)
    if not fin.all():
        raise ValueError("%s: holds NaN or Inf (first at index %d)" % (what, int(np.argmin(fin))))


def _out_vec(out, d, kind):
    """A writable float32 vector of d elements: @p out checked, or a new one."""
    if out is None:
        if kind == "torch":
            out = _torch().empty(d, dtype=_torch().float32)
        else:
            import numpy as np
            out = np.empty(d, dtype=np.float32)
    if _is_tensor(out):
        t = _torch()
        if out.dtype != t.float32 or out.device.type != "cpu" or not out.is_contiguous() \
                or out.numel() != d:
            raise ValueError("out: must be a contiguous CPU float32 tensor of %d elements" % d)
        return out, out.data_ptr()
    import numpy as np
    if not isinstance(out, np.ndarray) or out.dtype != np.float32 or \
            not out.flags.c_contiguous or not out.flags.writeable or out.size != d:
        raise ValueError("out: must be a writable C-contiguous float32 array of %d elements" % d)
    return out, out.ctypes.data


# ----------------------------------------------------------------- trainer

class Trainer:
    """One byzreduce peer fed by your training loop (byz/trainer.h).

    Trainer(config_path) brings up DPDK (EAL, mbuf pool, port) from a byzd
    config file. Trainer.local(n, d) makes n trainers in this process over
    ring ports (tests, first steps). Set .validator before the first step:
    validator(step, seed, out) fills out (numpy float32, d) with your
    gradient at your parameters of that step on the batch of seed.
    Exceptions raised in it are printed and the library does not accuse.
    """

    def __init__(self, config=None, validator=None, _local=False):
        self._h = None
        self._lock = _threading.Lock()
        self.validator = validator
        self.report = None
        self._kind = "numpy"
        self._cb = _lib.GRAD_FN(self._on_validate)
        if _local:
            return
        if not isinstance(config, (str, bytes)):
            raise TypeError("config: expected a path to a byzd config file")
        path = config.encode() if isinstance(config, str) else config
        why = _ct.create_string_buffer(512)
        err = _ct.c_int(0)
        h = _lib.trainer_open(path, self._cb, None, why, len(why), _ct.byref(err))
        if not h:
            raise ByzError(err.value, "open %s: %s" % (config, why.value.decode(errors="replace")))
        self._attach(h)

    def _attach(self, h):
        self._h = h
        self.dim = int(_lib.trainer_dim(h))
        self.index = int(_lib.trainer_self(h))
        self.peers = int(_lib.trainer_peers(h))

    @classmethod
    def local(cls, n, d, seed=1, phase_us=50000):
        """n trainers in this process over an in-process ring fabric."""
        if not 2 <= n <= 64 or d <= 0:
            raise ValueError("local: need 2 <= n <= 64 and d > 0")
        ts = [cls(_local=True) for _ in range(n)]
        fns = (_lib.GRAD_FN * n)(*[t._cb for t in ts])
        ctx = (_ct.c_void_p * n)()
        out = (_ct.c_void_p * n)()
        r = _lib.trainer_local(n, d, seed, phase_us, fns, ctx, out)
        if r:
            _raise(r, "local swarm")
        for t, h in zip(ts, out):
            t._attach(h)
        return ts

    # the library's polling thread calls this (ctypes takes the GIL)
    def _on_validate(self, ctx, step, seed, g, d):
        try:
            fn = self.validator
            if fn is None:
                return -_errno.ENOSYS
            import numpy as np
            out = np.ctypeslib.as_array(g, shape=(d,))
            r = fn(int(step), bytes(seed[:32]), out)
            if r is not None and r is not out:
                out[:] = np.asarray(r, dtype=np.float32).reshape(-1)
            return 0
        except BaseException:  # never let an exception unwind into C
            _traceback.print_exc()
            return -_errno.EIO

    def _handle(self, what):
        if self._h is None:
            raise RuntimeError("%s: the trainer is closed" % what)
        return self._h

    def next(self, timeout=None):
        """Wait until the next step's role is known; returns a StepInfo."""
        nx = _lib.Next()
        tmo = 2**64 - 1 if timeout is None else int(timeout * 1e9)
        with self._lock:
            r = _lib.trainer_next(self._handle("next"), _ct.byref(nx), tmo)
        if r:
            _raise(r, "next")
        return StepInfo(int(nx.step), bool(nx.contribute), bytes(nx.seed))

    @classmethod
    def from_env(cls, dim=None, validator=None):
        """The trainer byz-run prepared for this process: the byzd config in
        $BYZ_CONFIG, with its [protocol] d set to @p dim when given (the
        model's parameter count, which only the script knows) and, under
        byz-run, its start time agreed once every peer has reached this call;
        on a peer
        byz-run made Byzantine, $BYZ_ATTACK names the gradient attack applied
        to every gradient handed in (see attack())."""
        import os
        path = os.environ.get("BYZ_CONFIG")
        if not path:
            raise RuntimeError("Trainer.from_env: BYZ_CONFIG is not set (start the script "
                               "with byz-run, or pass a byzd config to Trainer())")
        proto, top = {}, {}
        if dim is not None:
            if int(dim) <= 0:
                raise ValueError("dim: expected a positive parameter count, got %d" % int(dim))
            proto["d"] = int(dim)
        if os.environ.get("BYZ_RUN_DIR") and os.environ.get("BYZ_PEER") is not None:
            top["start_time"] = _rendezvous(os.environ["BYZ_RUN_DIR"], os.environ["BYZ_PEER"],
                                            float(os.environ.get("BYZ_RUN_READY_TIMEOUT", "600")))
        if proto or top:
            path = _config_with(path, top, proto)
        t = cls(path, validator)
        name = os.environ.get("BYZ_ATTACK", "")
        if name:
            t.attack = attack(name, seed=int(os.environ.get("BYZ_RUN_SEED", "1")))
        return t

    attack = None
    """None, or a function gradient -> gradient applied by submit() before the
    gradient is handed in (a Byzantine peer of byz-run)."""

    def submit(self, grad):
        """Hand in this step's gradient (None when it asks none); does not wait."""
        h = self._handle("submit")
        if grad is not None and self.attack is not None:
            grad = self.attack(grad)
        if grad is None:
            ptr = None
        else:
            ptr, self._kind = _check_vec(grad, self.dim, "gradient")
        r = _lib.trainer_submit(h, ptr)
        if r == -_errno.EINVAL and grad is None:
            raise ValueError("gradient: this step asks for a gradient (next().contribute), got None")
        if r:
            _raise(r, "submit")

    def _collect(self, r, rep, out, what):
        if r == -_errno.EAGAIN:
            return None
        if r == -_errno.EINVAL:
            raise RuntimeError("%s: nothing submitted" % what)
        if r:
            _raise(r, what)
        self.report = Report(rep)
        return out

    def poll(self, out=None):
        """The aggregate if the submitted step is decided, else None."""
        h = self._handle("poll")
        out, p = _out_vec(out, self.dim, self._kind)
        rep = _lib.Report()
        return self._collect(_lib.trainer_poll(h, p, _ct.byref(rep)), rep, out, "poll")

    def wait(self, out=None, timeout=None):
        """Wait for the submitted step's aggregate (float32, d)."""
        h = self._handle("wait")
        out, p = _out_vec(out, self.dim, self._kind)
        rep = _lib.Report()
        tmo = 2**64 - 1 if timeout is None else int(timeout * 1e9)
        r = _lib.trainer_wait(h, p, _ct.byref(rep), tmo)
        return self._collect(r, rep, out, "wait")

    def step(self, grad, out=None, timeout=None):
        """submit + wait: the aggregate of this step (same kind as grad).
        out may be grad itself: the aggregate then overwrites it in place."""
        if grad is not None:
            self._kind = "torch" if _is_tensor(grad) else "numpy"
        # check out before handing anything in: a bad out must not lose a step
        self._handle("step")
        out, _ = _out_vec(out, self.dim, self._kind)
        self.submit(grad)
        return self.wait(out, timeout)

    @property
    def events(self):
        """The last step's events (kind, step, attempt, peer, accuser, reason)."""
        return [] if self.report is None else self.report.events

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            _lib.trainer_close(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _config_with(path, top=None, protocol=None, tag="local"):
    """A copy of the byzd config at @p path with the keys of @p top (before
    any section: [run]) and @p protocol ([protocol]) set, written beside it
    as PATH.TAG; the original is left as it is."""
    import re
    want = {"": dict(top or {}), "protocol": dict(protocol or {})}
    with open(path) as f:
        lines = f.read().split("\n")
    out, sect = [], ""

    def flush(sec):
        for k, v in want[sec].items():
            out.append("%s = %s" % (k, v))
        want[sec].clear()

    for ln in lines:
        m = re.match(r"\s*\[(\w+)\]", ln)
        if m:
            if sect in want:
                flush(sect)
            sect = m.group(1)
        else:
            k = re.match(r"\s*(\w+)\s*=", ln)
            if k and sect in want and k.group(1) in want[sect]:
                ln = "%s = %s" % (k.group(1), want[sect].pop(k.group(1)))
        out.append(ln)
    if sect in want:
        flush(sect)
    if want[""]:  # keys of [run] must come before every section
        out = ["%s = %s" % kv for kv in want[""].items()] + out
    if want["protocol"]:
        out += ["[protocol]"] + ["%s = %s" % kv for kv in want["protocol"].items()]
    new = "%s.%s" % (path, tag)
    with open(new, "w") as f:
        f.write("\n".join(out))
    return new


def _rendezvous(run_dir, peer, timeout):
    """byz-run's start: announce this peer ready, wait for the start time
    byz-run writes once every peer is (so slow imports and data loading
    never make a peer late for protocol time 0)."""
    import os
    import time
    open(os.path.join(run_dir, "ready.%s" % peer), "w").close()
    start = os.path.join(run_dir, "start")
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(start) as f:
                v = f.read().strip()
            if v:
                return int(v)
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError("Trainer.from_env: byz-run gave no start time within %.0f s" % timeout)


# -------------------------------------------------------- attacks

ATTACKS = ("sign-flip", "random-direction", "zero", "none")


def attack(name, seed=1):
    """A gradient attack of spec/protocol.md's catalogue, as a function
    gradient -> new gradient (the input is not modified): "sign-flip"
    (-1000 x the honest gradient), "random-direction" (a fixed seeded unit
    direction, shared by colluders with one seed, scaled to 1000 x the honest
    norm), "zero", "none". Validators recompute the honest gradient, so each
    of these but "none" is caught when a validator draws the peer."""
    import numpy as np
    if name not in ATTACKS:
        raise ValueError("attack: unknown '%s' (one of %s)" % (name, ", ".join(ATTACKS)))
    cache = {}

    def as_np(g):
        return g.detach().numpy() if _is_tensor(g) else np.asarray(g)

    def back(g, a):
        if _is_tensor(g):
            return _torch().from_numpy(a)
        return a

    def apply(g):
        a = as_np(g).astype(np.float32, copy=True)
        if name == "sign-flip":
            a *= np.float32(-1000.0)
        elif name == "zero":
            a[:] = 0
        elif name == "random-direction":
            u = cache.get(a.size)
            if u is None:
                u = np.random.default_rng(seed ^ 0x7a11d1c).standard_normal(a.size)
                u = (u / np.linalg.norm(u)).astype(np.float32)
                cache[a.size] = u
            a = u * np.float32(1000.0 * float(np.linalg.norm(a)))
        return back(g, np.ascontiguousarray(a, dtype=np.float32))
    return apply


# -------------------------------------------------------- CenteredClip

def centered_clip(v, tau, eps=1e-6, iters=100, impl="auto", return_info=False):
    """CenteredClip of the rows of v (float32, shape (k, d), C-contiguous)
    with the C engine (byz_clip, include/byz/clip.h). Returns the aggregate
    (float32, d; a tensor for a tensor input), and with return_info a dict
    (iters, clipped, converged, impl, residual)."""
    if _is_tensor(v):
        t = _torch()
        if v.dtype != t.float32 or v.device.type != "cpu" or not v.is_contiguous():
            raise TypeError("v: must be a contiguous CPU float32 tensor")
        import numpy as np
        arr = v.detach().numpy()
    else:
        import numpy as np
        arr = v
        if not isinstance(arr, np.ndarray):
            raise TypeError("v: expected a numpy.ndarray or torch.Tensor, got %s"
                            % type(v).__name__)
        if arr.dtype != np.float32:
            raise TypeError("v: dtype must be float32, got %s" % arr.dtype)
        if not arr.flags.c_contiguous:
            raise ValueError("v: array is not C-contiguous (use numpy.ascontiguousarray)")
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError("v: expected shape (k, d) with k, d >= 1, got %s" % (arr.shape,))
    if not np.isfinite(arr).all():
        raise ValueError("v: holds NaN or Inf")
    k, d = arr.shape
    if not (tau > 0) or tau != tau or tau == float("inf"):
        raise ValueError("tau: must be finite and > 0, got %r" % (tau,))
    if not (eps >= 0) or eps == float("inf"):
        raise ValueError("eps: must be finite and >= 0, got %r" % (eps,))
    if not isinstance(iters, int) or iters < 0 or iters >= 2**32:
        raise ValueError("iters: must be an integer in [0, 2^32), got %r" % (iters,))
    im = _ct.c_int(0)
    if _lib.clip_impl_parse(str(impl).encode(), _ct.byref(im)):
        raise ValueError("impl: unknown implementation %r (auto, ref, avx2, avx512, gram)"
                         % (impl,))
    rows = (_ct.c_void_p * k)(*[arr.ctypes.data + i * d * 4 for i in range(k)])
    out = np.empty(d, dtype=np.float32)
    prm = _lib.ClipParams(float(tau), float(eps), iters, im.value)
    res = _lib.ClipResult()
    r = _lib.clip(rows, k, d, _ct.byref(prm), out.ctypes.data, None, _ct.byref(res))
    if r:
        _raise(r, "centered_clip")
    if _is_tensor(v):
        out = _torch().from_numpy(out)
    if not return_info:
        return out
    return out, {"iters": res.iters, "clipped": res.clipped, "converged": bool(res.converged),
                 "impl": _lib.clip_impl_name(res.impl).decode(), "residual": res.residual}
