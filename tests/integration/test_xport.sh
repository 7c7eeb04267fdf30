#!/usr/bin/env bash
# Multi-process swarms over real transports: byz-bench allreduce with one
# process per peer over memif, or over af_packet on veths in namespaces made
# for this run, under faults, garbage and a killed peer. Each case checks:
#   - every step completes and the result digests equal those of the
#     loss-free in-process (net_ring) run of the same seed;
#   - with hashing worker lcores (--workers), the same digests as inline
#     hashing (--workers 0) under loss, every leaf handed to the workers;
#   - garbage and corrupted frames are counted by the parsers and dropped;
#   - a killed peer: the survivors finish by their deadline, report it, and
#     every part they hold checks out (exit status 3, no hang);
#   - nothing is left behind: namespaces, processes, memif sockets, EAL dirs,
#     also when the case fails (trap).
# usage: test_xport.sh BYZ_BENCH CASE [BPF_SOURCE]
# CASE: memif-faults | memif-garbage | memif-kill | memif-workers | netns-bpf | netns-kill | afxdp
set -u
bench=$1
case_=$2
bpfsrc=${3:-}
seed=${BYZ_TEST_SEED:-$(( $(date +%s) % 100000 + 1 ))}
tag="bzt$$"
tmp=$(mktemp -d /tmp/byz-xport-XXXXXX) || exit 1
bpid=""

leftovers() {
  local l=""
  l+=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$tag-" | tr '\n' ' ')
  l+=$(ps -eo pid=,args= | grep -F -- "$tmp" | grep -v grep | awk '{print "pid:"$1}' | tr '\n' ' ')
  [ -e "$tmp/memif" ] && l+="$tmp/memif "
  [ -n "$bpid" ] && l+=$(ls -d /var/run/dpdk/byzmp${bpid}p* 2>/dev/null | tr '\n' ' ')
  echo "$l"
}
cleanup() {
  [ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$tag-"); do
    ip netns del "$ns" 2>/dev/null
  done
  for p in $(ps -eo pid=,args= | grep -F -- "$tmp" | grep -v grep | awk '{print $1}'); do
    kill -9 "$p" 2>/dev/null
  done
  [ -n "$bpid" ] && rm -rf /var/run/dpdk/byzmp${bpid}p*
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
skip() { echo "SKIP: $*"; exit 77; }
fail() {
  echo "FAIL ($case_, seed $seed): $*"
  echo "--- stdout"; cat "$tmp/out" 2>/dev/null
  echo "--- stderr"; cat "$tmp/err" 2>/dev/null
  exit 1
}

[ -x "$bench" ] || fail "no benchmark at $bench"
sizes=(-b 128K -e 512K -f 4 --iters 1 --warmup 0 --seed "$seed")

if [[ $case_ == netns-* || $case_ == afxdp ]]; then
  [ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
  command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
  ip netns add "$tag-probe" 2>/dev/null || skip "cannot create network namespaces here"
  ip netns del "$tag-probe"
  ip link add "${tag}a" type veth peer name "${tag}b" 2>/dev/null || skip "no veth support"
  ip link del "${tag}a"
  ip netns add "$tag-probe" && ip -n "$tag-probe" link add br0 type bridge 2>/dev/null
  ok=$?; ip netns del "$tag-probe"; [ $ok -eq 0 ] || skip "no bridge support"
fi

# the reference: every peer in one process over net_ring, no faults
"$bench" allreduce --transport ring "${sizes[@]}" >"$tmp/ref" 2>"$tmp/referr" ||
  { cat "$tmp/referr"; fail "the in-process reference run failed"; }
grep '^# digest' "$tmp/ref" >"$tmp/ref.dg"
[ "$(wc -l <"$tmp/ref.dg")" -eq 2 ] || fail "reference printed no digests"

run() { # run the benchmark in the background (so cleanup can kill it), wait
  "$bench" allreduce "$@" "${sizes[@]}" >"$tmp/out" 2>"$tmp/err" &
  bpid=$!
  wait "$bpid"
  rc=$?
}
same_digests() {
  grep '^# digest' "$tmp/out" >"$tmp/out.dg"
  cmp -s "$tmp/ref.dg" "$tmp/out.dg" || { diff "$tmp/ref.dg" "$tmp/out.dg"; fail "digests differ from the reference"; }
}
field() { # field NAME: the number after NAME in the summary lines
  sed -n "s/.*$1 \([0-9]*\).*/\1/p" "$tmp/out" | head -1
}
no_leaks() {
  local l
  l=$(leftovers)
  [ -z "$l" ] || fail "left behind: $l"
}
killed() {
  [ "$rc" -eq 3 ] || fail "exit status $rc, want 3 (peer lost, survivors reported)"
  grep -q "peer $1 (pid [0-9]*) killed as asked by signal 9" "$tmp/err" || fail "no report of the killed peer"
  grep -q "every part the survivors hold equals the mean" "$tmp/out" || fail "survivors' parts not checked"
  for i in 0 1 2 3; do
    [ "$i" -eq "$1" ] && continue
    grep -q "^# survivor $i: finished" "$tmp/out" || fail "survivor $i did not report"
  done
  grep -q "^# survivor $1:" "$tmp/out" && fail "the killed peer reported as a survivor"
}

mkdir -p "$tmp/bpf"
t0=$(date +%s)
case $case_ in
memif-faults)
  run --transport memif --memif-dir "$tmp/memif" --loss 0.1 --dup 0.05 --corrupt 0.02 \
      --reorder 0.1 --garbage 4
  [ "$rc" -eq 0 ] || fail "exit status $rc"
  same_digests
  [ "$(field lost)" -gt 0 ] && [ "$(field duplicated)" -gt 0 ] && [ "$(field corrupted)" -gt 0 ] &&
    [ "$(field 'held back')" -gt 0 ] || fail "the fault layer did not act"
  [ "$(field retransmitted)" -gt 0 ] || fail "no retransmissions under 10% loss"
  [ "$(field crc)" -gt 0 ] || fail "no CRC drops under corruption"
  ;;
memif-garbage)
  run --transport memif --memif-dir "$tmp/memif" --garbage 16
  [ "$rc" -eq 0 ] || fail "exit status $rc"
  same_digests
  sent=$(field 'garbage sent'); drops=$(field 'parser drops')
  # 4 peers x 3 destinations x 16 frames x 4 steps, every one counted and dropped
  [ "$sent" -eq $((4 * 3 * 16 * 4)) ] || fail "garbage sent $sent"
  [ "$drops" -eq "$sent" ] || fail "parser drops $drops != garbage sent $sent"
  ;;
memif-workers)
  run --transport memif --memif-dir "$tmp/memif" --loss 0.02 --workers 0
  [ "$rc" -eq 0 ] || fail "--workers 0: exit status $rc"
  same_digests
  cp "$tmp/out" "$tmp/out.w0"
  run --transport memif --memif-dir "$tmp/memif" --loss 0.02 --workers 2
  [ "$rc" -eq 0 ] || fail "--workers 2: exit status $rc"
  same_digests
  cmp -s <(grep '^# digest' "$tmp/out.w0") <(grep '^# digest' "$tmp/out") ||
    fail "--workers 2 digests differ from --workers 0"
  grep -q '^# 2 hashing worker lcores per peer' "$tmp/out" || fail "no worker lcores reported"
  [ "$(field lost)" -gt 0 ] || fail "the fault layer lost nothing"
  [ "$(field queued)" -gt 0 ] || fail "no leaf descriptors reached the workers"
  ;;
