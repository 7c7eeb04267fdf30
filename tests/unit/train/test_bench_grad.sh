#!/bin/sh
# byz-bench grad: a small run succeeds (exit 0 means every SIMD level of
# each mode gave its scalar reference's bits), writes one CSV row per
# model x backend with the documented header, and bad options exit 2.
# usage: test_bench_grad.sh BYZ_BENCH
set -u
bench=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bench" grad --batch 5 --repeat 1 --threads 1,3 --csv "$tmp/g.csv" >"$tmp/out" 2>&1 ||
	fail "run: $(cat "$tmp/out")"
cat "$tmp/out"
[ "$(head -n 1 "$tmp/g.csv")" = "model,backend,batch,params,ms,cpu_ms,x_openblas_1t,bits" ] ||
	fail "CSV header: $(head -n 1 "$tmp/g.csv")"
# levels this CPU runs: scalar, plus avx2 / avx512 as the table says
lv=$(sed -n 's/.*simd level \([a-z0-9]*\).*/\1/p' "$tmp/out")
case $lv in scalar) n=1 ;; avx2) n=2 ;; avx512) n=3 ;; *) fail "simd level '$lv'" ;; esac
rows=$(($(wc -l <"$tmp/g.csv") - 1))
[ "$rows" -eq $((3 * (2 + 2 * n))) ] || fail "$rows CSV rows for $n levels"
[ "$(grep -c ',ref$' "$tmp/g.csv")" -eq 6 ] || fail "want a fused and a portable reference per model"
[ "$(grep -c ',same$' "$tmp/g.csv")" -eq $((6 * (n - 1))) ] || fail "levels not all 'same'"
grep -q '^mlp-784-256-128,openblas-3t,5,' "$tmp/g.csv" || fail "no openblas-3t row"
"$bench" grad --batch 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--batch 0 accepted"
"$bench" grad --repeat x >/dev/null 2>&1; [ $? -eq 2 ] || fail "--repeat x accepted"
"$bench" grad --threads 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--threads 0 accepted"
echo "PASS"
