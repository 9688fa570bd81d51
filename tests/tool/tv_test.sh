#!/usr/bin/env bash
# End-to-end test of `eqr tv`: on sparse-angle CT of the piecewise-constant Shepp-Logan phantom, TV
# reconstruction (FISTA and PDHG) beats filtered back-projection by a wide margin — the reason TV is the
# classical baseline — and both algorithms reach nearly the same objective; bad input is refused cleanly.
# Usage: tv_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test tv_test "$@"
objective=()
json_field() { printf '%s' "$1" | sed -E "s/.*\"$2\": ([^,}]*).*/\1/"; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

"$EQR" phantom --kind shepp-logan --size 64 --out x.npy &&
  "$EQR" radon --in x.npy --angles 20 --out y.npy &&
  "$EQR" fbp --in y.npy --size 64 --angles 20 --out fbp.npy || { echo "FAIL  setup"; exit 1; }
fbp=$(json_field "$("$EQR" compare --ref x.npy --in fbp.npy --json)" psnr)
for algorithm in fista pdhg; do
  run=$("$EQR" tv --problem ct --in y.npy --size 64 --lambda 0.02 --iterations 200 --algorithm "$algorithm" \
        --nonnegative --out "tv_$algorithm.npy" --json)
  objective+=("$(json_field "$run" objective)")
  psnr=$(json_field "$("$EQR" compare --ref x.npy --in "tv_$algorithm.npy" --json)" psnr)
  at_least "$psnr" "$(awk -v f="$fbp" 'BEGIN { print f + 8 }')" &&
    pass "TV by $algorithm: $psnr dB, at least 8 dB above FBP ($fbp dB)" || fail "TV by $algorithm: $psnr dB vs FBP $fbp dB"
done
awk -v a="${objective[0]}" -v b="${objective[1]}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.05 * a) }' &&
  pass "FISTA and PDHG objectives agree within 5% (${objective[0]}, ${objective[1]})" ||
  fail "objectives differ: ${objective[0]} vs ${objective[1]}"

"$EQR" tv --problem ct --in y.npy --size 64 --lambda -1 --out bad.npy >/dev/null 2>err.txt
rc=$?
[ $rc -ne 0 ] && grep -q -- "--lambda" err.txt && [ ! -e bad.npy ] && pass "a negative lambda is refused, no output" ||
  fail "negative lambda (exit $rc: $(cat err.txt))"
"$EQR" tv --problem ct --in missing.npy --size 64 --lambda 0.1 --out bad.npy >/dev/null 2>err.txt
rc=$?
[ $rc -ne 0 ] && grep -q "missing.npy" err.txt && [ ! -e bad.npy ] && pass "a missing input is named, no output" ||
  fail "missing input (exit $rc: $(cat err.txt))"

finish_tool_test
