#!/bin/sh
# `meson install` into a DESTDIR, then what a user outside the tree does:
# the files are where they belong (library with its soname, static archive,
# headers, byzreduce.pc, tools, man pages, byzd@.service), the .so exports
# exactly the functions the public headers declare, and a program built with
# `pkg-config --cflags --libs byzreduce` alone runs the public API (clip,
# swarm, nodes on net_ring, a net_memif port from the EAL's plugin
# directory) and checks its results; so does the same program linked with
# the static archive.
# usage: test_install.sh MESON BUILD_ROOT PREFIX LIBDIR BINDIR INCLUDEDIR MANDIR OUTSIDE_C [SANITIZE]
set -u
MESON=$1 BUILD=$2 PREFIX=$3 LIBDIR=$4 BINDIR=$5 INCDIR=$6 MANDIR=$7 SRC=$8 SAN=${9:-none}
case $LIBDIR in /*) ;; *) LIBDIR=$PREFIX/$LIBDIR ;; esac
case $BINDIR in /*) ;; *) BINDIR=$PREFIX/$BINDIR ;; esac
case $INCDIR in /*) ;; *) INCDIR=$PREFIX/$INCDIR ;; esac
case $MANDIR in /*) ;; *) MANDIR=$PREFIX/$MANDIR ;; esac
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipping: $*"; exit 77; }
command -v pkg-config >/dev/null || skip "no pkg-config"
CC=${CC:-cc}
# A sanitizer build's library needs the program built with the same runtime.
[ "$SAN" = none ] || CC="$CC -fsanitize=$SAN"
command -v "${CC%% *}" >/dev/null || skip "no C compiler ($CC)"
command -v nm >/dev/null || skip "no nm (binutils)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$T/dest

"$MESON" install -C "$BUILD" --destdir "$D" --no-rebuild --quiet >"$T/install.log" 2>&1 ||
	fail "meson install: $(cat "$T/install.log")"

for f in "$LIBDIR/libbyzreduce.a" "$LIBDIR/pkgconfig/byzreduce.pc" \
	"$INCDIR/byz/clip.h" "$INCDIR/byz/node.h" "$INCDIR/byz/data.h" \
	"$BINDIR/byzd" "$BINDIR/byz-swarm" "$BINDIR/byz-stat" "$BINDIR/byz-keygen" \
	"$BINDIR/byz-clip" "$BINDIR/byz-bench" "$BINDIR/byz-shield" \
	"$MANDIR/man8/byzd.8" "$MANDIR/man1/byz-swarm.1" "$MANDIR/man1/byz-stat.1" \
	"$MANDIR/man1/byz-keygen.1" "$MANDIR/man1/byz-clip.1" "$MANDIR/man1/byz-bench.1" \
	"$MANDIR/man1/byz-shield.1" "$PREFIX/lib/systemd/system/byzd@.service"; do
	[ -f "$D$f" ] || fail "not installed: $f"
done
[ -x "$D$BINDIR/byz-stat" ] || fail "byz-stat not executable"
grep -q "^ExecStart=$BINDIR/byzd /etc/byzreduce/%i.conf$" "$D$PREFIX/lib/systemd/system/byzd@.service" ||
	fail "byzd@.service ExecStart: $(grep ExecStart "$D$PREFIX/lib/systemd/system/byzd@.service")"
grep -q '^\.SH SYNOPSIS' "$D$MANDIR/man8/byzd.8" || fail "byzd.8 has no SYNOPSIS"
grep -q 'check\\-config' "$D$MANDIR/man8/byzd.8" || fail "byzd.8 lacks --check-config"

# The shared library: the soname's link exists, and its dynamic symbols
# are the public API only (every one declared in an installed header).
so=$(readlink "$D$LIBDIR/libbyzreduce.so") || fail "no libbyzreduce.so link"
soname=$(LC_ALL=C objdump -p "$D$LIBDIR/$so" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
[ -n "$soname" ] || fail "no SONAME in $so"
[ -e "$D$LIBDIR/$soname" ] || fail "no $soname link"
nm -D --defined-only "$D$LIBDIR/libbyzreduce.so" | awk '$2 != "A" {print $3}' |
	sed 's/@.*//' | sort -u >"$T/syms"
