#!/bin/sh
# byz_trainer_open from a byzd config file: a trainer on a net_ring vdev
# (--no-huge; the other roster peer is absent, so it is silent) runs two
# steps and gets a constant gradient back as the aggregate (one input); a
# config the trainer API refuses names the file and line.
# usage: test_trainer_open.sh TEST_TRAINER BYZ_KEYGEN
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
TT=$(abs "$1")
KEYGEN=$(abs "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$T" || exit 1
for k in k0 k1; do "$KEYGEN" "$k" >/dev/null || fail "keygen $k"; done
write() { # file extra-eal-line
	cat > "$1" <<EOC
run_id = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
key_file = k0
[eal]
no_huge = yes
no_pci = yes
mem_mb = 256
file_prefix = byztrtest$$
vdev = net_ring0
${2:-}
[port]
name = net_ring0
[protocol]
phase_us = 20000
d = 40
[peer]
$(cat k0.pub)
ip = 10.0.0.1
[peer]
$(cat k1.pub)
ip = 10.0.0.2
EOC
}
write good.conf
out=$("$TT" --open good.conf 2 2>err.txt); rc=$?
[ $rc -eq 77 ] && { echo "skipping: $(cat err.txt)"; exit 77; }
[ $rc -eq 0 ] || fail "open good.conf rc $rc: $(cat err.txt) $out"
echo "$out"
echo "$out" | grep -q "opened: self 0 of 2, d 40" || fail "summary: $out"
echo "$out" | grep -q "step 1: updated 1 contributed 1 .* agg\[0\] 0.25" || fail "steps: $out"
write bad.conf "lcores = 0-1
dp_lcore = 1"
err=$("$TT" --open bad.conf 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad.conf rc $rc: $err"
echo "$err" | grep -q "bad.conf:10: dp_lcore: not supported by the trainer API" || fail "bad: $err"
echo "$err"
echo "PASS"
