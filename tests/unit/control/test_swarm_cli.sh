#!/usr/bin/env bash
# byz-swarm end to end: --help, refusal of bad usage (exit 2 with a message
# naming the problem), and the JSON summary of runs with tolerance-mode
# validation, joiners on probation and a re-sync.
set -u
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1" >&2; fail=1; fi; }

"$bin" --help >"$tmp/help" 2>&1
check "--help exits 0" "[ $? -eq 0 ]"
for w in --validation --rho --validators --joiners --join-step --joiner-attack \
	 --probation --admit-rate --corrupt-step leave-rejoin sign-flip; do
	check "--help mentions $w" "grep -q -- '$w' '$tmp/help'"
done

bad() { # expected message fragment, then arguments
	local want="$1"; shift
	"$bin" --quiet "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	check "'$*' exits 2 (got $rc)" "[ $rc -eq 2 ]"
	check "'$*' says '$want'" "grep -q -- '$want' '$tmp/err'"
}
bad "exact or tolerance" --validation fuzzy
bad "--rho wants" --rho 1
bad "--admit-rate wants" --admit-rate 0/2
bad "--admit-rate wants" --admit-rate 1/x
bad "--admit-rate wants" --admit-rate 1/2x
bad "needs --joiner-attack" --joiners 2 --joiner-byzantine 1
bad "exceeds --joiners" --joiners 1 --joiner-attack sign-flip --joiner-byzantine 2
bad "unknown attack" --joiners 1 --joiner-attack nope
bad "at most" --peers 200 --joiners 100
bad "honest peers" --peers 4 --noisy 5

"$bin" --quiet --joiners 2 --joiner-attack sign-flip --steps 10 --probation 2 \
	--admit-rate 2/1 --validation tolerance --rho 0.01 --json "$tmp/j.json" >"$tmp/out" 2>&1
check "joiner run exits 0" "[ $? -eq 0 ]"
for f in '"validation": "tolerance"' '"rho": 0.01' '"joined": \[' '"probation": \[' \
	 '"active_end": 5' '"resyncs": 0' '"honest_banned": 0' '"replicas_identical": true' \
	 '"reason": "gradient"' '"byzantine": true'; do
	check "JSON has $f" "grep -q -- '$f' '$tmp/j.json'"
done
"$bin" --quiet --corrupt-step 2 --steps 6 --json "$tmp/r.json" >"$tmp/out" 2>&1
check "re-sync run exits 0" "[ $? -eq 0 ]"
check "re-sync JSON" "grep -q '\"resyncs\": 1' '$tmp/r.json' && grep -q '\"out_of_sync\": 1' '$tmp/r.json'"
exit $fail
