#!/bin/sh
# byz-run: 4 peers of examples/numpy_quickstart.py in separate processes over
# memif through a byz-switch, one of them sign-flipping: every honest peer
# bans it (reason gradient) at the same step and ends with the same
# parameters; bad invocations are refused (exit 2); a failing peer stops the
# others; Ctrl-C stops every process.
# usage: test_byz_run.sh BYZ_RUN EXAMPLE_DIR
set -u
RUN=$1
EX=$2
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
"$PY" -c 'import numpy' 2>/dev/null || { echo "skipping: $PY has no numpy (Debian: python3-numpy)"; exit 77; }
T=$(mktemp -d /tmp/byzrunt.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# bad usage
for bad in "--peers 4 --byzantine 2 --attack sign-flip" "--peers 4 --byzantine 1" \
           "--peers 4 --attack zero" "--peers 1" "--peers 4 --transport ring" \
           "--peers 4 --phase-ms 5"; do
	# shellcheck disable=SC2086
	"$PY" "$RUN" $bad "$EX/numpy_quickstart.py" >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "'$bad' exit $rc, want 2: $(cat "$T/out")"
	grep -q "byz-run: \|usage:" "$T/out" || fail "'$bad': no message"
done
"$PY" "$RUN" --peers 2 "$T/missing.py" >"$T/out" 2>&1 && fail "missing script accepted"
grep -q "no such script" "$T/out" || fail "missing script: $(cat "$T/out")"

# the attacker is banned, by every honest peer alike
"$PY" "$RUN" --peers 4 --byzantine 1 --attack sign-flip --seed 3 --phase-ms 150 \
	"$EX/numpy_quickstart.py" --steps 30 --until-ban >"$T/out" 2>&1
rc=$?
cat "$T/out"
[ $rc -eq 0 ] || fail "run exit $rc"
for i in 0 1 2; do
	grep -q "^\[$i\] step [0-9]* .* ban 3 (gradient)" "$T/out" || fail "peer $i did not ban 3"
done
grep "^\[[0-3]\] step" "$T/out" | grep -q "ban [0-2] " && fail "an honest peer was banned"
n=$(grep "^\[[0-2]\] done:" "$T/out" | sed 's/^\[[0-9]\] //' | sort -u | wc -l)
[ "$n" -eq 1 ] || fail "honest peers ended with different parameters"
w=$(grep "ban 3 (gradient)" "$T/out" | grep "^\[[0-2]\]" | sed 's/^\[[0-9]\] step \([0-9]*\) .*/\1/' | sort -u | wc -l)
[ "$w" -eq 1 ] || fail "the ban came at different steps"

# a peer that fails stops the run with its status
cat > "$T/fail.py" <<'EOS'
import os, sys, time
if os.environ["BYZ_PEER"] == "1":
    sys.exit(7)
time.sleep(60)
EOS
start=$(date +%s)
"$PY" "$RUN" --peers 3 --start-delay 1 "$T/fail.py" >"$T/out" 2>&1
rc=$?
[ $rc -eq 7 ] || fail "failing peer: exit $rc, want 7: $(cat "$T/out")"
[ $(( $(date +%s) - start )) -lt 30 ] || fail "the others were not stopped"
grep -q "peer 1 exited with status 7" "$T/out" || fail "no message for the failing peer"

# Ctrl-C stops every process (the launcher, its peers and its switch)
printf 'import time\nprint("up", flush=True)\ntime.sleep(60)\n' > "$T/sleep.py"
"$PY" "$RUN" --peers 3 --start-delay 1 "$T/sleep.py" >"$T/out2" 2>&1 &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "Ctrl-C: exit $rc, want 130: $(cat "$T/out2")"
sleep 1
grep -q "^\[2\] up" "$T/out2" || fail "Ctrl-C: the peers never started: $(cat "$T/out2")"
pgrep -f "$T/sleep.py" >/dev/null && fail "peers left running after Ctrl-C"
pgrep -f "byz-switch --ports 3 --dir /tmp/byz-run" >/dev/null && fail "switch left running"
echo "PASS"