[ "$(wc -l <"$T/syms")" -gt 100 ] || fail "only $(wc -l <"$T/syms") exported symbols"
while read -r s; do
	case $s in byz_*) ;; *) fail "exports non-API symbol $s" ;; esac
	grep -qw "$s" "$D$INCDIR"/byz/*.h || fail "exports $s, which no public header declares"
done <"$T/syms"
for s in byz_clip byz_strerror byz_swarm_new byz_node_new byz_mnist_load_why; do
	grep -qx "$s" "$T/syms" || fail "does not export $s"
done

# An outside program: pkg-config alone (the .pc rewritten to the DESTDIR,
# as a package's build would see it under its prefix).
mkdir -p "$T/pc"
sed "s|^prefix=.*|prefix=$D$PREFIX|" "$D$LIBDIR/pkgconfig/byzreduce.pc" >"$T/pc/byzreduce.pc"
grep -q "^libdir=\${prefix}" "$T/pc/byzreduce.pc" || fail "libdir not under prefix: $(cat "$T/pc/byzreduce.pc")"
flags=$(PKG_CONFIG_PATH=$T/pc pkg-config --cflags --libs byzreduce) || fail "pkg-config byzreduce"
echo "pkg-config --cflags --libs byzreduce: $flags"
case $flags in *rte_config*|*march*) fail "DPDK's compile flags leak to users: $flags" ;; esac
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -o "$T/outside" "$SRC" $flags -lm 2>"$T/cc.log" ||
	fail "outside program does not build: $(cat "$T/cc.log")"
LD_LIBRARY_PATH=$D$LIBDIR "$T/outside"
rc=$?
[ $rc -eq 77 ] && skip "the outside program could not start the EAL (the rest passed)"
[ $rc -eq 0 ] || fail "outside program exit $rc"
LD_LIBRARY_PATH=$D$LIBDIR ldd "$T/outside" | grep -q "$D$LIBDIR/$soname" || fail "not linked to the installed $soname"

# The static archive: the same program with libbyzreduce.a and the private
# libraries of `pkg-config --static` (DPDK and the rest stay shared).
static=$(PKG_CONFIG_PATH=$T/pc pkg-config --static --libs byzreduce | sed 's/-lbyzreduce\b/-l:libbyzreduce.a/') ||
	fail "pkg-config --static byzreduce"
cflags=$(PKG_CONFIG_PATH=$T/pc pkg-config --cflags byzreduce)
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror -o "$T/outside-static" "$SRC" $cflags $static -lm 2>"$T/cc.log" ||
	fail "outside program does not link statically: $(cat "$T/cc.log")"
ldd "$T/outside-static" | grep -q byzreduce && fail "the static build loads libbyzreduce.so"
"$T/outside-static" >"$T/static.out" || fail "static outside program exit $?: $(cat "$T/static.out")"
grep -q "^node: ok" "$T/static.out" || fail "static outside program: $(cat "$T/static.out")"

# The unit parses (where systemd-analyze exists; the binary path is not
# installed outside the DESTDIR, which is the only complaint allowed).
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/unit"
	cp "$D$PREFIX/lib/systemd/system/byzd@.service" "$T/unit/"
	systemd-analyze verify --man=no "$T/unit/byzd@check.service" >"$T/verify.log" 2>&1
	if grep -v "Command $BINDIR/byzd is not executable" "$T/verify.log" | grep -q .; then
		fail "systemd-analyze verify byzd@.service: $(cat "$T/verify.log")"
	fi
fi
echo "ok: installed into $D, an outside program linked with pkg-config alone"
