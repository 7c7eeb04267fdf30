#!/bin/bash
# Four byzd daemons (the binary) over memif through a byz-switch, d = 2^18
# floats by default (BYZ_BIG_D: 2^22 is 16 MiB gradients, 4 MiB parts),
# [gradient] source = synthetic, the
# phase length derived from the size (no phase_us) at the rates declared
# below, 10 steps. Every node must exit 0 after its 10 steps with no ban and
# the same params digest, and its peak RSS must stay within the bound
# docs/byzd.md gives for this size ("Memory"). Exit 77 where memif or the
# EAL cannot start here.
#
# Attack mode (5th argument, a comma-separated attack list, and the path of
# byz-swarm): for each attack, node 3 runs byzd --attack A from step 1 while
# the switch injects 10% loss, duplication, reordering and 1% corruption;
# the three honest nodes must ban node 3, all for the same reason, ban no one
# else and end at one digest; and the in-process harness (byz-swarm, same
# attack, same fault rates) must ban its Byzantine peer for that same reason.
# The pseudo-attack "kill" SIGKILLs honest node 3 mid-step instead: the three
# others must ban it as a withholder (reveal or projection-missing) and agree.
# usage: test_byzd_big.sh BYZD BYZ_KEYGEN BYZ_SWITCH [plain|sanitized] [ATTACKS BYZ_SWARM]
# (sanitized: d = 2^18 at cpu_gbps 0.1 unless set below, RSS not checked)
# env: BYZ_BIG_D (default 262144; attack mode 16384), BYZ_BIG_STEPS (10; attack
# mode 3), BYZ_BIG_CPU (cpu_gbps; default from nproc and the load average),
# BYZ_BIG_SANITIZED (set: RSS not checked), BYZ_BIG_FAULTS (byz-switch fault
# options, attack mode), BYZ_KEEP (keep files)
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BYZD=$(abs "$1")
KEYGEN=$(abs "$2")
SWITCH=$(abs "$3")
ATTACKS=${5:-}
SWARM=${6:+$(abs "$6")}
# mesh: no switch; node i has a memif link to every j, named net_memif<j>
# and given as [peer] j's port (byzd's several ports), no faults
MESH=""
[ "${7:-}" = mesh ] && MESH=1
if [ -n "$ATTACKS" ]; then
	# small parts: the point is the attack's path through real daemons
	BYZ_BIG_D=${BYZ_BIG_D:-16384}
	BYZ_BIG_STEPS=${BYZ_BIG_STEPS:-3}
	BYZ_BIG_FAULTS=${BYZ_BIG_FAULTS:---loss 0.1 --dup 0.1 --reorder 0.1 --corrupt 0.01}
	[ -x "${SWARM:-}" ] || { echo "FAIL: attack mode needs the byz-swarm path"; exit 1; }
fi
if [ "${4:-plain}" = sanitized ]; then
	BYZ_BIG_SANITIZED=1
	BYZ_BIG_D=${BYZ_BIG_D:-262144}
	BYZ_BIG_CPU=${BYZ_BIG_CPU:-0.1}
fi
# d = 2^18 by default (what meson runs); BYZ_BIG_D=4194304 for 2^22
D=${BYZ_BIG_D:-262144}
# cpu_gbps is each node's share of the CPUs: 1.4 Gbit/s of vector messages
# per core (measured here, docs/byzd.md), shared by the 4 nodes, the switch
# and whatever load the host already carries (the 1-minute load average),
# 0.1..0.7. Every node gets the same value (one config).
if [ -z "${BYZ_BIG_CPU:-}" ]; then
	BYZ_BIG_CPU=$(awk -v c="$(nproc)" '{ r = 1.4 * c / (5 + $1); if (r > 0.7) r = 0.7;
		if (r < 0.1) r = 0.1; printf "%.2f", r }' /proc/loadavg)
