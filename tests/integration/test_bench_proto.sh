#!/usr/bin/env bash
# byz-bench allreduce --protocol btard end to end: byzd's runtime (n byz_node
# peers, the signed protocol) per size beside the plain butterfly; every row
# must report digest agreement and no ban, the ratio column and the CSV
# columns must be there, sizes the node cannot carry say why, and bad options
# are refused. "mpi" as the second argument runs the --baseline mpi case
# instead (skipped, 77, where mpirun or byz-bench-mpi is missing).
set -u
bench=$1
mode=${2:-proto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

if [ "$mode" = mpi ]; then
	if ! command -v mpirun >/dev/null; then
		echo "skipping: mpirun not found (Debian: openmpi-bin libopenmpi-dev)"
		exit 77
	fi
	if [ ! -x "$(dirname "$bench")/byz-bench-mpi" ]; then
		echo "skipping: byz-bench-mpi not built (no MPI library found by meson)"
		exit 77
	fi
	"$bench" allreduce --protocol btard --peers 4 -b 64K -e 128K --iters 1 --warmup 0 \
		--validators 0 --baseline mpi >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/out" "$tmp/err"
	check "btard + mpi exits 0 (rc $rc)" "[ $rc -eq 0 ]"
	check "the mpi baseline ran" "grep -q '^# baseline mpi: OpenMPI MPI_Allreduce' '$tmp/out'"
	check "mpi columns in the header" "grep -q 'mpi.busbw.*x mpi' '$tmp/out'"
	# the last two fields of each ok row: mpi busbw and our ratio, both > 0
	check "every row has an mpi busbw and a ratio" \
		"[ \$(awk '\$1 ~ /^[0-9]+\$/ && \$(NF-2) == \"ok\" && \$(NF-1) > 0 && \$NF > 0' '$tmp/out' | wc -l) -eq 2 ]"
	"$bench" allreduce -b 64K -e 64K --iters 1 --warmup 0 --baseline mpi >"$tmp/out2" 2>&1
	rc=$?
	check "protocol none + mpi exits 0 (rc $rc)" "[ $rc -eq 0 ]"
	check "protocol none prints our ratio to mpi" "grep -q '^# mpi 65536 busbw [0-9.]*  robust/mpi [0-9.]*' '$tmp/out2'"
	exit $fail
fi

"$bench" allreduce --protocol btard --transport ring --peers 4 -b 64K -e 256K --iters 2 \
	--csv "$tmp/out.csv" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
check "sweep exits 0 (rc $rc)" "[ $rc -eq 0 ]"
check "three ok rows" "[ \$(awk '\$1 ~ /^[0-9]+\$/ && \$NF == \"ok\"' '$tmp/out' | wc -l) -eq 3 ]"
check "no FAIL row" "! grep -q FAIL '$tmp/out'"
check "every size: all nodes agree on the digest, no bans" \
	"[ \$(grep -c '^# digest [0-9]* btard [0-9a-f]\{64\} (all 4 nodes agree, no bans)' '$tmp/out') -eq 3 ]"
check "the three digests differ (per-size runs)" \
	"[ \$(grep '^# digest' '$tmp/out' | awk '{print \$5}' | sort -u | wc -l) -eq 3 ]"
check "ratio and plain columns in the header" "grep -q 'plain(us).*p.busbw.*x plain' '$tmp/out'"
check "where the time went: busy, sign, verify, hash, clip, crc" \
	"grep -q 'busy%.*sign(ms).*ver(ms).*hash.*clip.*crc' '$tmp/out'"
check "signatures were counted" "grep -q 'btard.*no bans); [1-9][0-9]* signs, [1-9][0-9]* verifies' '$tmp/out'"
check "Avg bus bandwidth line" "grep -q '^# Avg bus bandwidth    : [0-9.]*  (plain butterfly mean: [0-9.]*)' '$tmp/out'"
check "CSV header" "head -1 '$tmp/out.csv' | grep -qx 'size_bytes,time_us,algbw,busbw,plain_busbw,protocol,overhead_bytes'"
# Overhead: bytes sent beyond the butterfly's 2(n-1) size. With few
# retransmissions it is a few percent, and the step window (the slowest
# node's step boundaries) shifts a fraction of a step's traffic in or out,
# so allow -10% of the butterfly's bytes, not only positive values.
check "CSV: 3 btard rows with overhead above -10%" \
	"[ \$(awk -F, 'NR > 1 && \$6 == \"btard\" && \$7 > -0.6 * \$1 && \$4 > 0 && \$5 > 0' '$tmp/out.csv' | wc -l) -eq 3 ]"

# memif: one process per peer; the same seed and step count give the same
# digest as ring.
"$bench" allreduce --protocol btard --transport memif --peers 4 -b 64K -e 64K --iters 2 \
	>"$tmp/memif" 2>&1
rc=$?
cat "$tmp/memif"
check "memif exits 0 (rc $rc)" "[ $rc -eq 0 ]"
check "memif: the row is ok" "[ \$(awk '\$1 == 65536 && \$NF == \"ok\"' '$tmp/memif' | wc -l) -eq 1 ]"
ring_dg=$(awk '$1 == "#" && $2 == "digest" && $3 == 65536 {print $5}' "$tmp/out")
check "memif: same params digest as ring for the same seed" \
	"grep -q '^# digest 65536 btard $ring_dg (all 4 nodes agree, no bans)' '$tmp/memif'"

# A size beyond BYZ_WIRE_MAX_PART_FLOATS: a row that says why, not a gap.
"$bench" allreduce --protocol btard --peers 4 -b 512M -e 512M --iters 1 --warmup 0 >"$tmp/big" 2>&1
rc=$?
check "too large a size exits 0 (rc $rc)" "[ $rc -eq 0 ]"
check "too large a size gets a skipped row" \
	"grep -q '^ *536870912 skipped: d = 134217728 floats exceeds the node runtime' '$tmp/big'"

# Without mpirun on PATH: one clear line, the run goes on, status unchanged.
PATH=/nonexistent "$bench" allreduce --protocol btard --peers 2 -b 8K -e 8K --iters 1 --warmup 0 \
	--validators 0 --baseline mpi >"$tmp/nompi" 2>&1
rc=$?
check "no mpirun: exits 0 (rc $rc)" "[ $rc -eq 0 ]"
check "no mpirun: says so" \
	"grep -qx '# baseline mpi: mpirun not found (Debian: openmpi-bin libopenmpi-dev)' '$tmp/nompi'"
check "no mpirun: the row still ran" "[ \$(awk '\$1 == 8192 && \$NF == \"ok\"' '$tmp/nompi' | wc -l) -eq 1 ]"

for args in "--protocol foo" "--protocol btard --validators 4" "--validators 1" \
	"--protocol btard --validators -1" "--protocol btard --transport afxdp" \
	"--protocol btard --loss 0.1" "--protocol btard --phase-ms 0" "--phase-ms 10" \
	"--baseline foo" "--protocol btard --baseline" "--transport memif --baseline mpi" \
	"--protocol btard --transport memif --workers 1" "--protocol btard --pace 1" \
	"--rto-us 5000" "--protocol btard --rto-us 5" "--clip-workers" \
	"--protocol btard --transport memif --clip-workers"; do
	# shellcheck disable=SC2086
	"$bench" allreduce $args >/dev/null 2>"$tmp/err"
	rc=$?
	check "'$args' is refused with a message (rc $rc)" "[ $rc -eq 2 ] && [ -s '$tmp/err' ]"
done
# the clip on worker lcores: the same digest as inline, every job on a worker
"$bench" allreduce --protocol btard --clip-workers -b 8K -e 8K --iters 1 --warmup 0 \
	>"$tmp/cw" 2>&1
rc=$?
check "--clip-workers exits 0 (rc $rc)" "[ $rc -eq 0 ]"
check "--clip-workers: same digest, jobs on the workers only" \
	"grep -Eq '^# clip-workers 8192: .*clip jobs inline [1-9][0-9]*/0, on workers 0/[1-9].*digest identical' '$tmp/cw'"
"$bench" allreduce --help >"$tmp/help"
check "--help documents --protocol and --baseline" \
	"grep -q -- '--protocol P' '$tmp/help' && grep -q -- '--baseline mpi' '$tmp/help'"
exit $fail
