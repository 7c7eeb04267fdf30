#!/usr/bin/env bash
# byz-bench mac end to end: a tiny sweep writes the documented CSV with one
# row per size and algorithm (the CRC32C baseline at ratio 1, exactly one
# wire algorithm per size), and bad usage exits non-zero with a message.
set -u
bench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$bench" mac --size 0,64,1400 --frames 2000 --repeat 1 --csv "$tmp/out.csv" >"$tmp/table" 2>"$tmp/err"
check "sweep exits 0" "[ $? -eq 0 ]"
check "CSV header" "head -1 '$tmp/out.csv' | grep -qx 'payload,alg,wire,frames,seconds,ns_per_frame,gbps,ratio_to_crc32c'"
check "3 sizes x 3 algorithms" "[ \$(tail -n +2 '$tmp/out.csv' | wc -l) -eq 9 ]"
check "crc32c rows at ratio 1" "[ \$(awk -F, '\$2 == \"crc32c\" && \$8 == 1' '$tmp/out.csv' | wc -l) -eq 3 ]"
check "one wire algorithm per size, poly1305" "[ \$(awk -F, '\$3 == 1 && \$2 == \"poly1305\"' '$tmp/out.csv' | wc -l) -eq 3 ]"
check "every time is positive" "awk -F, 'NR > 1 && !(\$5 > 0) { bad = 1 } END { exit bad }' '$tmp/out.csv'"
check "table marks the wire algorithm" "grep -q 'poly1305 \*' '$tmp/table'"

for args in "--size 9000" "--size foo" "--frames 0" "--repeat 0" "stray" "--csv /nonexistent/dir/x.csv"; do
	# shellcheck disable=SC2086
	"$bench" mac --frames 10 --repeat 1 $args >/dev/null 2>"$tmp/err"
	rc=$?
	check "'$args' is refused with a message (rc $rc)" "[ $rc -ne 0 ] && [ -s '$tmp/err' ]"
done
"$bench" mac --help >"$tmp/help"
check "--help exits 0 and documents --size" "[ $? -eq 0 ] && grep -q -- '--size' '$tmp/help'"
exit $fail
