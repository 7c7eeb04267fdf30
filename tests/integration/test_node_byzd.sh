#!/bin/sh
# byzd end to end: --help, --check-config on good and bad configs (each
# refusal names the file and line or the key file), a 3-step single-process
# smoke run on a net_ring vdev (--no-huge; the other roster peer is absent,
# so it is silent; with silent_limit 2 it leaves and byzd, alone in a roster
# of two, stops with exit 3: a minority view), a clean stop on SIGTERM, a start after
# start_time (a restart: it rejoins and waits for the swarm's state); then
# the same with [eal] dp_lcore (the dataplane loop on lcore 1, the control
# thread on the main lcore): --check-config shows the layout and refuses a
# bad dp_lcore at its line, 3 steps finish, SIGTERM stops both lcores.
# The af_packet and af_xdp examples of docs/byzd.md pass --check-config as
# written, with frame and mbuf sizes that agree; a framesz that does not
# divide blocksz, or cannot hold the MTU, is refused with the fix.
# usage: test_node_byzd.sh BYZD BYZ_KEYGEN [DOCS_BYZD_MD]
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BYZD=$(abs "$1")
KEYGEN=$(abs "$2")
DOC=$(abs "${3:-docs/byzd.md}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BYZD" --help | grep -q "usage: byzd" || fail "--help"
"$BYZD" >/dev/null 2>&1 && fail "no argument accepted"
"$BYZD" --steps x "$T/none" 2>&1 | grep -q "steps: not a non-negative integer" || fail "--steps x"

cd "$T" || exit 1
for k in k0 k1 k2; do "$KEYGEN" "$k" >/dev/null || fail "keygen $k"; done
RUN=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
write() { # file key steps extra-run-line [extra-eal-lines [extra-protocol-lines]]
	cat > "$1" <<EOC
# byzd test config
run_id = $RUN
key_file = $2
steps = $3
$4
[eal]
no_huge = yes
no_pci = yes
mem_mb = 256
file_prefix = byzdtest$$
vdev = net_ring0
${5:-}
[port]
name = net_ring0
[protocol]
phase_us = ${PHASE:-50000}
d = 64
${6:-silent_limit = 8}
[peer]
$(cat k0.pub)
ip = 10.0.0.1
[peer]
$(cat k1.pub)
ip = 10.0.0.2
EOC
}
write good.conf k0 3 ""
out=$("$BYZD" --check-config good.conf) || fail "check-config good: $out"
echo "$out" | grep -q "good.conf: OK: .*2 peers, self = 0" || fail "summary: $out"
# 2 peers: relay_f = 0, one window per digest phase, Delta = D/3
echo "$out" | grep -q "good.conf: relay windows: W = 1 per digest phase (relay_f 0 = (n - 1) / 2), Delta = [0-9]* us (D / 3): an attempt takes" ||
	fail "relay line: $out"
# the leaf hash: blake2b by default, under the configured run id; sha256
# under the run id bound to it (byz_leaf_run_id), so never the same
echo "$out" | grep -q "good.conf: leaf hash blake2b (.*), run id on the wire 01234567\.\.\." ||
	fail "leaf hash line: $out"
write sha.conf k0 3 "leaf_hash = sha256"
out=$("$BYZD" --check-config sha.conf) || fail "check-config sha: $out"
echo "$out" | grep -q "sha.conf: leaf hash sha256 (.*), run id on the wire" ||
	fail "sha256 leaf hash line: $out"
echo "$out" | grep -q "run id on the wire 01234567\.\.\." && fail "sha256 run id not bound: $out"
write shabad.conf k0 3 "leaf_hash = auto"
err=$("$BYZD" --check-config shabad.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "shabad rc $rc"
echo "$err" | grep -q "shabad.conf:5: leaf_hash: 'auto' is for benchmarks" || fail "shabad: $err"

write bad1.conf k0 3 "colour = blue"
err=$("$BYZD" --check-config bad1.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad1 rc $rc"
echo "$err" | grep -q "bad1.conf:5: unknown key 'colour' in \[run\]" || fail "bad1: $err"

write bad2.conf missing.key 3 ""
err=$("$BYZD" --check-config bad2.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad2 rc $rc"
echo "$err" | grep -q "bad2.conf: key_file 'missing.key'" || fail "bad2: $err"

write bad3.conf k2 3 ""
err=$("$BYZD" --check-config bad3.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad3 rc $rc"
echo "$err" | grep -q "not in any \[peer\] section" || fail "bad3: $err"

# the documented af_packet example, as written (keys filled in)
"$KEYGEN" k3 >/dev/null || fail "keygen k3"
awk '/^    # af_packet example$/ {on = 1} on && !/^    / {exit} on {print substr($0, 5)}' \
	"$DOC" > doc.tmpl
[ -s doc.tmpl ] || fail "no af_packet example in $DOC"
awk 'BEGIN {k = 0} /^pubkey = / {while ((getline l < ("k" k ".pub")) > 0) print l; k++; next}
	{sub(/^key_file = node0.key/, "key_file = k0"); print}' doc.tmpl > afp.conf
out=$("$BYZD" --check-config afp.conf 2>&1) || fail "docs af_packet example: $out"
echo "$out" | grep -q "afp.conf: OK: .*4 peers, self = 0" || fail "afp summary: $out"
# frames of 1514 bytes, mbufs of >= 2048 + headroom, af_packet framesz 2048:
# the PMD needs framesz - 32 = 2016 bytes of room, the mbufs have it
echo "$out" | grep -q "port: mtu 1500, frames up to 1514 bytes, mbufs of 2176 bytes, af_packet framesz 2048" ||
	fail "afp sizes: $out"
sed 's/net_af_packet0/net_af_xdp0/' afp.conf > xdp.conf
out=$("$BYZD" --check-config xdp.conf 2>&1) || fail "docs af_xdp example: $out"
echo "$out" | grep -q "port: mtu 1500, frames up to 1514 bytes, mbufs of 2176 bytes$" ||
	fail "xdp sizes: $out"
sed 's/iface=eth1/iface=eth1,framesz=3000/' afp.conf > afp_bad1.conf
err=$("$BYZD" --check-config afp_bad1.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "afp_bad1 rc $rc"
echo "$err" | grep -q "framesz 3000 must be a multiple of 16" || fail "afp_bad1: $err"
sed 's/iface=eth1/iface=eth1,framesz=3072/' afp.conf > afp_bad2.conf
err=$("$BYZD" --check-config afp_bad2.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "afp_bad2 rc $rc"
echo "$err" | grep -q "framesz 3072 does not divide blocksz 4096 .*use framesz=2048,blocksz=4096" ||
	fail "afp_bad2: $err"
sed 's/^name = net_af_packet0/name = net_af_packet0\nmtu = 9000/' afp.conf > afp_bad3.conf
err=$("$BYZD" --check-config afp_bad3.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "afp_bad3 rc $rc"
echo "$err" | grep -q "mtu 9000 needs 9014: use framesz=16384,blocksz=16384" || fail "afp_bad3: $err"
sed 's/iface=eth1/iface=eth1,framesz=16384,blocksz=16384/; s/^name = net_af_packet0/name = net_af_packet0\nmtu = 9000/' \
	afp.conf > afp_jumbo.conf
out=$("$BYZD" --check-config afp_jumbo.conf 2>&1) || fail "afp jumbo: $out"
echo "$out" | grep -q "mbufs of 16512 bytes, af_packet framesz 16384" || fail "afp jumbo sizes: $out"

err=$("$BYZD" --check-config nothere.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "missing config rc $rc"
echo "$err" | grep -q "nothere.conf: cannot open" || fail "missing config: $err"

# [gradient] fingerprint: --check-config prints this host's model
# fingerprint; a config pinning it passes, one pinning another value is
# refused at start-up with both values named (docs/training.md)
gnl='
'
write fp0.conf k0 3 "" "[gradient]${gnl}source = mlp${gnl}hidden = 8"
out=$("$BYZD" --check-config fp0.conf) || fail "check-config fp0: $out"
fp=$(echo "$out" | sed -n 's/.*model fingerprint \([0-9a-f]\{64\}\) (not pinned.*/\1/p')
[ ${#fp} -eq 64 ] || fail "no model fingerprint in: $out"
write fp1.conf k0 3 "" "[gradient]${gnl}source = mlp${gnl}hidden = 8${gnl}fingerprint = $fp"
out=$("$BYZD" --check-config fp1.conf) || fail "check-config fp1 (pinned to its own value): $out"
echo "$out" | grep -q "model fingerprint $fp (matches" || fail "fp1: $out"
other=$(echo "$fp" | tr '0-9a-f' '1-9a-f0')
write fp2.conf k0 3 "" "[gradient]${gnl}source = mlp${gnl}hidden = 8${gnl}fingerprint = $other"
err=$("$BYZD" --check-config fp2.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "fp2 (another fingerprint) rc $rc: $err"
echo "$err" | grep -q "fp2.conf: \[gradient\]: fingerprint (line 15): this host's mlp model gives $fp, the config expects $other" ||
	fail "fp2: $err"
write fp3.conf k0 3 "" "[gradient]${gnl}source = softmax"
out=$("$BYZD" --check-config fp3.conf) || fail "check-config fp3: $out"
echo "$out" | grep -q "model fingerprint $fp" && fail "softmax and mlp share a fingerprint"

# smoke: three steps on a ring vdev
out=$("$BYZD" good.conf 2>err.txt); rc=$?
if grep -q "cannot start the DPDK EAL" err.txt; then
	echo "skipping the run: $(cat err.txt)"
	exit 77
fi
[ $rc -eq 0 ] || fail "smoke rc $rc: $out $(cat err.txt)"
echo "$out" | grep -q "done: 3 steps, 0 bans" || fail "smoke: $out"
grep -q "step 3 done" err.txt || fail "smoke log: $(cat err.txt)"

# minority view: the absent peer leaves after 2 silent steps; one of two is
# no majority, so byzd stops with exit 3 and says why (no carrying on alone)
write minority.conf k0 0 "" "" "silent_limit = 2"
out=$("$BYZD" minority.conf 2>errm.txt); rc=$?
[ $rc -eq 3 ] || fail "minority rc $rc: $out $(cat errm.txt)"
grep -q "peer 1 left" errm.txt || fail "minority: silent peer never left: $(cat errm.txt)"
grep -q "stopping: step 2: minority view: 1 of 2 roster members active" errm.txt ||
	fail "minority: no clear error: $(cat errm.txt)"
echo "$out" | grep -q "byzd: FAILED: 2 steps" || fail "minority summary: $out"

# SIGTERM: a flag the loop checks; exit 0 with a summary
"$BYZD" --steps 0 good.conf >out2.txt 2>err2.txt &
pid=$!
i=0
while ! grep -q "step 1 done" err2.txt 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { kill -9 $pid; fail "no step within 30 s: $(cat err2.txt)"; }
	sleep 0.1
done
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "SIGTERM rc $rc"
grep -q "shutdown on SIGTERM" err2.txt || fail "no shutdown log: $(cat err2.txt)"
grep -q "byzd: stopped: " out2.txt || fail "no summary: $(cat out2.txt)"
# a start_time long past means a restart: byzd rejoins (no state, re-sync);
# alone it never hears a swarm, so it stays syncing at step 0 until stopped
"$BYZD" --help | grep -q -- "--rejoin" || fail "--help lacks --rejoin"
write late.conf k0 0 "start_time = $(( $(date +%s) - 60 ))"
"$BYZD" late.conf >out3.txt 2>err3.txt &
pid=$!
i=0
while ! grep -q "re-syncs from the swarm" err3.txt 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { kill -9 $pid; fail "no rejoin within 30 s: $(cat err3.txt)"; }
	sleep 0.1
done
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "rejoin SIGTERM rc $rc"
grep -q "start_time passed .* ago: rejoining the running swarm" err3.txt ||
	fail "no rejoin notice: $(cat err3.txt)"
grep -q "byzd: stopped: 0 steps" out3.txt || fail "rejoining alone made steps: $(cat out3.txt)"

# split mode: the dataplane on lcore 1, the control thread on lcore 0
nl='
'
# (longer phases: a lone node that is late once cannot re-sync from anyone
# and stops, by design; launching the dataplane lcore can make it late on a
# loaded 2-CPU machine)
PHASE=200000 write split.conf k0 3 "" "lcores = 0-1${nl}dp_lcore = 1"
out=$("$BYZD" --check-config split.conf) || fail "check-config split: $out"
echo "$out" | grep -q "main lcore 0 = control thread .*lcore 1 = dataplane RX/TX" ||
	fail "split layout: $out"
out=$("$BYZD" --check-config good.conf) || fail "check-config good: $out"
echo "$out" | grep -q "main lcore 0 = control thread and dataplane RX/TX (single lcore)" ||
	fail "single layout: $out"
write splitbad.conf k0 3 "" "lcores = 0-1${nl}dp_lcore = 0"
err=$("$BYZD" --check-config splitbad.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "splitbad rc $rc"
echo "$err" | grep -q "splitbad.conf:13: dp_lcore 0 is the main lcore" || fail "splitbad: $err"
# CenteredClip workers: the layout table, and overlaps refused at their line
write wk.conf k0 3 "" "lcores = 0-3${nl}dp_lcore = 1${nl}worker_lcores = 2-3"
out=$("$BYZD" --check-config wk.conf) || fail "check-config workers: $out"
echo "$out" | grep -q "lcore layout:" || fail "no layout table: $out"
echo "$out" | grep -Eq "^  0 +control +polite" || fail "layout: control row: $out"
echo "$out" | grep -Eq "^  1 +rx/tx +polite +dataplane loop" || fail "layout: rx/tx row: $out"
echo "$out" | grep -Eq "^  2 +worker 0 +polite +CenteredClip" || fail "layout: worker 0: $out"
echo "$out" | grep -Eq "^  3 +worker 1 +polite +CenteredClip" || fail "layout: worker 1: $out"
out=$("$BYZD" --check-config good.conf) || fail "check-config good: $out"
echo "$out" | grep -q "no worker_lcores: CenteredClip runs on the control thread" ||
	fail "layout without workers: $out"
write wkbad.conf k0 3 "" "lcores = 0-3${nl}dp_lcore = 1${nl}worker_lcores = 1-2"
err=$("$BYZD" --check-config wkbad.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "wkbad rc $rc"
echo "$err" | grep -q "wkbad.conf:14: worker_lcores: lcore 1 is dp_lcore" || fail "wkbad: $err"
if [ "$(nproc)" -lt 2 ]; then
	echo "skipping the split-mode runs: lcores 0-1 need two CPUs, this host has $(nproc)"
	exit 77
fi
out=$("$BYZD" split.conf 2>err4.txt); rc=$?
[ $rc -eq 0 ] || fail "split rc $rc: $out $(cat err4.txt)"
grep -q "dataplane RX/TX on lcore 1, control thread on lcore 0" err4.txt ||
	fail "split log: $(cat err4.txt)"
echo "$out" | grep -q "done: 3 steps, 0 bans" || fail "split: $out"
echo "$out" | grep -Eq "frames in [0-9]+ out [1-9]" || fail "split sent nothing: $out"
"$BYZD" --steps 0 split.conf >out5.txt 2>err5.txt &
pid=$!
i=0
while ! grep -q "step 1 done" err5.txt 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { kill -9 $pid; fail "split: no step within 30 s: $(cat err5.txt)"; }
	sleep 0.1
done
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "split SIGTERM rc $rc: $(cat err5.txt)"
grep -q "shutdown on SIGTERM" err5.txt || fail "split: no shutdown log: $(cat err5.txt)"
grep -q "byzd: stopped: " out5.txt || fail "split: no summary: $(cat out5.txt)"
# CenteredClip on worker lcore 1: the control thread on lcore 0 runs no clip
PHASE=200000 write wkrun.conf k0 3 "" "lcores = 0-1${nl}worker_lcores = 1"
out=$("$BYZD" wkrun.conf 2>err6.txt); rc=$?
[ $rc -eq 0 ] || fail "workers rc $rc: $out $(cat err6.txt)"
grep -q "CenteredClip on 1 worker lcore(s) '1'" err6.txt || fail "workers log: $(cat err6.txt)"
grep -Eq "worker lcore 1: [1-9][0-9]* CenteredClip jobs" err6.txt ||
	fail "worker ran no job: $(cat err6.txt)"
echo "$out" | grep -q "done: 3 steps, 0 bans" || fail "workers: $out"
echo "$out" | grep -Eq "clip jobs inline 0 on workers [1-9]" || fail "workers: clip inline: $out"
echo "byzd: all checks passed"
