#!/usr/bin/env bash
# make install into a temporary prefix under $BUILD, then the examples/ programs build against the installed tree
# with pkg-config alone and run; DESTDIR stages the same tree under another root with the prefix unchanged.
set -euo pipefail
BUILD=${BUILD:-build}
CC=${CC:-cc}
fail() { echo "FAIL: $*" >&2; exit 1; }
root=$(cd "$BUILD" && pwd)/install-test
rm -rf "$root"; trap 'rm -rf "$root"' EXIT
san=(); [ "${SANITIZE:-0}" = 1 ] && san=(-fsanitize=address,undefined)
make -s --no-print-directory install BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" CC="$CC" PREFIX="$root/prefix" \
  >"$root.log" 2>&1 || { cat "$root.log"; fail "make install"; }
p=$root/prefix
for f in include/cllm.h include/primemath.h include/cllm_export.h lib/libcllm.a lib/libprimemath.a \
         lib/libcllm.so.0 lib/libprimemath.so.0 lib/pkgconfig/cllm.pc lib/pkgconfig/primemath.pc bin/cllm bin/primemath; do
  [ -e "$p/$f" ] || fail "make install left out $f"
done
export PKG_CONFIG_PATH="$p/lib/pkgconfig" LD_LIBRARY_PATH="$p/lib"
[ "$(pkg-config --modversion cllm)" = "$(cat VERSION)" ] || fail "cllm.pc version"
# build outside the tree: only the installed headers and libraries are visible
cp examples/tiny_forward.c examples/prime_spiral.c "$root/"
cd "$root"
"$CC" -std=c11 "${san[@]}" tiny_forward.c $(pkg-config --cflags --libs cllm) -lm -o tiny_forward || fail "build tiny_forward"
"$CC" -std=c11 "${san[@]}" prime_spiral.c $(pkg-config --cflags --libs primemath) -o prime_spiral || fail "build prime_spiral"
./tiny_forward || fail "tiny_forward"
./prime_spiral || fail "prime_spiral"
readelf -d tiny_forward | grep -q 'NEEDED.*libcllm.so.0' || fail "tiny_forward is not linked to libcllm.so.0"
"$p/bin/primemath" is-prime 97 >/dev/null || fail "installed primemath CLI"
cd - >/dev/null
# DESTDIR: files under the stage, the .pc files still name the real prefix
make -s --no-print-directory install BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" CC="$CC" PREFIX=/opt/crystalline \
  DESTDIR="$root/stage" >"$root.log" 2>&1 || { cat "$root.log"; fail "make install DESTDIR"; }
[ -e "$root/stage/opt/crystalline/lib/libcllm.so.0" ] || fail "DESTDIR not honoured"
grep -qx 'prefix=/opt/crystalline' "$root/stage/opt/crystalline/lib/pkgconfig/cllm.pc" || fail "cllm.pc prefix under DESTDIR"
rm -f "$root.log"
echo "install ok"
