#!/usr/bin/env bash
# byz-swarm experiment mode end to end: a small matrix writes the documented
# CSV, summary CSV, SVG and JSON; bad usage exits 2 with a message.
set -u
swarm=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$swarm" --peers 8 --byzantine 3 --steps 12 --eval-every 4 --quiet \
	--matrix sign-flip,none:mean,median,btard --csv "$tmp/a.csv" --svg "$tmp/a.svg" \
	--json "$tmp/a.json" >"$tmp/table" 2>"$tmp/err"
check "matrix exits 0" "[ $? -eq 0 ]"
check "CSV header" "head -1 '$tmp/a.csv' | grep -qx 'attack,defence,step,accuracy'"
# 2 attacks x 3 defences x steps 0, 4, 8, 12
check "CSV rows (24)" "[ \$(($(wc -l <"$tmp/a.csv") - 1)) -eq 24 ]"
check "summary CSV next to it" "head -1 '$tmp/a-summary.csv' | grep -q '^attack,defence,final_accuracy,diverged,attackers,banned,last_ban_step,bans,honest_banned'"
check "summary has 6 runs" "[ \$(($(wc -l <"$tmp/a-summary.csv") - 1)) -eq 6 ]"
check "btard banned attackers under sign-flip" "grep -q '^sign-flip,btard,[0-9.]*,0,3,[1-3],' '$tmp/a-summary.csv'"
check "sign-flip breaks the mean" "awk -F, '\$1 == \"sign-flip\" && \$2 == \"mean\" && \$3 < 0.5 { ok = 1 } END { exit !ok }' '$tmp/a-summary.csv'"
check "SVG is a chart" "grep -q '^<svg' '$tmp/a.svg' && [ \$(grep -c '<polyline' '$tmp/a.svg') -eq 6 ] && grep -q 'attack: sign-flip' '$tmp/a.svg'"
check "JSON has curves and bans" "grep -q '\"accuracy_curve\": \\[\\[0, ' '$tmp/a.json' && grep -q '\"bans\": \\[{\"peer\"' '$tmp/a.json' && grep -q '\"final_accuracy\"' '$tmp/a.json'"
check "table printed" "grep -q '^| sign-flip |' '$tmp/table'"

"$swarm" --model softmax --aggregator geomed --attack label-flip --peers 6 --byzantine 2 \
	--steps 5 --quiet --json - >"$tmp/one.json" 2>"$tmp/err"
check "single run exits 0" "[ $? -eq 0 ]"
check "single run JSON" "grep -q '\"aggregator\": \"geomed\"' '$tmp/one.json' && grep -q '\"model\": \"softmax\"' '$tmp/one.json'"

mkdir "$tmp/empty"
for args in "--model resnet" "--aggregator krum" "--matrix sign-flip" "--matrix nope:mean" \
	"--matrix sign-flip:mean,mean" "--model mlp --attack bad-part --aggregator mean" \
	"--dataset $tmp/missing" "--dataset $tmp/empty" "--model mlp --attack sign-flip,ipm" \
	"--model mlp --byzantine 8" "--tau 0" "--lr -1" "--eval-every 0" "--batch 99999" \
	"--attack label-flip --byzantine 1" "--matrix sign-flip:mean --attack ipm" \
	"--model mlp --csv /nonexistent/dir/x.csv --steps 1 --matrix none:mean"; do
	# shellcheck disable=SC2086
	"$swarm" $args --quiet >/dev/null 2>"$tmp/err"
	rc=$?
	check "'$args' is refused with a message (rc $rc)" "[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ -s '$tmp/err' ]"
done
grep -q "neither MNIST" "$tmp/err" || true
"$swarm" --dataset "$tmp/empty" --quiet >/dev/null 2>"$tmp/err"
check "empty dataset dir names both formats" "grep -q 'neither MNIST' '$tmp/err'"
"$swarm" --help >"$tmp/help"
check "--help documents --matrix and the gradient attacks" "[ $? -eq 0 ] && grep -q -- '--matrix' '$tmp/help' && grep -q '^  alie' '$tmp/help'"
exit $fail
