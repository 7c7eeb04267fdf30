#!/bin/sh
# byz-stat against a running byzd (net_ring vdev, --no-huge, one peer of a
# roster of two; the other is absent and silent every step, and a silent
# limit past the test's length keeps it in the roster, so the node never
# sees itself in a minority and steps alone):
# the human summary's step count is one the node logged as done and no more
# than it reports when stopped, steps/s is positive, --json carries the
# same counters, --config finds the prefix in the node's config, --watch
# repeats, and a wrong prefix is a clear error.
# usage: test_node_stat.sh BYZD BYZ_KEYGEN BYZ_STAT
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BYZD=$(abs "$1")
KEYGEN=$(abs "$2")
STAT=$(abs "$3")
command -v python3 >/dev/null || { echo "skipping: byz-stat needs python3"; exit 77; }
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$STAT" --help | grep -q -- "--file-prefix" || fail "--help"
"$STAT" --watch -1 2>/dev/null; [ $? -eq 2 ] || fail "--watch -1 accepted"
err=$("$STAT" --file-prefix nosuchnode$$ 2>&1); rc=$?
[ $rc -eq 1 ] || fail "missing node rc $rc"
echo "$err" | grep -q "no DPDK telemetry socket for file prefix 'nosuchnode$$'" || fail "missing node: $err"

cd "$T" || exit 1
for k in k0 k1; do "$KEYGEN" "$k" >/dev/null || fail "keygen $k"; done
P=byzstat$$
cat > node.conf <<EOC
run_id = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
key_file = k0
steps = 0
[eal]
no_huge = yes
no_pci = yes
mem_mb = 256
file_prefix = $P
vdev = net_ring0
[port]
name = net_ring0
[protocol]
phase_us = 50000
d = 64
silent_limit = 1000000
[peer]
$(cat k0.pub)
ip = 10.0.0.1
[peer]
$(cat k1.pub)
ip = 10.0.0.2
EOC
"$BYZD" node.conf >out.txt 2>err.txt &
pid=$!
i=0
while ! grep -q "step 2 done" err.txt 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
		grep -q "cannot start the DPDK EAL" err.txt && { echo "skipping: $(cat err.txt)"; exit 77; }
		fail "no step 2 within 30 s: $(cat err.txt)"
	fi
	sleep 0.1
done

sum=$("$STAT" --file-prefix $P --interval 1) || fail "byz-stat: $sum"
echo "$sum"
s=$(echo "$sum" | sed -n 's/^  steps *\([0-9]*\) done.*/\1/p')
if [ -z "$s" ] || [ "$s" -lt 2 ]; then fail "no step count >= 2 in: $sum"; fi
rate=$(echo "$sum" | sed -n 's/.*, \([0-9.]*\) steps\/s$/\1/p')
[ -n "$rate" ] || fail "no steps/s in: $sum"
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "steps/s $rate with a node stepping"
echo "$sum" | grep -q "^byzd pid $pid: peer 0 of 2" || fail "header: $sum"
echo "$sum" | grep -q "^  bans       0$" || fail "bans: $sum"
echo "$sum" | grep -q "^  stalls     " || fail "stalls: $sum"
echo "$sum" | grep -q "^  drops      " || fail "drops: $sum"
i=0 # the log line follows the counter within a poll
while ! grep -q "step $s done" err.txt; do
	i=$((i + 1))
	[ $i -gt 50 ] && fail "byz-stat says $s steps, the node never logged step $s"
	sleep 0.1
done

js=$("$STAT" --file-prefix $P --json --once) || fail "--json: $js"
echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = int(sys.argv[1])
assert d["steps"] >= s, ("steps went back", d["steps"], s)
assert d["self"] == 0 and d["peers"] == 2 and d["bans"] == 0, d
assert d["pid"] == int(sys.argv[2]) and d["steps_per_s"] is None, d
assert all(isinstance(d[k], int) for k in ("frames_out", "drop_unknown", "left")), d
' "$s" $pid || fail "--json: $js"

cfg=$("$STAT" --config node.conf --once) || fail "--config: $cfg"
echo "$cfg" | grep -q "^byzd pid $pid: peer 0 of 2" || fail "--config: $cfg"
err=$("$STAT" --config k0.pub 2>&1); rc=$?
[ $rc -eq 1 ] || fail "config without a prefix rc $rc"
echo "$err" | grep -q "k0.pub: no \[eal\] file_prefix" || fail "config without a prefix: $err"

# --watch: wait (up to 30 s, the machine may be loaded) for three reports
: >watch.txt
"$STAT" --file-prefix $P --watch 0.2 >watch.txt 2>&1 &
wpid=$!
i=0
while [ "$(grep -c "^  steps " watch.txt)" -lt 3 ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $wpid 2>/dev/null; then
		kill $wpid 2>/dev/null
		fail "--watch: $(cat watch.txt)"
	fi
	sleep 0.1
done
kill -TERM $wpid
wait $wpid; rc=$?
[ $rc -eq 0 ] || fail "--watch exit $rc on SIGTERM: $(cat watch.txt)"
grep -q "steps/s" watch.txt || fail "--watch reports no rate: $(cat watch.txt)"

kill -TERM $pid
wait $pid; rc=$?
pid=
[ $rc -eq 0 ] || fail "byzd rc $rc"
final=$(sed -n 's/^byzd: stopped: \([0-9]*\) steps.*/\1/p' out.txt)
if [ -z "$final" ] || [ "$final" -lt "$s" ]; then
	fail "stopped at '$final' steps, byz-stat saw $s: $(cat out.txt)"
fi
echo "ok: byz-stat saw step $s of $final"
