#!/bin/sh
# Determinism across processes (docs/trainer.md, "Determinism"): 4 peers of
# examples/torch_fashion_mnist.py under byz-run, one of them with another
# torch thread count. In tolerance validation, the mode the docs recommend
# for peers that may not compute the same bits, it is never banned, and
# every honest peer ends with the same model (the same held-out accuracy and
# loss, printed to 4 digits by each).
# usage: test_byz_run_threads.sh BYZ_RUN EXAMPLE_DIR
set -u
RUN=$1
EX=$2
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
"$PY" -c 'import torch, numpy' 2>/dev/null || { echo "skipping: $PY has no torch/numpy (Debian: python3-torch)"; exit 77; }
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
	{ echo "skipping: no Fashion-MNIST (Debian: dataset-fashion-mnist; tools/setup installs it)"; exit 77; }
T=$(mktemp -d /tmp/byzthr.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
BYZ_TORCH_THREADS_1=2 "$PY" "$RUN" --peers 4 --seed 11 --phase-ms 400 --tau 1 \
	--validation tolerance --rho 0.01 "$EX/torch_fashion_mnist.py" \
	--steps 6 --eval-every 3 --eval-size 500 >"$T/out" 2>&1
rc=$?
cat "$T/out"
[ $rc -eq 0 ] || fail "run exit $rc"
grep -q "^\[0\] step 6 accuracy" "$T/out" || fail "peer 0 did not finish 6 steps"
grep "^\[0\] step" "$T/out" | grep -q "bans -" || fail "a ban in tolerance mode"
grep "^\[0\] step 6 " "$T/out" | grep -q "bans -$" || fail "a ban by step 6"
n=$(grep "^\[[0-3]\] final accuracy" "$T/out" | sed 's/^\[[0-9]\] //; s/ in [0-9.]* s$//' | sort -u | wc -l)
[ "$n" -eq 1 ] || fail "peers ended with different models"
[ "$(grep -c "final accuracy" "$T/out")" -eq 4 ] || fail "not every peer finished"
echo "PASS"
