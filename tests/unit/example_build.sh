#!/bin/sh
# Install the build tree into a scratch root, then build the out-of-tree
# example module (contrib/example) against the INSTALLED headers found
# through pkg-config, as a third party would, and check what it exports.
set -u

top_build=${VG_TOP_BUILDDIR:-$(pwd)}
top_src=${VG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vg-example.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

fail() {
	echo "FAIL example/build_installed: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# The nested makes are ours, not part of the caller's job server.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${MAKE:-make}

"$MAKE" -C "$top_build" install DESTDIR="$root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "make install DESTDIR=$root failed"; }

pcdir=$(dirname "$(find "$root" -path '*/pkgconfig/voicegate.pc' | head -n 1)")
[ -f "$pcdir/voicegate.pc" ] || fail "voicegate.pc was not installed"

# Ask only the installed .pc, relocated into the scratch root.
PKG_CONFIG_PATH=$pcdir
PKG_CONFIG_LIBDIR=$pcdir
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

cflags=$(pkg-config --cflags voicegate) || fail "pkg-config voicegate"
case "$cflags" in
*"-I$root/"*) ;;
*) fail "cflags do not point into the installed tree: $cflags" ;;
esac
# pkgconf prefixes variables with the sysroot, pkg-config does not: take
# the install paths without it.
incdir=$(pkg-config --variable=includedir voicegate)
incdir=${incdir#"$root"}
moddir=$(pkg-config --variable=moduledir voicegate)
moddir=${moddir#"$root"}
[ -f "$root$incdir/voicegate/module.h" ] ||
	fail "no $incdir/voicegate/module.h installed"
[ -f "$root$incdir/voicegate/voicegate.h" ] ||
	fail "no $incdir/voicegate/voicegate.h installed"
case "$moddir" in
*/voicegate/modules) ;;
*) fail "moduledir is $moddir, not LIBDIR/voicegate/modules" ;;
esac
find "$root" -path '*/sbin/voicegate' -type f | grep -q . ||
	fail "the daemon was not installed in sbin"
# Modules built in the tree land in the module folder.
for so in "$top_build"/mods/*.so; do
	[ -e "$so" ] || continue
	[ -f "$root$moddir/$(basename "$so")" ] ||
		fail "$(basename "$so") not installed in $moddir"
done

ls "$root$moddir"/*.la >/dev/null 2>&1 &&
	fail "libtool .la files left in $moddir"

# Build a copy, so nothing is written into the source tree.
cp -R "$top_src/contrib/example" "$tmp/example" || fail "copy the example"
chmod -R u+w "$tmp/example"
"$MAKE" -C "$tmp/example" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log"; fail "the example did not build"; }
# It must have been built against the installed headers.
grep -q -- "-I$root" "$tmp/build.log" ||
	{ cat "$tmp/build.log"; fail "the build did not use the installed headers"; }
so=$tmp/example/hello.so
[ -f "$so" ] || fail "no hello.so"

# Exported symbols: the descriptor and the linker's own, nothing else.
nm -D --defined-only "$so" >"$tmp/syms" || fail "nm -D"
grep -q ' vg_module_info$' "$tmp/syms" || fail "hello.so does not export vg_module_info"
extra=$(awk '{ print $NF }' "$tmp/syms" | grep -v -x -e vg_module_info \
    -e _init -e _fini -e _edata -e _end -e __bss_start)
[ -z "$extra" ] || fail "hello.so exports more than vg_module_info: $extra"

echo "ok   example/build_installed"
echo "1 passed, 0 failed"
exit 0
