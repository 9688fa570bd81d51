#!/usr/bin/env bash
# End-to-end test of `eqr train`'s problem flags (CLI.md): the user's CT geometry (DIVal's: 30 angles, spacing
# 0.98918, pixel size 1), angle files, MRI masks and noise models are recorded in model.cfg, so `reconstruct`
# and `evaluate` need no geometry flag; the simulated measurements are those `eqr radon` makes with the same
# flags (the loss curves of a run on simulated noise-free data and of a run on radon's sinograms agree); a
# stack of measurements gives a stack of reconstructions; model selection (best.eqrc), the learning-rate drop
# and resuming; and the bad-input table: a clear message, a non-zero exit and no run directory.
# Tiny problems (32x32, 2 iterations, a few steps): seconds.
# Usage: problem_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test problem_test "$@"
export EQR_NUM_THREADS=2

# npy_data FILE: the raw element bytes of a .npy file (format 1.0) on stdout.
npy_data() { perl -e 'local $/; $_ = <STDIN>; my $n = unpack("v", substr($_, 8, 2)); print substr($_, 10 + $n)' <"$1"; }
# npy_stack OUT IN...: the .npy files IN (one dtype and shape (H, W) each) stacked into OUT of shape (N, H, W).
npy_stack() {
  local out=$1; shift
  perl -e '
    my ($descr, $shape, $data) = ("", "", "");
    for my $f (@ARGV) {
      open(my $h, "<:raw", $f) or die "$f: $!"; local $/; my $s = <$h>;
      my $n = unpack("v", substr($s, 8, 2)); my $head = substr($s, 10, $n);
      ($descr) = $head =~ /.descr.: .([^\x27]+)./; ($shape) = $head =~ /.shape.: \(([^)]*)\)/;
      $data .= substr($s, 10 + $n);
    }
    my $dict = "{\x27descr\x27: \x27$descr\x27, \x27fortran_order\x27: False, \x27shape\x27: (" . scalar(@ARGV) . ", $shape), }";
    my $pad = 64 - (10 + length($dict) + 1) % 64; $pad = 0 if $pad == 64;
    $dict .= " " x $pad . "\n";
    print "\x93NUMPY\x01\x00", pack("v", length($dict)), $dict, $data;' "$@" >"$out"
}
# npy_f64 OUT V...: a 1-d float64 .npy file of the values V.
npy_f64() {
  local out=$1; shift
  perl -e '
    my $dict = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (" . scalar(@ARGV) . ",), }";
    my $pad = 64 - (10 + length($dict) + 1) % 64; $pad = 0 if $pad == 64;
    $dict .= " " x $pad . "\n";
    print "\x93NUMPY\x01\x00", pack("v", length($dict)), $dict, pack("d<*", @ARGV);' "$@" >"$out"
}

DIVAL=(--angles 30 --detectors 46 --detector-spacing 0.98918 --pixel-size 1)
COMMON=(--size 32 --iterations 2 --width 8 --model ordinary --train-size 2 --validate-every 2)
STEPS=(--steps 4)

echo "== DIVal-style CT geometry: recorded in model.cfg, reconstruct needs no flag"
expect_ok "train on 30 angles, 46 detectors of spacing 0.98918, pixel size 1, 2.5 % relative Gaussian noise" \
  "$EQR" train --problem ct "${COMMON[@]}" "${STEPS[@]}" "${DIVAL[@]}" --noise gaussian --relative 0.025 --out dival
check "the problem description names the geometry and the noise" \
  grep -q "30 angles in \[0, π), 46 detectors of spacing 0.98918, pixel size 1.00000.*2.50 % of the mean |Au|" err.txt
check "model.cfg records the geometry and the noise" \
  bash -c 'grep -qx "angles = 30" dival/model.cfg && grep -qx "detectors = 46" dival/model.cfg &&
           grep -qx "pixel_size = 1" dival/model.cfg && grep -q "^detector_spacing = 0.9891" dival/model.cfg &&
           grep -qx "noise = gaussian" dival/model.cfg && grep -q "^relative_sigma = 0.025" dival/model.cfg'
for k in 1 2 3; do
  "$EQR" phantom --kind ellipses --size 32 --seed "$k" --out "x$k.npy" >/dev/null
  "$EQR" radon --in "x$k.npy" "${DIVAL[@]}" --out "y$k.npy" >/dev/null
done
expect_ok "reconstruct a sinogram of radon with the same flags, no geometry flag" \
  "$EQR" reconstruct --model dival --in y1.npy --out r1.npy
check "reconstruct says it uses the best validation's parameters" grep -q "using dival/best.eqrc" err.txt
"$EQR" radon --in x1.npy --angles 50 --out y50.npy >/dev/null
expect_error "a sinogram of another geometry is refused, naming both shapes" \
  "expected measurements of shape \(30, 46\) or a stack \(N, 30, 46\).*found \(50, 46\)" \
  "$EQR" reconstruct --model dival --in y50.npy --out bad.npy
