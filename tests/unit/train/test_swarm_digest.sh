#!/bin/sh
# Replicas comparable from outside (issue 12): byz-swarm in training mode,
# same seed, under several OpenBLAS thread counts and kernel sets,
# OMP_NUM_THREADS and SIMD caps, must print the same params_digest and
# model_fingerprint in its JSON; another seed must give another digest.
# The GLIBC_TUNABLES run hides AVX2/FMA from glibc, so libm's exp and log
# take their non-FMA variants, as on a CPU without FMA.
# usage: test_swarm_digest.sh BYZ_SWARM
set -u
swarm=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# field FILE NAME: the first "NAME": "value" of a JSON file.
field() {
	sed -n "s/.*\"$2\": \"\([0-9a-f]*\)\".*/\1/p" "$1" | head -n 1
}

# run TAG SEED AGG ENV...: one run, its digest and fingerprint in $tmp/TAG.
run() {
	tag=$1 seed=$2 agg=$3
	shift 3
	if ! env "$@" "$swarm" --model mlp --hidden 48 --peers 6 --byzantine 2 \
		--attack sign-flip --steps 6 --batch 64 --seed "$seed" --aggregator "$agg" \
		--quiet --json "$tmp/$tag.json" >"$tmp/$tag.out" 2>&1; then
		echo "FAIL: byz-swarm ($agg, $*) exited non-zero:"
		cat "$tmp/$tag.out"
		: >"$tmp/failed"
		return
	fi
	d=$(field "$tmp/$tag.json" params_digest)
	f=$(field "$tmp/$tag.json" model_fingerprint)
	if [ ${#d} -ne 64 ] || [ ${#f} -ne 64 ] || [ "$d" = "$(printf '0%.0s' $(seq 64))" ]; then
		echo "FAIL: $agg ($*): no params_digest / model_fingerprint in the JSON"
		: >"$tmp/failed"
	fi
	echo "$d $f" >"$tmp/$tag.df"
	echo "$agg seed $seed ${*:-(default env)}: digest $d fingerprint $f"
}

envs="OPENBLAS_NUM_THREADS=1
OPENBLAS_NUM_THREADS=4
OPENBLAS_NUM_THREADS=8
OMP_NUM_THREADS=3
OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=4
OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=3
BYZ_SIMD_MAX=avx2
BYZ_SIMD_MAX=scalar
GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F"
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
	envs="$envs
OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2"
else
	echo "(no AVX-512 here: OPENBLAS_CORETYPE=SkylakeX not run)"
fi

for agg in btard mean; do
	run "$agg-base" 7 "$agg" OPENBLAS_NUM_THREADS=2
	i=0
	echo "$envs" | while read -r e; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		run "$agg-$i" 7 "$agg" $e
		if ! cmp -s "$tmp/$agg-base.df" "$tmp/$agg-$i.df"; then
			echo "FAIL: $agg with $e: digest or fingerprint differs from OPENBLAS_NUM_THREADS=2"
			: >"$tmp/failed"
		fi
	done
	# The digest must depend on the run: another seed, another digest.
	run "$agg-other" 8 "$agg"
	if [ "$(cut -d' ' -f1 "$tmp/$agg-base.df")" = "$(cut -d' ' -f1 "$tmp/$agg-other.df")" ]; then
		echo "FAIL: $agg: seeds 7 and 8 give the same params_digest"
		: >"$tmp/failed"
	fi
done
if [ -e "$tmp/failed" ]; then
	exit 1
fi
echo "PASS: same params_digest and model_fingerprint in every environment"
