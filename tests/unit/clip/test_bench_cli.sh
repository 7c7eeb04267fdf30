#!/usr/bin/env bash
# byz-bench clip end to end: a tiny sweep writes the documented CSV, every
# available implementation converges, and bad usage exits 2 with a message.
set -u
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$bench" clip --peers 3,4 --dim 100,2^10 --impl all --repeat 1 --csv "$tmp/out.csv" >"$tmp/table" 2>"$tmp/err"
check "sweep exits 0" "[ $? -eq 0 ]"
check "CSV header" "head -1 '$tmp/out.csv' | grep -qx 'label,impl,peers,dim,tau,eps,max_iters,iters,seconds,input_gbps,read_gbps,ratio_to_read,clipped,residual,converged,read_seconds'"
rows=$(($(wc -l <"$tmp/out.csv") - 1))
# ref and gram run everywhere; avx2/avx512 where the CPU has them.
check "at least 8 rows (got $rows)" "[ $rows -ge 8 ]"
check "every non-ref row converged" "awk -F, 'NR > 1 && \$1 !~ /^ref/ && \$15 != 1 { bad = 1 } END { exit bad }' '$tmp/out.csv'"
check "ref rows ran 20 iterations" "awk -F, 'NR > 1 && \$1 ~ /^ref/ && \$8 != 20 { bad = 1 } END { exit bad }' '$tmp/out.csv'"
check "table has a row per CSV row" "[ \$(grep -c '^  [a-z]' '$tmp/table') -ge $rows ]"

"$bench" clip --peers 4,300 --dim 64 --impl auto --max-iters 20 --repeat 1 --csv "$tmp/auto.csv" >"$tmp/auto" 2>"$tmp/err"
check "--impl auto exits 0" "[ $? -eq 0 ]"
check "auto resolves per shape: gram at k = 4" "awk -F, '\$3 == 4 && \$1 == \"auto:gram\" && \$2 == \"gram\" { ok = 1 } END { exit !ok }' '$tmp/auto.csv'"
check "auto at k = 300: label and implementation agree" "awk -F, '\$3 == 300 && \$1 == \"auto:\" \$2 { ok = 1 } END { exit !ok }' '$tmp/auto.csv'"

for args in "--peers 0" "--dim foo" "--impl sse9" "--tau -1" "--eps nan" "--repeat 0" "--peers 5000" "stray" "--csv /nonexistent/dir/x.csv"; do
	# shellcheck disable=SC2086
	"$bench" clip $args >/dev/null 2>"$tmp/err"
	rc=$?
	check "'$args' is refused with a message (rc $rc)" "[ $rc -ne 0 ] && [ -s '$tmp/err' ]"
done
"$bench" clip --help >"$tmp/help"
check "--help exits 0 and documents --csv" "[ $? -eq 0 ] && grep -q -- '--csv' '$tmp/help'"
"$bench" nosuch >/dev/null 2>&1
check "unknown command exits 2" "[ $? -eq 2 ]"
exit $fail