npy_stack ystack.npy y1.npy y2.npy y3.npy
expect_ok "reconstruct a stack (3, 30, 46)" "$EQR" reconstruct --model dival --in ystack.npy --out rstack.npy
check "the output is a stack (3, 32, 32)" grep -aq "'shape': (3, 32, 32)" rstack.npy
"$EQR" reconstruct --model dival --in y3.npy --out r3.npy 2>/dev/null
npy_data rstack.npy | tail -c 4096 >stack_last.bin
npy_data r3.npy >single.bin
check "each image of the stack is the reconstruction of its own measurement" cmp -s stack_last.bin single.bin
expect_ok "evaluate the run without geometry flags (JSON)" "$EQR" evaluate --model dival --test-size 2 --json
check "evaluate reports the problem's setup" grep -q '"setup": "CT: parallel beam, 30 angles' out.txt

echo "== the simulated measurements are radon's: noise-free simulation and given sinograms train alike"
mkdir -p sim given
npy_stack sim/train_gt.npy x1.npy x2.npy
npy_stack sim/val_gt.npy x3.npy
cp sim/train_gt.npy sim/val_gt.npy given/
npy_stack given/train_obs.npy y1.npy y2.npy
npy_stack given/val_obs.npy y3.npy
expect_ok "train on simulated noise-free data (--noise none)" \
  "$EQR" train --problem ct "${COMMON[@]}" "${STEPS[@]}" "${DIVAL[@]}" --noise none --data sim --out on_sim
expect_ok "train on radon's sinograms (train_obs.npy, val_obs.npy)" \
  "$EQR" train --problem ct "${COMMON[@]}" "${STEPS[@]}" "${DIVAL[@]}" --data given --out on_given
check "the run on given measurements says so" grep -q "given/train_obs.npy as given" err.txt
check "training losses agree to float rounding (1e-4 relative)" columns_agree on_sim/log.csv on_given/log.csv 2 1e-4
check "validation losses agree to float rounding (1e-4 relative)" columns_agree on_sim/log.csv on_given/log.csv 3 1e-4
check "model.cfg records the data directory" grep -q "^data = .*/sim$" on_sim/model.cfg

echo "== angle files and MRI masks"
npy_f64 angles.npy 0 0.3 0.7 1.1 1.6 2.0 2.5 3.0
expect_ok "train on 8 angles from a file" "$EQR" train --problem ct "${COMMON[@]}" "${STEPS[@]}" --angles-file angles.npy --out angled
check "model.cfg records the angle list" grep -q "^angle_list = 0 0.29999999999999999 0.69999999999999996" angled/model.cfg
"$EQR" radon --in x1.npy --angles-file angles.npy --pixel-size 0.03125 --detector-spacing 0.03125 --out y_angled.npy >/dev/null
expect_ok "reconstruct radon's 8-angle sinogram (pixel size 1/32 is the default)" \
  "$EQR" reconstruct --model angled --in y_angled.npy --out r_angled.npy
"$EQR" mask --kind equispaced --shape 32x32 --acceleration 4 --center-fraction 0.125 --out m.npy >/dev/null
expect_ok "train MRI with a mask file" "$EQR" train --problem mri "${COMMON[@]}" "${STEPS[@]}" --mask m.npy --out masked
check "model.cfg records the given mask" bash -c 'grep -qx "mask_kind = given" masked/model.cfg && grep -q "^mask = " masked/model.cfg'
check "the description names the given mask" grep -q "a given Cartesian column mask" err.txt
expect_ok "train MRI with a generated variable-density mask" \
  "$EQR" train --problem mri "${COMMON[@]}" "${STEPS[@]}" --mask-kind variable-density --acceleration 4 --center-fraction 0.1 --out vd
check "model.cfg records the mask parameters" \
  bash -c 'grep -qx "mask_kind = variable-density" vd/model.cfg && grep -qx "acceleration = 4" vd/model.cfg'
"$EQR" mask --kind radial --shape 32x32 --acceleration 4 --out radial.npy 2>err.txt >/dev/null
check "eqr mask writes a radial 2-D pattern" grep -q "k-space points sampled (acceleration" err.txt
expect_ok "train MRI with a 2-D sampling pattern from a file" \
  "$EQR" train --problem mri "${COMMON[@]}" "${STEPS[@]}" --mask radial.npy --out radial
check "the description names a 2-D pattern" grep -q "a given 2-D sampling pattern" err.txt
check "model.cfg records all 32x32 pattern values" \
  bash -c '[ "$(grep "^mask = " radial/model.cfg | wc -w)" -eq $((2 + 32 * 32)) ]'
"$EQR" fft --in x1.npy --out k1.npy >/dev/null
expect_ok "reconstruct fully sampled k-space with the pattern's model" "$EQR" reconstruct --model radial --in k1.npy --out r_radial.npy
expect_ok "train MRI with a generated variable-density 2-D pattern" \
  "$EQR" train --problem mri "${COMMON[@]}" "${STEPS[@]}" --mask-kind variable-density-2d --acceleration 4 --center-fraction 0.1 \
  --out vd2
check "the description and model.cfg name it" \
  bash -c 'grep -q "a variable-density-2d 2-D sampling pattern (acceleration 4.0" err.txt &&
           grep -qx "mask_kind = variable-density-2d" vd2/model.cfg'
