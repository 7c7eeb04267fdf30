#!/usr/bin/env python3
"""A small PyTorch CNN trained on Fashion-MNIST by a swarm with attackers.

    byz-run --peers 8 --byzantine 3 --attack sign-flip \\
        examples/torch_fashion_mnist.py --defence btard
    byz-run --peers 8 examples/torch_fashion_mnist.py --defence mean        # no attack, no defence
    byz-run --peers 8 --byzantine 3 --attack sign-flip \\
        examples/torch_fashion_mnist.py --defence mean                      # collapses

--defence btard runs byzreduce (byzreduce.torch.ByzOptimizer: CenteredClip,
signed commitments, validators, bans); --defence mean averages the peers'
gradients with torch.distributed's gloo all_reduce and no defence, the
baseline. Both draw each step's batch from a seed (btard: the step's public
seed, which validators need; mean: the run seed, step and rank), and both
apply the same attack on the Byzantine peers (BYZ_ATTACK, from byz-run).
Peer 0 prints held-out accuracy every --eval-every steps and writes --csv.
Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
Determinism (validators recompute gradients bit for bit): one thread and
deterministic algorithms, set below (docs/trainer.md, "Determinism").
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# One thread and deterministic kernels: what exact validation needs
# (docs/trainer.md, "Determinism"). BYZ_TORCH_THREADS_<peer> overrides the
# thread count of one peer (the tests use it to make one peer's bits differ).
torch.set_num_threads(int(os.environ.get("BYZ_TORCH_THREADS_" + os.environ.get("BYZ_PEER", "0"),
                                         "1")))
torch.use_deterministic_algorithms(True)

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--defence", choices=("btard", "mean"), default="btard")
ap.add_argument("--steps", type=int, default=100)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--lr", type=float, default=0.05)
ap.add_argument("--eval-every", type=int, default=10)
ap.add_argument("--eval-size", type=int, default=2000)
ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
ap.add_argument("--csv", default=None, help="peer 0 writes step,accuracy,loss,bans,seconds,"
                                             "excluded,skipped")
ap.add_argument("--hidden", type=int, default=0,
                help="a hidden fully connected layer of this width before the output (0: none; "
                     "the model then has 784 H + 11 H + 1,546 parameters: a larger d to time)")
args = ap.parse_args()

rank = int(os.environ.get("BYZ_PEER", "0"))
world = int(os.environ.get("BYZ_PEERS", "1"))
run_seed = int(os.environ.get("BYZ_RUN_SEED", "1"))
attack_name = os.environ.get("BYZ_ATTACK", "")


def idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def load(split):
    x = idx(os.path.join(args.data, "%s-images-idx3-ubyte.gz" % split))
    y = idx(os.path.join(args.data, "%s-labels-idx1-ubyte.gz" % split))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - 0.2860) / 0.3530, torch.from_numpy(y.astype(np.int64))


try:
    xtr, ytr = load("train")
    xte, yte = load("t10k")
except OSError as e:
    sys.exit("torch_fashion_mnist: %s (Debian: apt-get install dataset-fashion-mnist)" % e)
xte, yte = xte[:args.eval_size], yte[:args.eval_size]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        if args.hidden > 0:
            self.fc = nn.Sequential(nn.Linear(16 * 7 * 7, args.hidden), nn.ReLU(),
                                    nn.Linear(args.hidden, 10))
        else:
            self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(x.flatten(1))


torch.manual_seed(run_seed)  # the same initial parameters on every peer
model = Net()
dim = sum(p.numel() for p in model.parameters())


def batch_loss(m, gen):
    i = torch.randint(0, xtr.shape[0], (args.batch,), generator=gen)
    return F.cross_entropy(m(xtr[i]), ytr[i])


# One throw-away forward and backward: torch's first call allocates and picks
# kernels (tens of ms), which would make step 0's gradient miss its deadline
# under byzreduce. Both defences do it; parameters and batches are unchanged.
batch_loss(model, torch.Generator().manual_seed(0)).backward()
model.zero_grad(set_to_none=True)


def evaluate():
    with torch.no_grad():
        out = model(xte)
        return (out.argmax(1) == yte).float().mean().item(), F.cross_entropy(out, yte).item()


csv = open(args.csv, "w") if args.csv and rank == 0 else None
if csv:
    csv.write("step,accuracy,loss,bans,seconds,excluded,skipped\n")
opt = torch.optim.SGD(model.parameters(), lr=args.lr)
t0 = time.time()
bans = []
excluded = skipped = 0  # btard: peers excluded as silent (summed over steps), steps not applied
if args.defence == "btard":
    import byzreduce
    from byzreduce.torch import ByzOptimizer, seed_to_int

    trainer = byzreduce.Trainer.from_env(dim=dim)

    def loss_fn(m, seed):
        return batch_loss(m, torch.Generator().manual_seed(seed_to_int(seed)))

    bopt = ByzOptimizer(opt, trainer, model, loss_fn)
    step_fn = bopt.step
else:
    import torch.distributed as dist

    from byzreduce import attack as make_attack
    port = 29500 + run_seed % 20000
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank,
                            world_size=world)
    params = [p for p in model.parameters()]
    atk = make_attack(attack_name, seed=run_seed) if attack_name else None
    step_no = [0]
    # seconds per part of a step, summed (printed at the end, as btard's)
    timings = dict.fromkeys(("gradient", "flatten", "all_reduce", "unflatten", "apply"), 0.0)

    def step_fn():
        t0 = time.perf_counter()
        opt.zero_grad()
        gen = torch.Generator().manual_seed((run_seed * 1000003 + step_no[0]) * 64 + rank)
        loss = batch_loss(model, gen)
        loss.backward()
        t1 = time.perf_counter()
        flat = torch.cat([p.grad.reshape(-1) for p in params])
        if atk:
            flat = atk(flat)
        t2 = time.perf_counter()
        dist.all_reduce(flat)
        t3 = time.perf_counter()
        flat /= world
        off = 0
        for p in params:
            p.grad.copy_(flat[off:off + p.numel()].view_as(p))
            off += p.numel()
        t4 = time.perf_counter()
        opt.step()
        t5 = time.perf_counter()
        for k, a, b in (("gradient", t0, t1), ("flatten", t1, t2), ("all_reduce", t2, t3),
                        ("unflatten", t3, t4), ("apply", t4, t5)):
            timings[k] += b - a
        step_no[0] += 1
        return loss

print("peer %d of %d%s: %s, CNN with %d parameters" % (
    rank, world, " (attacking: %s)" % attack_name if attack_name else "", args.defence, dim),
    flush=True)
t_loop = time.time()
for s in range(1, args.steps + 1):
    step_fn()
    if args.defence == "btard":
        bans += ["%d:%s" % (b.peer, b.reason) for b in bopt.report.bans]
        excluded += len(bopt.report.excluded)
        skipped += not bopt.report.updated
    if rank == 0 and (s % args.eval_every == 0 or s == args.steps):
        acc, loss = evaluate()
        el = time.time() - t0
        print("step %d accuracy %.4f loss %.4f %.2f steps/s excluded %d skipped %d bans %s" % (
            s, acc, loss, s / el, excluded, skipped, ",".join(bans) or "-"), flush=True)
        if csv:
            csv.write("%d,%.4f,%.4f,%s,%.2f,%d,%d\n" % (s, acc, loss, " ".join(bans), el,
                                                       excluded, skipped))
            csv.flush()
t_steps = time.time() - t_loop
if args.defence == "btard":
    timings = bopt.timings
    trainer.close()
else:
    dist.destroy_process_group()
# Where a step's time goes on this peer, in ms per step (evaluation excluded:
# only peer 0 evaluates, between steps). btard's "wait" holds the protocol.
print("timing ms/step: " + " ".join("%s %.2f" % (k, 1e3 * v / args.steps)
                                    for k, v in timings.items()) +
      " | loop %.2f (evaluation included on peer 0)" % (1e3 * t_steps / args.steps), flush=True)
acc, loss = evaluate()
print("final accuracy %.4f loss %.4f after %d steps in %.1f s" % (acc, loss, args.steps,
                                                                  time.time() - t0), flush=True)
