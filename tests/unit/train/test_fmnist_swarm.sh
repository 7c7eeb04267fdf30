#!/bin/sh
# byz-swarm --dataset on Debian's Fashion-MNIST directory as installed
# (gzip'ed files): it loads 60000 + 10000 examples, prints progress lines
# with accuracy, steps/s and bans, and a softmax model trained for 5 steps
# under the sign-flip attack beats chance (0.1).
# usage: test_fmnist_swarm.sh BYZ_SWARM   (BYZ_FASHION_MNIST: another dir)
set -u
DIR=${BYZ_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$DIR/train-images-idx3-ubyte.gz" ]; then
	echo "skipping: no $DIR/train-images-idx3-ubyte.gz (apt-get install dataset-fashion-mnist, or bash tools/setup --deps-only)"
	exit 77
fi
out=$("$1" --dataset "$DIR" --model softmax --steps 5 --eval-every 5 2>&1) || { echo "FAIL: byz-swarm: $out"; exit 1; }
echo "$out" | head -3
echo "$out" | grep -q "on MNIST 60000 train / 10000 test" || { echo "FAIL: not the 60000 + 10000 examples"; exit 1; }
echo "$out" | grep -Eq '^  step    5  accuracy 0\.[0-9]+  loss [0-9.]+  [0-9.]+ steps/s  bans [0-7]$' ||
	{ echo "FAIL: no progress line with steps/s and bans"; exit 1; }
acc=$(echo "$out" | sed -n 's/.*final accuracy \([0-9.]*\) after 5 steps.*/\1/p')
[ -n "$acc" ] || { echo "FAIL: no final accuracy"; exit 1; }
awk -v a="$acc" 'BEGIN { exit !(a > 0.15) }' || { echo "FAIL: accuracy $acc is no better than chance"; exit 1; }
echo "ok: accuracy $acc after 5 steps"
