#!/usr/bin/env bash
# cli.sh — the primemath command line: known values, agreement with the primesieve and GNU factor commands,
# one-line errors with exit code 2, and spiral PNGs written atomically.
set -u
PM=${PRIMEMATH:-build/primemath}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; fails=$((fails+1)); }
expect() {  # expected-stdout, command...
  local want=$1; shift
  local got; got=$("$@" 2>"$tmp/err"); local rc=$?
  if [ "$got" = "$want" ] && [ $rc -eq 0 ]; then ok "$*"; else bad "$* → '$got' (rc $rc), want '$want'"; fi
}
expect_error() {  # command... : exit 2, exactly one stderr line starting "primemath: error: ", nothing on stdout
  local out; out=$("$@" 2>"$tmp/err"); local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q '^primemath: error: ' "$tmp/err" && [ -z "$out" ]; then
    ok "error: $* → $(cat "$tmp/err")"
  else bad "$* → rc $rc, stderr: $(cat "$tmp/err"), stdout: $out"; fi
}

# known values
expect 78498      "$PM" count 1e6
expect 50847534   "$PM" count 1000000000 --threads 1
expect 21         "$PM" count 10 100
expect 0          "$PM" count 100 10
expect 1          "$PM" count 2
expect 7919       "$PM" nth 1000
expect 15485863   "$PM" nth 1e6
expect 2          "$PM" nth 1
expect "18446744073709551615: 3 5 17 257 641 65537 6700417" "$PM" factor 2^64-1
expect "$(printf '0:\n1:\n12: 2 2 3')" "$PM" factor 0 1 12
expect "18446744073709551557 is prime" "$PM" is-prime 2^64-59
out=$("$PM" is-prime 561 2>&1); rc=$?
[ "$out" = "561 is not prime" ] && [ $rc -eq 1 ] && ok "is-prime 561 exits 1" || bad "is-prime 561 → '$out' rc $rc"
expect 22307      "$PM" nth 2.5e3

# agreement with the primesieve command and GNU factor
if command -v primesieve >/dev/null; then
  for args in "1e8" "123456789 987654321" "2^40 2^40+10^7"; do
    want=$(primesieve $args -q 2>/dev/null | tail -1)
    expect "$want" "$PM" count $args
  done
else bad "primesieve command missing (Debian primesieve-bin)"; fi
if command -v factor >/dev/null; then
  nums="2 3 4 97 561 1000000007 600851475143 4294967297 9223372036854775807 18446744073709551557 18446744073709551614 3825123056546413051"
  want=$(factor $nums); got=$("$PM" factor $nums)
  [ "$want" = "$got" ] && ok "factor agrees with GNU factor on 12 numbers" || bad "factor differs from GNU factor:\n$got\n$want"
fi

# bad input: one line, exit 2
expect_error "$PM"
expect_error "$PM" frobnicate
expect_error "$PM" count
expect_error "$PM" count abc
expect_error "$PM" count 1.5
expect_error "$PM" count 2^64
expect_error "$PM" count -5
expect_error "$PM" count 1e6 --threads x
expect_error "$PM" count 1 2 3
expect_error "$PM" nth 0
expect_error "$PM" nth 2^63
expect_error "$PM" factor
expect_error "$PM" factor 12x
expect_error "$PM" is-prime ""
expect_error "$PM" spiral --kind hexagon --out "$tmp/x.png"
expect_error "$PM" spiral --kind ulam
expect_error "$PM" spiral --kind ulam --size 10 --out "$tmp/x.png"
expect_error "$PM" spiral --kind ulam --n 0 --out "$tmp/x.png"
expect_error "$PM" spiral --kind ulam --out "$tmp/no/such/dir/x.png"
expect_error "$PM" spiral --kind ulam --bogus 1 --out "$tmp/x.png"

# spirals: a PNG of the requested size, no temporary left behind, an old file replaced whole
for kind in ulam clock golden; do
  f="$tmp/$kind.png"
  echo "old" >"$f"
  if "$PM" spiral --kind "$kind" --size 200 --out "$f" >/dev/null 2>"$tmp/err"; then
    magic=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
    dims=$(od -An -tu1 -j16 -N8 "$f" | tr -s ' ' | sed 's/^ //')
    left=$(ls "$tmp" | grep -c '\.tmp\.' || true)
    if [ "$magic" = "89504e470d0a1a0a" ] && [ "$dims" = "0 0 0 200 0 0 0 200" ] && [ "$left" -eq 0 ]; then
      ok "spiral --kind $kind: 200×200 PNG"
    else bad "spiral --kind $kind: magic $magic dims '$dims' temporaries $left"; fi
  else bad "spiral --kind $kind failed: $(cat "$tmp/err")"; fi
done

echo "$fails failed"
[ $fails -eq 0 ]
