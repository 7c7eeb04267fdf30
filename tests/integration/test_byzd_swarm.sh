#!/bin/bash
# Four byzd processes, each in a network namespace of its own, af_packet on a
# veth into a bridge, keys from byz-keygen, the docs' af_packet defaults
# (mtu 1500, framesz 2048). First phases long enough for the load: every
# node finishes the steps, exit 0, no ban, one params digest. Then one node
# runs byzd --attack bad-part: the other three ban it and agree. Then phases
# far too short for d = 2^16: every node must stop with exit 3 and a clear
# reason (late / no re-sync / minority view), and none may ban anyone.
# Exit 77 without root, namespaces or veths.
# usage: test_byzd_swarm.sh BYZD BYZ_KEYGEN
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BYZD=$(abs "$1")
KEYGEN=$(abs "$2")
P=byzs$$
T=$(mktemp -d)
N=4
cleanup() {
	for i in $(seq 0 $((N - 1))); do ip netns del "$P-p$i" 2>/dev/null; done
	ip netns del "$P-sw" 2>/dev/null
	[ -n "${BYZ_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipping: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip(8)"
ip netns add "$P-sw" 2>/dev/null || skip "cannot create network namespaces"
ip -n "$P-sw" link add br0 type bridge || skip "no bridge"
ip -n "$P-sw" link set br0 up
for i in $(seq 0 $((N - 1))); do
	ip netns add "$P-p$i" || skip "netns"
	ip link add "$P-a$i" type veth peer name "$P-b$i" 2>/dev/null || skip "no veth"
	ip link set "$P-a$i" netns "$P-p$i" name p0
	ip link set "$P-b$i" netns "$P-sw" name "s$i"
	ip -n "$P-sw" link set "s$i" master br0 up
	ip netns exec "$P-p$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip -n "$P-p$i" link set p0 address "02:62:79:7a:02:0$i" up
done
cd "$T" || exit 1
for i in $(seq 0 $((N - 1))); do "$KEYGEN" "k$i" >/dev/null || fail "keygen"; done

conf() { # index phase_us d steps
	{
		echo "run_id = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		echo "key_file = k$1"
		echo "steps = $4"
		echo "start_time = $START"
		echo "[eal]"
		echo "no_huge = yes"
		echo "no_pci = yes"
		echo "file_prefix = $P-$1"
		echo "vdev = net_af_packet0,iface=p0"
		echo "[port]"
		echo "name = net_af_packet0"
		echo "[protocol]"
		echo "phase_us = $2"
		echo "d = $3"
		for j in $(seq 0 $((N - 1))); do
			echo "[peer]"
			cat "k$j.pub"
			echo "ip = 10.77.1.$((j + 1))"
			echo "mac = 02:62:79:7a:02:0$j"
		done
	} > "n$1.conf"
}

run_all() { # phase_us d steps tag
	START=$(( $(date +%s) + ${BYZ_SWARM_LEAD:-10} )) # EAL + af_packet start-up, loaded hosts
	for i in $(seq 0 $((N - 1))); do conf "$i" "$1" "$2" "$3"; done
	"$BYZD" --check-config n0.conf >/dev/null || fail "check-config: $("$BYZD" --check-config n0.conf 2>&1)"
	pids=""
	for i in $(seq 0 $((N - 1))); do
		extra=""
		[ "$i" -eq $((N - 1)) ] && extra=${ATTACK:-}
		# shellcheck disable=SC2086 # extra: zero or more options
		timeout ${BYZ_SWARM_TIMEOUT:-120} ip netns exec "$P-p$i" "$BYZD" $extra "n$i.conf" >"$4.out$i" 2>"$4.err$i" &
		pids="$pids $!"
	done
	k=0
	for p in $pids; do
		# a banned liar finishes no step of the others: stop it once they are done
		[ -n "${ATTACK:-}" ] && [ "$k" -eq $((N - 1)) ] && kill -TERM "$p" 2>/dev/null
		wait "$p"; echo $? > "$4.rc$k"; k=$((k + 1))
	done
}

# 1. phases long enough: 3 steps everywhere, one digest, no ban
run_all 100000 256 3 ok
for i in $(seq 0 $((N - 1))); do
	rc=$(cat ok.rc$i)
	if grep -q "cannot start the DPDK EAL\|Permission denied" ok.err$i && [ "$rc" != 0 ]; then
		skip "EAL or af_packet unavailable: $(tail -2 ok.err$i)"
	fi
	[ "$rc" -eq 0 ] || fail "node $i rc $rc: $(cat ok.out$i) $(tail -5 ok.err$i)"
	grep -q "done: 3 steps, 0 bans" ok.out$i || fail "node $i: $(cat ok.out$i)"
done
d0=$(grep "step 3 done" ok.err0 | sed 's/.*digest //')
[ -n "$d0" ] || fail "no digest: $(cat ok.err0)"
for i in $(seq 1 $((N - 1))); do
	grep -q "step 3 done, params digest $d0" ok.err$i || fail "node $i digest differs: $(grep 'step 3' ok.err$i)"
done

# 2. the last node lies (bad-part from step 1) at d = 2^16: the three honest
# nodes ban it for that, at the same step, and end at one params digest
ATTACK="--attack bad-part --attack-step 1" run_all 200000 65536 4 atk
ATTACK=""
for i in $(seq 0 $((N - 2))); do
	rc=$(cat atk.rc$i)
	[ "$rc" -eq 0 ] || fail "attack: node $i rc $rc: $(cat atk.out$i) $(tail -5 atk.err$i)"
	grep -q "done: 4 steps, 1 bans" atk.out$i || fail "attack: node $i: $(cat atk.out$i)"
	# the step of the ban may differ with the load (a node late in step 1
	# sits it out); what it is and that all three agree may not
	b=$(grep -Eo "step [0-9]+: banned peer $((N - 1)) \(bad-part" atk.err$i)
	[ -n "$b" ] || fail "attack: node $i did not ban the liar: $(grep -i 'ban' atk.err$i)"
	[ "$i" -eq 0 ] && b0=$b
	[ "$b" = "$b0" ] || fail "attack: node $i: '$b', node 0: '$b0'"
	grep "banned peer" atk.err$i | grep -vq "banned peer $((N - 1)) " &&
		fail "attack: node $i banned an honest peer: $(grep 'banned peer' atk.err$i)"
done
grep -q "this node is Byzantine (--attack bad-part" atk.err$((N - 1)) ||
	fail "the attacker did not say so: $(head -5 atk.err$((N - 1)))"
a0=$(grep "step 4 done" atk.err0 | sed 's/.*digest //')
[ -n "$a0" ] || fail "attack: no digest: $(tail -5 atk.err0)"
for i in $(seq 1 $((N - 2))); do
	grep -q "step 4 done, params digest $a0" atk.err$i ||
		fail "attack: node $i digest differs: $(grep 'step 4' atk.err$i)"
done

# 3. phases far too short for d = 2^16 (64 KiB parts in 1.4 KiB fragments):
# every node stops with exit 3 and says why; nobody is banned
run_all 3000 65536 20 short
for i in $(seq 0 $((N - 1))); do
	rc=$(cat short.rc$i)
	[ "$rc" -eq 3 ] || fail "short: node $i rc $rc: $(cat short.out$i) $(tail -5 short.err$i)"
	grep -q "byzd: FAILED: .* 0 bans" short.out$i || fail "short: node $i: $(cat short.out$i)"
	grep -q "banned peer" short.err$i && fail "short: node $i banned: $(grep 'banned peer' short.err$i)"
	grep -Eq "stopping: step [0-9]+: (late in|out of step|minority view)" short.err$i ||
		fail "short: node $i: no clear reason: $(tail -3 short.err$i)"
done
echo "byzd swarm: 4 processes agree at long phases; a bad-part liar among them is banned by all three others at d = 2^16; at too-short phases all stop (exit 3), no ban"
