#!/bin/sh
# Runs one libFuzzer binary for BYZ_FUZZ_SECONDS (default 20) starting from
# the committed corpus. New inputs go to a scratch directory, never into the
# committed corpus; a crash leaves its input in the scratch directory and
# fails the test (turn it into a regression test: docs/security.md).
# usage: run.sh FUZZER CORPUS_DIR WORK_DIR
set -eu
fuzzer=$1 corpus=$2 work=$3
secs=${BYZ_FUZZ_SECONDS:-20}
rm -rf "$work"
mkdir -p "$work/new" "$work/crash"
log=$work/log.txt
set +e
"$fuzzer" "$work/new" "$corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -print_final_stats=1 -artifact_prefix="$work/crash/" >"$log" 2>&1
rc=$?
set -e
# libFuzzer's closing line: "Done N runs in S second(s)".
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -n 1)
name=$(basename "$fuzzer")
if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
	tail -n 60 "$log"
	echo "$name: FAILED (exit $rc); inputs in $work/crash" >&2
	exit 1
fi
set -- $runs
rate=$(( $1 / ($2 > 0 ? $2 : 1) ))
cov=$(sed -n 's/.*cov: \([0-9]*\) ft.*/\1/p' "$log" | tail -n 1)
echo "$name: $1 inputs in $2 s ($rate exec/s), coverage $cov edges, 0 crashes"