memif-kill)
  sizes=(-b 1M -e 1M --iters 1 --warmup 0 --seed "$seed") # parts larger than a burst
  run --transport memif --memif-dir "$tmp/memif" --kill-peer 2 --peer-timeout 1500
  killed 2
  ;;
netns-bpf)
  command -v clang >/dev/null || skip "clang is not installed (tc-bpf fault program)"
  [ -f /usr/include/bpf/bpf_helpers.h ] || skip "libbpf-dev is not installed"
  clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -DLOSS_PPM=100000 -DDUP_PPM=50000 \
    -DCORRUPT_PPM=20000 -DSEED="$seed" -c "$bpfsrc" -o "$tmp/bpf/fault.o" ||
    fail "cannot compile $bpfsrc"
  run --transport afpacket --netns "$tag" --tc-bpf "$tmp/bpf/fault.o:tc" --reorder 0.1 --garbage 4
  [ "$rc" -eq 0 ] || fail "exit status $rc"
  same_digests
  [ "$(field retransmitted)" -gt 0 ] || fail "no retransmissions under 10% loss"
  [ "$(field "duplicates ignored")" -gt 0 ] || fail "no duplicates seen"
  [ "$(field crc)" -gt 0 ] || fail "no CRC drops under corruption"
  ;;
netns-kill)
  sizes=(-b 1M -e 1M --iters 1 --warmup 0 --seed "$seed")
  run --transport afpacket --netns "$tag" --kill-peer 1 --peer-timeout 1500
  killed 1
  ;;
afxdp)
  run --transport afxdp --netns "$tag"
  if [ "$rc" -ne 0 ] && grep -qiE "af_xdp|xdp" "$tmp/err"; then
    skip "af_xdp does not work here: $(grep -m1 -i xdp "$tmp/err")"
  fi
  [ "$rc" -eq 0 ] || fail "exit status $rc"
  same_digests
  ;;
*)
  fail "unknown case"
  ;;
esac
no_leaks
echo "ok: $case_ (seed $seed, $(( $(date +%s) - t0 )) s)"
grep -E '^# (transport|garbage|fault|survivor)' "$tmp/out"
exit 0
