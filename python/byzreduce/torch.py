"""PyTorch integration: ByzOptimizer wraps any torch.optim optimizer so that
each step() runs one byzreduce step (docs/trainer.md, "PyTorch").

    model = Net(); torch.manual_seed(0)           # same init on every peer
    opt = ByzOptimizer(torch.optim.SGD(model.parameters(), lr=0.1), trainer,
                       model, loss_fn)
    for _ in range(steps):
        loss = opt.step()          # batch from the step's seed, robust aggregate
        print(opt.report.bans)

loss_fn(model, seed) -> scalar loss: the loss of @p model on the batch that
the 32-byte public seed selects (seed your sampler or data generator with
it). It must be a pure function of the model's parameters and the seed:
validators call it on a copy of the model loaded with the parameters of the
step they check, and compare bits (set torch.set_num_threads and
torch.use_deterministic_algorithms as your hardware needs).

Buffers: the gradients of the parameters live in one contiguous float32
buffer (each p.grad is a view of it), so flattening costs no copy; the
aggregate is written into the same buffer, so p.grad holds g^ when the
wrapped optimizer steps. A p.grad replaced by something else (set_to_none)
is copied back into the buffer.
"""
import copy
import threading
import time

import torch

from . import Trainer  # noqa: F401  (re-exported for convenience)

__all__ = ["ByzOptimizer", "seed_to_int", "TIMING_KEYS"]

# ByzOptimizer.timings: next = waiting for the step's role and seed; params =
# saving the parameters of the step (validators ask for them); gradient =
# zero_grad + loss_fn + backward; submit = the input checks and the copy into
# the library; wait = until the step is decided (the protocol's phases) and
# the aggregate copied out; apply = the wrapped optimizer's step.
TIMING_KEYS = ("next", "params", "gradient", "submit", "wait", "apply")


def seed_to_int(seed):
    """A 63-bit integer from the 32-byte batch seed (for torch.Generator.manual_seed)."""
    return int.from_bytes(bytes(seed)[:8], "little") & ((1 << 63) - 1)


class ByzOptimizer:
    """Wrap @p optimizer: step() = batch from the seed, backward, byzreduce
    step, write the aggregate into p.grad, optimizer.step().

    Also registers the trainer's validation callback (the gradient at the
    parameters of an earlier step, on a private copy of the model)."""

    def __init__(self, optimizer, trainer, model, loss_fn):
        self.optimizer = optimizer
        self.trainer = trainer
        self.model = model
        self.loss_fn = loss_fn
        self.params = [p for g in optimizer.param_groups for p in g["params"]
                       if p.requires_grad]
        for p in self.params:
            if p.dtype != torch.float32 or p.device.type != "cpu":
                raise TypeError("ByzOptimizer: parameters must be float32 on the CPU "
                                "(got %s on %s)" % (p.dtype, p.device))
        self.dim = sum(p.numel() for p in self.params)
        if self.dim != trainer.dim:
            raise ValueError("ByzOptimizer: the model has %d parameters, the trainer's d is %d"
                             % (self.dim, trainer.dim))
        self.flat = torch.zeros(self.dim, dtype=torch.float32)
        self._views = []
        off = 0
        for p in self.params:
            v = self.flat[off:off + p.numel()].view_as(p)
            p.grad = v
            self._views.append(v)
            off += p.numel()
        # the validators' model: same architecture, never the training one
        self._shadow = copy.deepcopy(model)
        names = {id(p): n for n, p in model.named_parameters()}
        shadow = dict(self._shadow.named_parameters())
        missing = [p for p in self.params if id(p) not in names]
        if missing:
            raise ValueError("ByzOptimizer: the optimizer holds parameters that are not the "
                             "model's")
        self._shadow_params = [shadow[names[id(p)]] for p in self.params]
        self._saved = {}  # step -> flat parameters of that step (the last two)
        self._saved_lock = threading.Lock()
        self.report = None
        # Seconds spent in each part of step(), summed over the steps (a
        # profile of where a step's time goes; time.perf_counter, ~0.1 us a call).
        self.timings = dict.fromkeys(TIMING_KEYS, 0.0)
        self.steps = 0
        trainer.validator = self._validate

    def zero_grad(self):
        self.flat.zero_()
        self._reattach()

    def _reattach(self):
        for p, v in zip(self.params, self._views):
            if p.grad is None or p.grad.data_ptr() != v.data_ptr():
                if p.grad is not None:
                    v.copy_(p.grad)  # replaced behind our back: copy it in
                else:
                    v.zero_()
                p.grad = v

    def _flat_params(self):
        return torch.cat([p.detach().reshape(-1) for p in self.params])

    def _validate(self, step, seed, out):
        with self._saved_lock:
            x = self._saved.get(step)
        if x is None:
            raise KeyError("no parameters saved for step %d" % step)
        off = 0
        with torch.no_grad():
            for q in self._shadow_params:
                q.copy_(x[off:off + q.numel()].view_as(q))
                off += q.numel()
        for q in self._shadow_params:
            q.grad = None
        loss = self.loss_fn(self._shadow, seed)
        loss.backward()
        g = torch.cat([(q.grad if q.grad is not None else torch.zeros_like(q)).reshape(-1)
                       for q in self._shadow_params])
        out[:] = g.numpy()

    def step(self, closure=None):
        """One byzreduce step; returns the loss (None when this peer
        validates the step and computes no gradient). self.report holds the
        step's report (bans, exclusions)."""
        tm = self.timings
        t0 = time.perf_counter()
        nx = self.trainer.next()
        t1 = time.perf_counter()
        with self._saved_lock:
            self._saved[nx.step] = self._flat_params()
            for s in [s for s in self._saved if s + 1 < nx.step]:
                del self._saved[s]
        t2 = time.perf_counter()
        loss = None
        if nx.contribute:
            self.zero_grad()
            loss = self.loss_fn(self.model, nx.seed)
            loss.backward()
            self._reattach()
            t3 = time.perf_counter()
            self.trainer.submit(self.flat)
        else:
            t3 = time.perf_counter()
            self.trainer.submit(None)
        t4 = time.perf_counter()
        self.trainer.wait(out=self.flat)  # the aggregate in place
        t5 = time.perf_counter()
        self.report = self.trainer.report
        if self.report.updated:
            self._reattach()
            self.optimizer.step()
        t6 = time.perf_counter()
        for k, a, b in (("next", t0, t1), ("params", t1, t2), ("gradient", t2, t3),
                        ("submit", t3, t4), ("wait", t4, t5), ("apply", t5, t6)):
            tm[k] += b - a
        self.steps += 1
        return loss

    def state_dict(self):
        return self.optimizer.state_dict()

    def load_state_dict(self, sd):
        self.optimizer.load_state_dict(sd)
