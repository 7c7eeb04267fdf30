"""The PyTorch integration: four trainers in this process, each training its
own copy of a small MLP (same initialisation) with byzreduce.torch
.ByzOptimizer around torch.optim.SGD with momentum, batches drawn from the
step's seed; trainer 3 is Byzantine (it scales its gradient by -4 through a
backward hook). Checked: the honest models' parameters stay bit-identical
at every step; the aggregate lands in p.grad, which is a view of the one flat
buffer (no copies); the Byzantine trainer is banned and the ban reaches
opt.report; tensors in give tensors out; bad tensors (float64,
non-contiguous, wrong length, NaN, on another device) raise clear errors."""
import sys
import threading
import time

from common import check, done, need, raises

need("numpy", "torch")
import torch  # noqa: E402

import byzreduce  # noqa: E402
from byzreduce.torch import ByzOptimizer, seed_to_int  # noqa: E402

torch.set_num_threads(1)  # reproducible reductions: the validators compare bits
sys.setswitchinterval(0.0005)
N, STEPS, BYZ = 4, 6, 3


def make_model():
    torch.manual_seed(1234)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def loss_fn(model, seed):
    g = torch.Generator().manual_seed(seed_to_int(seed))
    xb = torch.randn(32, 6, generator=g)
    yb = xb.sum(dim=1, keepdim=True).sin()
    return torch.nn.functional.mse_loss(model(xb), yb)


D = sum(p.numel() for p in make_model().parameters())
# long phases: the validators run Python on the library threads, and every
# message must meet its phase deadline on a loaded machine
ts = byzreduce.Trainer.local(N, D, seed=11, phase_us=250000)
models = [make_model() for _ in range(N)]
opts = [ByzOptimizer(torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), t, m, loss_fn)
        for m, t in zip(models, ts)]
# the Byzantine trainer's gradients, scaled by -4 on their way into p.grad
for p in models[BYZ].parameters():
    p.register_hook(lambda g: -4 * g)
flat_ptr = opts[0].flat.data_ptr()
check(all(flat_ptr <= p.grad.data_ptr() < flat_ptr + 4 * D for p in models[0].parameters()),
      "p.grad are views of the flat buffer")

hist = [[None] * STEPS for _ in range(N)]
errs = [None] * N


def run(i):
    try:
        for s in range(STEPS):
            loss = opts[i].step()
            check(loss is None or bool(torch.isfinite(loss)), "loss finite")
            hist[i][s] = ([p.detach().clone() for p in models[i].parameters()], opts[i].report)
    except Exception as e:
        errs[i] = e


th = [threading.Thread(target=run, args=(i,)) for i in range(N)]
for x in th:
    x.start()
for x in th:
    x.join()
for i in range(N):
    check(errs[i] is None, "trainer %d: %r" % (i, errs[i]))
ban_step = None
if not any(errs):
    for s in range(STEPS):
        for i in range(1, BYZ):
            same = all(torch.equal(a, b) for a, b in zip(hist[i][s][0], hist[0][s][0]))
            check(same, "step %d: trainer %d's parameters differ from trainer 0's" % (s, i))
        rep = hist[0][s][1]
        if any(b.peer == BYZ for b in rep.bans) and ban_step is None:
            ban_step = s
        for i in range(BYZ):
            check(all(b.peer == BYZ for b in hist[i][s][1].bans), "honest banned")
        print("step %d: %r" % (s, rep), flush=True)
    moved = any(not torch.equal(a, b) for a, b in
                zip(hist[0][STEPS - 1][0], make_model().parameters()))
    check(moved, "the model did not train")
    check(all(flat_ptr <= p.grad.data_ptr() < flat_ptr + 4 * D for p in models[0].parameters()),
          "p.grad still views of the flat buffer")
    print("Byzantine trainer banned at step %s" % ban_step)
    check(ban_step is not None, "the Byzantine trainer was not banned")

# bad tensors, on a fresh pair of trainers (the step they were meant for still runs)
for t in ts:
    t.close()
a, b = byzreduce.Trainer.local(2, 10, seed=9, phase_us=100000)
for t in (a, b):
    t.validator = lambda step, seed, out: out.fill(0.5)
nx = a.next(timeout=30)
good = torch.full((10,), 0.5)
if nx.contribute:
    raises(TypeError, lambda: a.submit(good.double()), "torch.float32", "float64 tensor")
    raises(ValueError, lambda: a.submit(torch.full((20,), 0.5)[::2]), "not contiguous",
           "strided tensor")
    raises(ValueError, lambda: a.submit(good[:9]), "expected 10 elements", "short tensor")
    bad = good.clone()
    bad[7] = float("nan")
    raises(ValueError, lambda: a.submit(bad), "NaN or Inf (first at index 7)", "NaN tensor")
    if hasattr(torch, "device"):
        meta = torch.empty(10, device="meta")
        raises(ValueError, lambda: a.submit(meta), "CPU", "tensor off the CPU")
    raises(ValueError, lambda: a.step(good, out=torch.empty(10, dtype=torch.float64)), "out",
           "float64 out")
res = []
tb = threading.Thread(target=lambda: res.append(b.step(good if b.next(timeout=30).contribute
                                                       else None)))
tb.start()
# the non-blocking pair: submit, then poll until decided
a.submit(good.clone().requires_grad_(True) if nx.contribute else None)
raises(byzreduce.ByzError, lambda: a.submit(None if not nx.contribute else good), "resource busy",
       "second submit")
agg = None
while agg is None:
    agg = a.poll(out=torch.empty(10))
    time.sleep(0.002)
tb.join()
check(isinstance(agg, torch.Tensor) and agg.dtype == torch.float32 and agg.numel() == 10,
      "a tensor in gives a tensor out")
check(torch.equal(agg, res[0]), "both trainers got the same aggregate")
check(torch.equal(agg, good) or not a.report.updated, "two equal inputs aggregate to themselves")
a.close()
b.close()
raises(RuntimeError, lambda: a.step(good), "closed", "step after close")
done("python-torch")
