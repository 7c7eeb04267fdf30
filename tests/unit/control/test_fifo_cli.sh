#!/usr/bin/env bash
# Issue 13 item 6 end to end: byz-clip, byz-keygen --check and
# byzd --check-config given a FIFO (no writer), a directory or /dev/null
# return promptly with an error naming the file's type. `timeout` turns a
# hang in open() into a failure (exit 124) rather than a stuck test.
# usage: test_fifo_cli.sh BYZ_CLIP BYZ_KEYGEN BYZD
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
CLIP=$(abs "$1"); KEYGEN=$(abs "$2"); BYZD=$(abs "$3")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
mkfifo "$T/fifo" || { echo "FAIL: mkfifo"; exit 1; }
mkdir "$T/dir"
# expect: name, wanted exit status, wanted message fragment, command...
expect() {
	local name="$1" want_rc="$2" frag="$3"; shift 3
	timeout 10 "$@" >"$T/out" 2>"$T/err" </dev/null
	local rc=$?
	if [ $rc -eq 124 ]; then
		echo "FAIL: $name hung (killed after 10 s)"; fail=1; return
	fi
	if [ $rc -ne "$want_rc" ]; then
		echo "FAIL: $name exit $rc, want $want_rc: $(cat "$T/err")"; fail=1
	fi
	if ! grep -q -- "$frag" "$T/err"; then
		echo "FAIL: $name: no '$frag' in: $(cat "$T/err")"; fail=1
	fi
}
for f in fifo dir; do
	case $f in fifo) what="FIFO" ;; dir) what="is a directory" ;; esac
	expect "byz-clip $f" 2 "$what" "$CLIP" --tau 1 "$T/$f" "$T/out.npy"
	expect "byz-keygen --check $f" 1 "$what" "$KEYGEN" --check "$T/$f"
	expect "byzd --check-config $f" 2 "$what" "$BYZD" --check-config "$T/$f"
done
expect "byz-clip /dev/null" 2 "character device" "$CLIP" --tau 1 /dev/null "$T/out.npy"
expect "byz-keygen --check /dev/null" 1 "character device" "$KEYGEN" --check /dev/null
expect "byzd --check-config /dev/null" 2 "character device" "$BYZD" --check-config /dev/null

# A good config whose key_file is the FIFO: byzd names the key file.
cd "$T" || exit 1
"$KEYGEN" k0 >/dev/null && "$KEYGEN" k1 >/dev/null || { echo "FAIL: keygen"; exit 1; }
cat >good.conf <<EOC
run_id = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
key_file = $T/fifo
[port]
name = net_ring0
[peer]
$(cat k0.pub)
ip = 10.0.0.1
[peer]
$(cat k1.pub)
ip = 10.0.0.2
EOC
expect "byzd --check-config, key_file a FIFO" 2 "FIFO" "$BYZD" --check-config good.conf
[ $fail -eq 0 ] && echo "all FIFO/device refusals prompt and named"
exit $fail