fi
STEPS=${BYZ_BIG_STEPS:-10}
N=4
T=$(mktemp -d /tmp/byzbig.XXXXXX)
P=byzbig$$
swpid=""
cleanup() {
	[ -n "$swpid" ] && kill "$swpid" 2>/dev/null && wait "$swpid" 2>/dev/null
	[ -n "${BYZ_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipping: $*"; exit 77; }
cd "$T" || exit 1
for i in $(seq 0 $((N - 1))); do "$KEYGEN" "k$i" >/dev/null || fail "keygen"; done

conf() { # index
	{
		echo "run_id = 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
		echo "key_file = k$1"
		echo "steps = $STEPS"
		echo "start_time = $START"
		echo "[eal]"
		echo "no_huge = yes"
		echo "no_pci = yes"
		echo "mem_mb = 256"
		echo "file_prefix = $P-$1"
		if [ -n "$MESH" ]; then
			# a link per pair, the lower index serving; every link carries
			# this node's roster MAC
			local j a b first=""
			for j in $(seq 0 $((N - 1))); do
				[ "$j" -eq "$1" ] && continue
				[ -z "$first" ] && first=$j
				a=$(( $1 < j ? $1 : j )); b=$(( $1 < j ? j : $1 ))
				echo "vdev = net_memif$j,role=$([ "$1" -lt "$j" ] && echo server || echo client),id=0,socket=$T/m$a-$b.sock,socket-abstract=no,rsize=11,bsize=8192,mac=02:62:79:7a:00:0$1"
			done
			echo "[port]"
			echo "name = net_memif$first"
		else
			echo "vdev = net_memif0,role=client,id=0,socket=$T/p$1.sock,socket-abstract=no,rsize=11,bsize=8192,mac=02:62:79:7a:00:0$1"
			echo "[port]"
			echo "name = net_memif0"
		fi
		echo "mtu = 4200" # full 4 KiB control fragments (BYZ_CONTROL_MAX)
		echo "[protocol]"
		echo "d = $D"
		# link: memif through a switch process, polite poll (docs/byzd.md)
		echo "link_gbps = ${BYZ_BIG_LINK:-1}"
		echo "cpu_gbps = $BYZ_BIG_CPU"
		echo "[gradient]"
		echo "source = synthetic"
		for j in $(seq 0 $((N - 1))); do
			echo "[peer]"
			cat "k$j.pub"
			echo "ip = 10.77.0.$((j + 1))"
			echo "mac = 02:62:79:7a:00:0$j"
			# the own row's port is ignored: one roster for every node
			[ -n "$MESH" ] && echo "port = net_memif$j"
		done
	} > "n$1.conf"
}

# run_one [ATTACK]: a switch, four daemons, the checks; files tagged by the
# attack's name ("big" without one)
run_one() {
	local atk=${1:-} tag=${1:-big} rc i k p
	rm -f "$T"/p*.sock "$T"/m*.sock # a socket left by an earlier run is no sign of this one
	if [ -z "$MESH" ]; then
		# shellcheck disable=SC2086 # BYZ_BIG_FAULTS: zero or more options
		"$SWITCH" --ports $N --dir "$T" --file-prefix "$P-sw" --mtu 4200 \
			${atk:+${BYZ_BIG_FAULTS:-}} >"$tag.sw.out" 2>"$tag.sw.err" &
		swpid=$!
		for _ in $(seq 200); do
			[ -S "$T/p$((N - 1)).sock" ] && break
			kill -0 "$swpid" 2>/dev/null || skip "byz-switch did not start: $(tail -2 "$tag.sw.err")"
			sleep 0.05
		done
		[ -S "$T/p$((N - 1)).sock" ] || fail "byz-switch made no sockets"
	fi
	# a mesh starts its daemons a second apart, servers (lower index) first
	local stagger=0
	[ -n "$MESH" ] && stagger=$N
	START=$(( $(date +%s) + ${BYZ_BIG_LEAD:-4} + stagger ))
	for i in $(seq 0 $((N - 1))); do conf "$i"; done
	"$BYZD" --check-config n0.conf >check.out 2>&1 || fail "check-config: $(cat check.out)"
	[ -z "$atk" ] && cat check.out
	grep -q "D = [0-9]* us (derived from d)" check.out || fail "no derived schedule: $(cat check.out)"
	D_US=$(sed -n 's/.*phases: D = \([0-9]*\) us.*/\1/p' check.out)
	# the steps at 9 D each, the lead, and slack for start-up and a restart
	LIMIT=$(( START - $(date +%s) + (STEPS + 3) * 9 * D_US / 1000000 + 20 ))
	local honest=$N pids=""
	[ -n "$atk" ] && honest=$((N - 1))
	for i in $(seq 0 $((N - 1))); do
		if [ "$i" -ge "$honest" ] && [ "$atk" = kill ]; then
			# an honest node that dies: SIGKILL a third of a phase after
			# its step 2 ends (its COMMIT of step 3 sent, its channel
			# streams to the others in flight)
			timeout $LIMIT "$BYZD" "n$i.conf" >"$tag.out$i" 2>"$tag.err$i" &
			local victim=$!
			( for _ in $(seq $((LIMIT * 20))); do
				grep -q "step 2 done" "$tag.err$i" 2>/dev/null && break
				sleep 0.05
			  done
			  sleep "$(awk -v d="$D_US" 'BEGIN { printf "%.3f", d / 3e6 }')"
			  pkill -KILL -P "$victim" ) & # byzd itself, the child of timeout
		elif [ "$i" -ge "$honest" ]; then
			timeout $LIMIT "$BYZD" --attack "$atk" --attack-step 1 "n$i.conf" \
				>"$tag.out$i" 2>"$tag.err$i" &
		else
			timeout $LIMIT "$BYZD" "n$i.conf" >"$tag.out$i" 2>"$tag.err$i" &
		fi
		pids="$pids $!"
		[ -n "$MESH" ] && sleep 1
	done
	k=0
	for p in $pids; do
		# a banned liar finishes no step of the others: stop it once they are done
		[ "$k" -ge "$honest" ] && kill -TERM "$p" 2>/dev/null
		wait "$p"; echo $? > "$tag.rc$k"; k=$((k + 1))
	done
	[ -n "$swpid" ] && kill "$swpid" 2>/dev/null && wait "$swpid" 2>/dev/null
	swpid=""
	for i in $(seq 0 $((N - 1))); do
		rc=$(cat "$tag.rc$i")
		if [ "$rc" != 0 ] && grep -q "cannot start the DPDK EAL" "$tag.err$i"; then
			skip "EAL unavailable: $(tail -2 "$tag.err$i")"
		fi
	done
	local bans=0
	[ -n "$atk" ] && bans=1
	for i in $(seq 0 $((honest - 1))); do
		rc=$(cat "$tag.rc$i")
		[ "$rc" -eq 0 ] || fail "$tag: node $i rc $rc: $(cat "$tag.out$i") $(tail -8 "$tag.err$i")"
		grep -q "done: $STEPS steps, $bans bans" "$tag.out$i" || fail "$tag: node $i: $(cat "$tag.out$i")"
	done
	d0=$(grep "step $STEPS done" "$tag.err0" | sed 's/.*digest //')
	[ -n "$d0" ] || fail "$tag: no digest: $(tail -5 "$tag.err0")"
	for i in $(seq 1 $((honest - 1))); do
		grep -q "step $STEPS done, params digest $d0" "$tag.err$i" ||
			fail "$tag: node $i digest differs: $(grep "step $STEPS" "$tag.err$i")"
	done
	if [ "$atk" = kill ]; then
		check_killed
	elif [ -n "$atk" ]; then
		check_attack "$atk"
	fi
}

# check_killed: node 3 died mid-step (SIGKILL after its COMMIT), which the
# protocol cannot tell from withholding its MPRNG reveal (or projections):
# the other three ban it for that, all at one step and for one reason, ban
# no one else, and agree on the digest (docs/security.md, "Crash and restart")
check_killed() {
	local i b b0=""
	# (its rc is timeout's, not telling: a killed byzd says nothing more)
	grep -q "step 3 done\|done: " "kill.err$((N - 1))" "kill.out$((N - 1))" &&
		fail "kill: node $((N - 1)) outlived its step 3: $(tail -3 "kill.err$((N - 1))")"
	for i in $(seq 0 $((N - 2))); do
		grep "banned peer" "kill.err$i" | grep -vq "banned peer $((N - 1)) " &&
			fail "kill: node $i banned an honest peer: $(grep 'banned peer' "kill.err$i")"
		b=$(grep -Eo "step [0-9]+: banned peer $((N - 1)) \((reveal|projection-missing)," "kill.err$i")
		[ -n "$b" ] || fail "kill: node $i: no reveal/projection-missing ban of the dead node: $(grep -i 'ban\|left' "kill.err$i")"
		[ -z "$b0" ] && b0=$b
		[ "$b" = "$b0" ] || fail "kill: node $i: '$b', node 0: '$b0'"
	done
	echo "kill: node $((N - 1)) killed after its second step, its next commitment sent; the other three: '${b0%,}' (as withholding), one digest $d0"
}

# check_attack ATTACK: the honest three banned node 3 for one reason, nobody
# else; the harness banned its Byzantine peer, and only it, for that reason
check_attack() {
	local atk=$1 i b r0="" why
	for i in $(seq 0 $((N - 2))); do
		grep "banned peer" "$atk.err$i" | grep -vq "banned peer $((N - 1)) " &&
			fail "$atk: node $i banned an honest peer: $(grep 'banned peer' "$atk.err$i")"
		b=$(sed -n "s/.*: banned peer $((N - 1)) (\([a-z-]*\),.*/\1/p" "$atk.err$i" | head -1)
		[ -n "$b" ] || fail "$atk: node $i did not ban the liar: $(grep -i 'ban' "$atk.err$i")"
		[ -z "$r0" ] && r0=$b
		[ "$b" = "$r0" ] || fail "$atk: node $i banned for '$b', node 0 for '$r0'"
	done
	grep -q "this node is Byzantine (--attack $atk" "$atk.err$((N - 1))" ||
		fail "$atk: the attacker did not say so: $(head -3 "$atk.err$((N - 1))")"
	"$SWARM" --peers $N --byzantine 1 --attack "$atk" --attack-start 1 --steps "$STEPS" \
		--loss 0.1 --dup 0.1 --quiet --json "$atk.json" >"$atk.swarm" 2>&1 ||
		fail "$atk: byz-swarm: $(tail -3 "$atk.swarm")"
	why=$(python3 - "$atk.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
byz = set(j["byzantine"])
bans = j["bans"]
if j["honest_banned"] or any(b["peer"] not in byz for b in bans) or len(bans) != len(byz):
    print("bad:", bans, "byzantine", sorted(byz))
else:
    print(" ".join(sorted({b["reason"] for b in bans})))
PY
)
	[ "$why" = "$r0" ] || fail "$atk: byzd banned for '$r0', the harness: '$why'"
	local lost=0
	[ -z "$MESH" ] && lost=$(awk '$1 ~ /^[0-9]+$/ { s += $7 } END { print s + 0 }' "$atk.sw.out")
	echo "$atk: banned by all three honest daemons for $r0 (the harness: $why), one digest $d0${MESH:+, memif mesh}${MESH:-, switch dropped $lost frames}"
}

if [ -n "$ATTACKS" ]; then
	for a in ${ATTACKS//,/ }; do
		if [ "$a" = kill ]; then
			# steps after the death: the three go on without it
			S0=$STEPS; STEPS=$(( STEPS > 5 ? STEPS : 5 ))
			run_one kill
			STEPS=$S0
		else
			run_one "$a"
		fi
	done
	for i in $(seq 0 $((N - 1))); do
		[ -z "$MESH" ] || grep -q "2 more port(s) from \[peer\] port: 3 of 3 peers" "${ATTACKS%%,*}.err$i" ||
			fail "mesh: node $i did not route every peer over its own link: $(head -5 "${ATTACKS%%,*}.err$i")"
	done
	echo "byzd attacks: $N daemons${MESH:+ in a memif mesh (a port per peer)}, d = $D, $STEPS steps, ${MESH:+no faults}${MESH:-faults '$BYZ_BIG_FAULTS'}: $ATTACKS each banned as in the harness"
	exit 0
fi
run_one
# docs/byzd.md, "Memory": at most 128 MiB (EAL, pools, code) + 80 d bytes
BOUND_KB=$(( (128 * 1048576 + 80 * D) / 1024 ))
for i in $(seq 0 $((N - 1))); do
	rss=$(sed -n 's/^byzd: peak RSS \([0-9]*\) KiB.*/\1/p' big.err$i)
	echo "node $i: $(cat big.out$i); peak RSS $rss KiB"
	[ -n "$rss" ] || fail "node $i: no peak RSS line: $(tail -3 big.err$i)"
	# a sanitizer's shadow memory and quarantine are not the node's
	[ -n "${BYZ_BIG_SANITIZED:-}" ] && continue
	[ "$rss" -le "$BOUND_KB" ] || fail "node $i: peak RSS $rss KiB above the documented $BOUND_KB KiB"
done
echo "byzd big: $N daemons, d = $D, $STEPS steps, D = $D_US us, one digest $d0, peak RSS within $BOUND_KB KiB"
