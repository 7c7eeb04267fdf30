#!/usr/bin/env bash
# byz-bench hash end to end: a tiny sweep writes the documented CSV with a
# row per leaf size and supported implementation of both algorithms (each
# checked against libsodium inside the tool), and bad usage exits non-zero
# with a message.
set -u
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$bench" hash --leaf 1000,4K --total 256K --repeat 1 --csv "$tmp/out.csv" >"$tmp/table" 2>"$tmp/err"
check "sweep exits 0" "[ $? -eq 0 ]"
check "CSV header" "head -1 '$tmp/out.csv' | grep -qx 'hash,impl,leaf,leaves,bytes,seconds,gbps,sodium_seconds,ratio_to_sodium'"
check "blake2b sodium row per leaf, ratio 1" "[ \$(awk -F, '\$1 == \"blake2b\" && \$2 == \"sodium\" && \$9 == 1' '$tmp/out.csv' | wc -l) -eq 2 ]"
check "sha256 sodium row per leaf (the fallback is always there)" "[ \$(awk -F, '\$1 == \"sha256\" && \$2 == \"sodium\"' '$tmp/out.csv' | wc -l) -eq 2 ]"
check "one auto row per leaf" "[ \$(awk -F, '\$2 ~ /^auto=/' '$tmp/out.csv' | wc -l) -eq 2 ]"
if grep -qw sha_ni /proc/cpuinfo && [ "${BYZ_SIMD_MAX:-}" != scalar ]; then
	check "SHA-NI rows on a SHA-NI CPU" "[ \$(awk -F, '\$1 == \"sha256\" && \$2 == \"shani\"' '$tmp/out.csv' | wc -l) -eq 2 ]"
fi
check "leaves = total / leaf" "awk -F, 'NR > 1 && \$4 != int(262144 / \$3) { bad = 1 } END { exit bad }' '$tmp/out.csv'"
check "table has a row per CSV row" "[ \$(grep -c '^  [a-z]' '$tmp/table') -ge \$((\$(wc -l <'$tmp/out.csv') - 1)) ]"
"$bench" hash --leaf 4K --total 64K --repeat 1 --impl auto >"$tmp/auto"
check "--impl auto names what it picked" "grep -Eq '^  (blake2b|sha256) +auto=' '$tmp/auto'"
check "the header names the pick" "grep -Eq '^# here: .*auto picks (blake2b|sha256)' '$tmp/auto'"
"$bench" hash --leaf 4K --total 64K --repeat 1 --impl sha256-sodium --csv "$tmp/s.csv" >/dev/null
check "--impl sha256-sodium: one row" "[ \$(wc -l <'$tmp/s.csv') -eq 2 ] && grep -q '^sha256,sodium,' '$tmp/s.csv'"

for args in "--leaf 0" "--leaf foo" "--total 0" "--impl sse9" "--repeat 0" "stray" "--csv /nonexistent/dir/x.csv"; do
	# shellcheck disable=SC2086
	"$bench" hash --total 64K $args >/dev/null 2>"$tmp/err"
	rc=$?
	check "'$args' is refused with a message (rc $rc)" "[ $rc -ne 0 ] && [ -s '$tmp/err' ]"
done
"$bench" hash --help >"$tmp/help"
check "--help exits 0 and documents --leaf" "[ $? -eq 0 ] && grep -q -- '--leaf' '$tmp/help'"
exit $fail
