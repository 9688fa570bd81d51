#!/usr/bin/env bash
# End-to-end test of the `eqr` tool's array commands (phantom, radon, backproject, fbp, mask, fft, ifft,
# compare): outputs, JSON, errors that name the bad argument or file, exit codes, and no partial outputs.
# Usage: tool_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
# Numerical checks that need to read .npy values use python3's standard library when it is present
# (no numpy needed); without python3 they are skipped and the rest still runs.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test tool_test "$@"
PY=$(command -v python3 || true)

has_command() { "$EQR" --help | grep -Eq "^  $1 "; }
# py NAME SCRIPT ARGS...: run a python check if python3 is present (exit 0 = pass).
py() {
  local name=$1 script=$2; shift 2
  if [ -z "$PY" ]; then printf 'skip  %s (no python3)\n' "$name"; return; fi
  if "$PY" - "$@" >py.txt 2>&1 <<PYEOF
import struct, sys, math
def load(path):
    d = open(path, 'rb').read()
    assert d[:6] == b'\x93NUMPY', 'bad magic'
    n = struct.unpack('<H', d[8:10])[0]
    h = eval(d[10:10 + n].decode('latin1'))
    fmt = {'<f4': 'f', '<f8': 'd', '<c8': 'f', '<i4': 'i', '|u1': 'B', '|b1': 'B'}[h['descr']]
    count = 1
    for s in h['shape']: count *= s
    if h['descr'] == '<c8': count *= 2
    vals = struct.unpack('<%d%s' % (count, fmt), d[10 + n:])
    if h['descr'] == '<c8': vals = [complex(vals[2*i], vals[2*i+1]) for i in range(count // 2)]
    return h, list(vals)
def dot(a, b): return sum(x * y for x, y in zip(a, b))
$script
PYEOF
  then pass "$name"; else fail "$name ($(tail -3 py.txt))"; fi
}
no_temporaries() { ! ls -a | grep -q '\.tmp-'; }

echo "== general"
expect_ok "eqr --help lists the commands" "$EQR" --help
for c in phantom radon backproject fbp mask fft ifft compare; do
  if has_command "$c"; then
    expect_ok "eqr $c --help" "$EQR" "$c" --help
  else
    fail "command '$c' is registered"
  fi
done

echo "== phantom"
expect_ok "phantom shepp-logan 64 with PNG" "$EQR" phantom --kind shepp-logan --size 64 --out sl.npy --png sl.png
check "sl.npy has NumPy's header, float32 (64, 64)" grep -aq "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), }" sl.npy
check "sl.npy size is 128 + 64*64*4" test "$(wc -c <sl.npy)" -eq $((128 + 64 * 64 * 4))
check "sl.png starts with the PNG signature" test "$(head -c 8 sl.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a"
expect_ok "phantom ellipses float64, seed 3" "$EQR" phantom --kind ellipses --size 48 --seed 3 --dtype float64 --out e3.npy
expect_ok "phantom ellipses again with seed 3" "$EQR" phantom --kind ellipses --size 48 --seed 3 --dtype float64 --out e3b.npy
expect_ok "phantom ellipses seed 4" "$EQR" phantom --kind ellipses --size 48 --seed 4 --dtype float64 --out e4.npy
check "same seed, same bytes" cmp -s e3.npy e3b.npy
check "other seed, other image" test -n "$(cmp e3.npy e4.npy)"
expect_ok "phantom rotated analytically by 90 degrees" "$EQR" phantom --kind shepp-logan --size 64 --angle 90 --out sl90.npy
py "analytic 90-degree phantom equals numpy.rot90 of the upright one" '
h, a = load("sl.npy"); _, b = load("sl90.npy"); n = 64
rot = [a[c * n + (n - 1 - r)] for r in range(n) for c in range(n)]  # numpy.rot90: out[r][c] = in[c][n-1-r]
bad = sum(abs(x - y) > 1e-6 for x, y in zip(rot, b))
sys.exit(0 if bad <= 3 else 1)'
expect_ok "phantom oriented-smooth 32 float64, seed 3" "$EQR" phantom --kind oriented-smooth --size 32 --seed 3 --dtype float64 --out s3.npy
expect_ok "phantom oriented-smooth turned by 90 degrees" "$EQR" phantom --kind oriented-smooth --size 32 --seed 3 --dtype float64 --angle 90 --out s3_90.npy
expect_ok "phantom oriented-smooth stack of 2, seeds 3 and 4" "$EQR" phantom --kind oriented-smooth --size 32 --seed 3 --dtype float64 --images 2 --out s34.npy
py "oriented-smooth: 90-degree phantom is numpy.rot90 of the upright one, values in [0, 1], many levels, stack starts with it" '
_, a = load("s3.npy"); _, b = load("s3_90.npy"); h, s = load("s34.npy"); n = 32
rot = [a[c * n + (n - 1 - r)] for r in range(n) for c in range(n)]
assert max(abs(x - y) for x, y in zip(rot, b)) < 1e-12
assert min(a) >= 0 and max(a) <= 1 and max(a) > 0
assert len(set(a)) > 150, len(set(a))  # smooth profiles: not a few constant levels
assert h["shape"] == (2, n, n) and s[:n * n] == a and s[n * n:] != a'
expect_exit "phantom: --oriented is for --kind ellipses only" 2 "--oriented: expected only with --kind ellipses" \
  "$EQR" phantom --kind oriented-smooth --oriented --size 8 --out x.npy
expect_exit "phantom: unknown kind" 2 "--kind.*shepp-logan or ellipses.*'disc'" "$EQR" phantom --kind disc --size 8 --out x.npy
expect_exit "phantom: missing --size" 2 "missing required option --size" "$EQR" phantom --kind shepp-logan --out x.npy
expect_exit "phantom: bad size" 2 "--size: expected a positive integer" "$EQR" phantom --kind shepp-logan --size 0 --out x.npy
expect_exit "phantom: misspelt flag" 2 "--sise" "$EQR" phantom --kind shepp-logan --size 8 --sise 3 --out x.npy
check "failed commands wrote no output" test ! -e x.npy
expect_exit "phantom: unwritable output" 1 "no_dir/x.npy" "$EQR" phantom --kind shepp-logan --size 8 --out no_dir/x.npy

echo "== compare"
expect_ok "compare an image with itself (JSON)" "$EQR" compare --ref sl.npy --in sl.npy --json
check "JSON keys, ssim 1, nmse 0, data range 1" grep -Eq '^\{"psnr": null, "ssim": 1, "nmse": 0, "data_range": 1\}$' out.txt
expect_ok "compare upright and turned phantoms" "$EQR" compare --ref sl.npy --in sl90.npy --data-range 2 --json
check "data range as given" grep -q '"data_range": 2' out.txt
py "compare: PSNR and NMSE agree with a direct computation" '
import json
r = json.loads(open("out.txt").read())
_, a = load("sl.npy"); _, b = load("sl90.npy")
mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
psnr = 10 * math.log10(4 / mse); nmse = sum((x - y) ** 2 for x, y in zip(a, b)) / dot(a, a)
sys.exit(0 if abs(r["psnr"] - psnr) < 1e-6 and abs(r["nmse"] - nmse) < 1e-9 and -1 <= r["ssim"] < 0.9 else 1)' 
expect_exit "compare: shapes differ" 1 "e3.npy.*\(48, 48\).*sl.npy.*\(64, 64\)" "$EQR" compare --ref sl.npy --in e3.npy
expect_exit "compare: missing file" 1 "nothere.npy.*no such file" "$EQR" compare --ref sl.npy --in nothere.npy
printf 'this is not an npy file' > junk.npy
expect_exit "compare: corrupt file" 1 "junk.npy.*NUMPY" "$EQR" compare --ref sl.npy --in junk.npy
expect_exit "compare: bad data range" 2 "--data-range" "$EQR" compare --ref sl.npy --in sl.npy --data-range -1

echo "== radon / backproject"
expect_ok "radon, 30 angles, float64" "$EQR" radon --in sl.npy --angles 30 --dtype float64 --out y.npy --png y.png
check "sinogram shape (30, 91): D = ceil(sqrt(2) 64)" grep -aq "'shape': (30, 91)" y.npy
expect_ok "radon of a second image" "$EQR" radon --in e3.npy --angles 30 --detectors 91 --dtype float64 --out y2.npy
expect_exit "backproject: sinogram of the wrong size" 1 "y2.npy|shape|ParallelBeam" "$EQR" backproject --in y2.npy --size 64 --angles 31 --out bp.npy
expect_ok "backproject with the same geometry" "$EQR" backproject --in y.npy --size 64 --dtype float64 --out bp.npy --png bp.png
expect_ok "phantom 64 float64 (for the adjoint test)" "$EQR" phantom --kind ellipses --size 64 --seed 9 --dtype float64 --out x2.npy
expect_ok "radon of x2" "$EQR" radon --in x2.npy --angles 30 --dtype float64 --out yx2.npy
py "radon and backproject are exact transposes: <A x, A x2> = <x, At A x2>" '
_, x = load("sl.npy"); _, ax = load("y.npy"); _, ax2 = load("yx2.npy")
import subprocess
subprocess.check_call([sys.argv[1], "backproject", "--in", "yx2.npy", "--size", "64", "--dtype", "float64", "--out", "atax2.npy"])
_, atax2 = load("atax2.npy")
lhs, rhs = dot(ax, ax2), dot(x, atax2)
sys.exit(0 if abs(lhs - rhs) <= 1e-9 * abs(lhs) else 1)' "$EQR"
if [ -n "$PY" ]; then
  "$PY" -c "
import math, struct
d = \"{'descr': '<f8', 'fortran_order': False, 'shape': (30,), }\"
d += ' ' * (127 - 10 - len(d)) + chr(10)
open('angles.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(d)) + d.encode() +
                              struct.pack('<30d', *[math.pi * a / 30 for a in range(30)]))"
  expect_ok "radon with an angle file" "$EQR" radon --in sl.npy --angles-file angles.npy --dtype float64 --out ya.npy
  check "an angle file of linspace(0, pi, 30) gives the same sinogram as --angles 30" cmp -s ya.npy y.npy
fi
expect_exit "radon: 2-d angle file error names it" 1 "y.npy.*1-d array of angles" "$EQR" radon --in sl.npy --angles-file y.npy --out bad.npy
expect_exit "radon: --angles and --angles-file together" 2 "either --angles" "$EQR" radon --in sl.npy --angles 3 --angles-file y.npy --out bad.npy
expect_exit "radon: missing --angles" 2 "--angles" "$EQR" radon --in sl.npy --out bad.npy

if has_command fbp; then
  echo "== fbp"
  expect_ok "radon, 180 angles" "$EQR" radon --in sl.npy --angles 180 --out y180.npy
  expect_ok "fbp ram-lak" "$EQR" fbp --in y180.npy --size 64 --angles 180 --out fbp.npy --png fbp.png
  expect_ok "fbp reconstructs the phantom (PSNR)" "$EQR" compare --ref sl.npy --in fbp.npy --json
  py "fbp: PSNR above 20 dB at 64 x 64 with 180 angles" '
import json
r = json.loads(open("out.txt").read()); print(r)
sys.exit(0 if r["psnr"] > 20 else 1)'
  for f in shepp-logan cosine hamming hann; do
    expect_ok "fbp --filter $f" "$EQR" fbp --in y180.npy --size 64 --angles 180 --filter "$f" --out "fbp_$f.npy"
  done
  expect_exit "fbp: unknown filter" 2 "--filter.*'box'" "$EQR" fbp --in y180.npy --size 64 --angles 180 --filter box --out x.npy
  check "no output after the failure" test ! -e x.npy
fi

if has_command mask; then
  echo "== mask"
  expect_ok "mask random 4x, 8% centre" "$EQR" mask --kind random --shape 64x80 --acceleration 4 --center-fraction 0.08 --seed 1 --out m.npy --png m.png
  py "random mask: (64, 80), columns constant, fully sampled centre, about 1/4 sampled" '
h, m = load("m.npy"); H, W = h["shape"]
assert (H, W) == (64, 80), h
cols = [m[j] for j in range(W)]
assert all(m[i * W + j] == cols[j] for i in range(H) for j in range(W)), "not constant along columns"
low = round(W * 0.08); pad = (W - low + 1) // 2
assert all(cols[j] for j in range(pad, pad + low)), "centre not sampled"
frac = sum(1 for c in cols if c) / W
sys.exit(0 if 0.15 < frac < 0.4 else 1)'
  expect_ok "mask equispaced" "$EQR" mask --kind equispaced --shape 64x64 --acceleration 4 --center-fraction 0.08 --out me.npy
  expect_ok "mask variable-density" "$EQR" mask --kind variable-density --shape 64x64 --acceleration 4 --center-fraction 0.08 --seed 2 --out mv.npy
  expect_exit "mask: bad shape" 2 "--shape" "$EQR" mask --kind random --shape 64by64 --acceleration 4 --center-fraction 0.08 --out x.npy
fi

if has_command fft && has_command ifft; then
  echo "== fft / ifft"
  expect_ok "fft of the phantom" "$EQR" fft --in sl.npy --out k.npy
  check "k-space is complex64 (64, 64)" grep -aq "{'descr': '<c8', 'fortran_order': False, 'shape': (64, 64), }" k.npy
  expect_ok "ifft back" "$EQR" ifft --in k.npy --out back.npy
  py "fft is orthonormal (Parseval) and centred (DC in the middle); ifft inverts it" '
_, x = load("sl.npy"); _, k = load("k.npy"); _, b = load("back.npy")
e1 = dot(x, x); e2 = sum(abs(v) ** 2 for v in k)
dc = k[32 * 64 + 32]
ok = abs(e1 - e2) < 1e-4 * e1 and abs(dc - sum(x) / 64) < 1e-3 * abs(dc)
err = max(abs(complex(u) - v) for u, v in zip(b, x))
sys.exit(0 if ok and err < 1e-5 else 1)'
  expect_exit "fft: not an array file" 1 "junk.npy" "$EQR" fft --in junk.npy --out x.npy
fi

echo "== no partial outputs"
check "no temporary files left behind" no_temporaries
cp sl.npy keep.npy
expect_exit "a failing command keeps an existing output intact" 1 "junk.npy" "$EQR" compare --ref junk.npy --in sl.npy
check "existing file untouched" cmp -s sl.npy keep.npy

finish_tool_test