expect_error "eqr tv refuses k-space that is not zero off the 2-D pattern" "expected zero k-space where the mask leaves it out" \
  "$EQR" tv --problem mri --in k1.npy --mask radial.npy --lambda 0.01 --out tv_radial.npy

echo "== model selection, learning-rate drop, resume"
expect_ok "train without model selection" "$EQR" train --problem ct "${COMMON[@]}" "${STEPS[@]}" --no-keep-best --out last
check "--no-keep-best writes no best.eqrc" test ! -e last/best.eqrc
expect_ok "train 8 steps at one rate" "$EQR" train --problem ct "${COMMON[@]}" --steps 8 --lr 1e-3 --out flat
expect_ok "train 8 steps dropping the rate after half" \
  "$EQR" train --problem ct "${COMMON[@]}" --steps 8 --lr 1e-3 --lr-drop-at 0.5 --out dropped
check "the first half of the two runs is the same" \
  bash -c '[ "$(wc -l <flat/log.csv)" -eq 9 ] && [ "$(wc -l <dropped/log.csv)" -eq 9 ] && cmp -s <(head -5 flat/log.csv | cut -d, -f1-4) <(head -5 dropped/log.csv | cut -d, -f1-4)'
check "after the drop the runs differ" bash -c '! cmp -s <(sed -n 6,9p flat/log.csv | cut -d, -f2) <(sed -n 6,9p dropped/log.csv | cut -d, -f2)'
expect_ok "train 2 steps on DIVal's geometry" "$EQR" train --problem ct "${COMMON[@]}" "${DIVAL[@]}" --noise none --steps 2 \
  --out resumed
cp resumed/model.cfg cfg_before
expect_ok "resume to 4 steps without geometry flags" "$EQR" train "${COMMON[@]}" --noise none --steps 4 --resume --out resumed
check "the resumed run keeps the recorded problem" bash -c 'grep -qx "angles = 30" resumed/model.cfg && [ "$(wc -l <resumed/log.csv)" -eq 5 ]'

echo "== bad input: a clear message, a non-zero exit, no run directory"
bad() {  # bad NAME REGEX ARGS...: eqr train ARGS --out bad fails with REGEX and leaves no directory `bad`.
  local name=$1 regex=$2; shift 2
  expect_error "$name" "$regex" "$EQR" train "$@" --out bad
  check "$name: no run directory" test ! -e bad
}
bad "unknown problem" "--problem: expected ct, mri or denoise, found 'xyz'" --problem xyz
bad "zero steps" "--steps: expected >= 1, found 0" --problem ct --steps 0
bad "--lr-drop-at outside (0, 1]" "--lr-drop-at: expected a fraction of the steps in \(0, 1\], found 1.5" --lr-drop-at 1.5
bad "a CT flag on MRI" "--angles belongs to --problem ct, found --problem mri" --problem mri --angles 30
bad "an MRI flag on CT" "--mask belongs to --problem mri, found --problem ct" --problem ct --mask m.npy
bad "both angle flags" "give either --angles A or --angles-file FILE, not both" --problem ct --angles 3 --angles-file angles.npy
bad "no angles" "--angles: expected a positive integer, found 0" --problem ct --angles 0
bad "negative spacing" "--detector-spacing: expected a positive length" --problem ct --detector-spacing -1
bad "a missing angle file" "cannot read 'nowhere.npy'" --problem ct --angles-file nowhere.npy
bad "a 2-d angle file" "expected a 1-d array of angles in radians, found shape \(32, 32\)" --problem ct --angles-file m.npy
bad "a mask of the wrong width" "expected a mask of shape \(16, 16\) like the k-space, found \(32, 32\)" \
  --problem mri --size 16 --mask m.npy
bad "a mask file with mask parameters" "--mask FILE gives the mask" --problem mri --mask m.npy --acceleration 4
bad "an unknown mask kind" "--mask-kind: expected random, equispaced, variable-density, radial or variable-density-2d, found 'spiral'" \
  --problem mri --mask-kind spiral
bad "an unknown noise" "--noise: expected poisson, gaussian, complex-gaussian or none, found 'salt'" --problem ct --noise salt
bad "Gaussian noise without a level" "--noise gaussian: expected one of --sigma S or --relative R" --problem ct --noise gaussian
bad "photons without Poisson noise" "--photons belongs to --noise poisson, found --noise complex-gaussian" \
  --problem mri --photons 100
bad "a relative level for MRI" "--relative belongs to --noise gaussian, found --noise complex-gaussian" \
  --problem mri --relative 0.1
bad "Poisson noise for denoising" "--noise poisson: expected the ct problem" --problem denoise --noise poisson
mkdir -p given_noval && cp sim/train_gt.npy given_noval/
bad "--keep-best without validation images" "--keep-best: expected validation images \(given_noval/val_gt.npy\)" \
  --problem ct "${COMMON[@]}" --data given_noval --keep-best
bad "a data directory without train_gt.npy" "expected train_gt.npy \(N, H, H\) in it, found none" --problem ct --data nowhere

finish_tool_test
