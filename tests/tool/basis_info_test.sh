#!/usr/bin/env bash
# End-to-end test of `eqr info` and `eqr basis`: JSON keys, the thread cap (flag and environment variable),
# e2cnn's published basis sizes (DESIGN.md §5), the constraint residual, --save, and the errors.
# Usage: basis_info_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test basis_info_test "$@"
# json_field JSON KEY: the raw value of a top-level key in a flat JSON object.
json_field() { printf '%s' "$1" | sed -E "s/.*\"$2\": (\"[^\"]*\"|\[[^]]*\]|[^,}]*).*/\1/"; }

info=$("$EQR" info --json)
for key in version groups solvers backends threads; do
  if printf '%s' "$info" | grep -q "\"$key\": "; then pass "info --json has '$key'"; else fail "info --json lacks '$key': $info"; fi
done
[ "$(json_field "$("$EQR" info --json --threads 1)" threads)" = 1 ] && pass "--threads 1 caps the threads" || fail "--threads 1"
[ "$(json_field "$(EQR_NUM_THREADS=1 "$EQR" info --json)" threads)" = 1 ] && pass "EQR_NUM_THREADS=1 caps the threads" || fail "EQR_NUM_THREADS"
EQR_NUM_THREADS=x "$EQR" info >/dev/null 2>"$WORK/err"
[ $? -ne 0 ] && grep -q "EQR_NUM_THREADS" "$WORK/err" && pass "a bad EQR_NUM_THREADS is an error naming it" || fail "bad EQR_NUM_THREADS"

# Sizes of e2cnn's default basis, one field in and one out (DESIGN.md §5), and the exact grid space of C4.
while read -r group in out kernel solver size; do
  json=$("$EQR" basis --group "$group" --in "$in" --out "$out" --kernel "$kernel" --solver "$solver" --json)
  got=$(json_field "$json" size)
  residual=$(json_field "$json" constraint_residual)
  name="basis $group $in->$out ${kernel}x$kernel $solver"
  [ "$got" = "$size" ] && pass "$name has $size elements" || fail "$name: expected $size elements, found $got ($json)"
  awk -v r="$residual" 'BEGIN { exit !(r < 1e-6) }' && pass "$name satisfies Eq. 8 (residual $residual)" || fail "$name residual $residual"
done <<'TABLE'
C4 trivial regular 3 harmonic 6
C4 regular regular 3 harmonic 24
C4 regular trivial 3 harmonic 6
C8 trivial regular 3 harmonic 6
C8 regular regular 3 harmonic 48
C8 regular trivial 3 harmonic 6
D4 trivial regular 3 harmonic 6
D4 regular regular 3 harmonic 48
D4 regular trivial 3 harmonic 6
C4 trivial regular 5 harmonic 11
C4 regular regular 5 harmonic 44
C4 regular trivial 5 harmonic 11
C1 trivial trivial 3 harmonic 6
C4 trivial regular 3 grid 9
C4 regular regular 3 grid 36
C4 regular trivial 3 grid 9
C1 trivial trivial 3 grid 9
TABLE

json=$("$EQR" basis --group D4 --in irrep:1,1 --out regular --kernel 3 --save "$WORK/b.npy" --json)
size=$(json_field "$json" size)
head -c 128 "$WORK/b.npy" | grep -aq "'shape': ($size, 8, 2, 3, 3)" && pass "--save writes (size, C_out, C_in, K, K)" ||
  fail "--save shape (size $size)"
expect_basis_refused() {  # NAME REGEX ARGS...: non-zero exit, stderr matches, no output file left behind
  local name=$1 regex=$2; shift 2
  "$EQR" basis "$@" --save "$WORK/bad.npy" >/dev/null 2>"$WORK/err"
  local rc=$?
  if [ $rc -ne 0 ] && grep -Eq -- "$regex" "$WORK/err" && [ ! -e "$WORK/bad.npy" ]; then pass "$name"
  else fail "$name (exit $rc: $(cat "$WORK/err"))"; fi
}
expect_basis_refused "grid basis of C8 is refused" "C8.*do not map the pixel grid" --group C8 --in regular --out regular --kernel 3 --solver grid
expect_basis_refused "even kernel is refused" "odd size.*found 4" --group C4 --in regular --out regular --kernel 4
expect_basis_refused "unknown group is refused" "--group: expected one of .*found 'C5'" --group C5 --in regular --out regular --kernel 3
expect_basis_refused "unknown field type is refused" "--in: expected trivial, regular.*found 'foo'" --group C4 --in foo --out regular --kernel 3
expect_basis_refused "irrep of the wrong group is refused" "irrep" --group C4 --in irrep:3 --out regular --kernel 3
expect_basis_refused "unknown flag is refused" "unknown or unexpected argument '--bogus'" --group C4 --in regular --out regular --kernel 3 --bogus

finish_tool_test
