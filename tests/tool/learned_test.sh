#!/usr/bin/env bash
# End-to-end test of the `eqr` tool's learned commands: `eqr train` for every offered group and for the
# learned primal-dual method, `eqr reconstruct` (inference through exported plain convolutions gives the
# same bytes as the training-mode layers), `eqr evaluate` on synthetic phantoms and on a --data directory
# (given measurements used as they are; rotated and upright-control sets through one resampling path),
# and the errors for unsupported settings. Tiny problems (16x16, 1-2 iterations, a few steps): seconds.
# Usage: learned_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test learned_test "$@"
export EQR_NUM_THREADS=2

# json_psnr FILE MODEL TEST [NOTE]: the mean PSNR of the entry (model, test, note) of an evaluate --json output.
json_psnr() {
  local file=$1 model=$2 test=$3 note=${4:-}
  local entries
  entries=$(tr '{' '\n' <"$file" | grep "\"model\": \"$model\"" | grep "\"test\": \"$test\"")
  if [ -n "$note" ]; then entries=$(grep "\"note\": \"$note\"" <<<"$entries"); else entries=$(grep -v '"note"' <<<"$entries"); fi
  sed -E 's/.*"psnr": ([^,]*),.*/\1/' <<<"$entries" | head -1
}
# in_range VALUE LOW HIGH: LOW <= VALUE <= HIGH (VALUE a number).
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v ~ /^-?[0-9.eE+-]+$/ && v >= lo && v <= hi) }'; }

COMMON=(--size 16 --iterations 2 --steps 3 --train-size 2 --validate-every 3)

echo "== eqr train --group: every group of the catalogue (eqr info) at one width"
for g in $("$EQR" info --json | sed -E 's/.*"groups": \[([^]]*)\].*/\1/' | tr -d '",'); do
  expect_ok "train equivariant $g LPG (CT 16x16, width 48)" "$EQR" train --problem ct --model equivariant --group "$g" \
    --width 48 "${COMMON[@]}" --out "run_$g"
  check "model.cfg of $g records the group, method and width" \
    grep -qx "group = $g" "run_$g/model.cfg"
done
check "all twelve groups were trained" bash -c '[ "$(ls -d run_* | wc -l)" -eq 12 ]'
check "C8 run: method lpg, width 48, trained on cpu" \
  bash -c 'grep -qx "method = lpg" run_C8/model.cfg && grep -qx "width = 48" run_C8/model.cfg && grep -qx "trained_on = cpu" run_C8/model.cfg'

echo "== eqr reconstruct: exported plain convolutions = training-mode layers, bit for bit"
expect_ok "phantom 16x16" "$EQR" phantom --kind ellipses --oriented --size 16 --seed 5 --out x.npy
expect_ok "sinogram (50 angles, pixel size 1/16)" "$EQR" radon --in x.npy --angles 50 --pixel-size 0.0625 --detector-spacing 0.0625 --out y.npy
for g in D4 C8 C4; do
  expect_ok "reconstruct with $g (exported)" "$EQR" reconstruct --model "run_$g" --in y.npy --out "x_$g.npy"
  expect_ok "reconstruct with $g (--no-export)" "$EQR" reconstruct --model "run_$g" --in y.npy --out "x_${g}_train.npy" --no-export
  check "$g: exported output identical to the training-mode output" cmp -s "x_$g.npy" "x_${g}_train.npy"
done
check "different groups give different reconstructions" bash -c '! cmp -s x_D4.npy x_C8.npy'

echo "== --method lpd"
expect_ok "train C4-equivariant learned primal-dual (CT)" "$EQR" train --problem ct --method lpd --model equivariant --group C4 \
  --width 24 "${COMMON[@]}" --out lpd_c4
check "model.cfg records method lpd" grep -qx "method = lpd" lpd_c4/model.cfg
expect_ok "train ordinary learned primal-dual (MRI)" "$EQR" train --problem mri --method lpd --model ordinary --width 8 \
  "${COMMON[@]}" --out lpd_mri
expect_ok "train D4-equivariant learned primal-dual (any group, not only C4)" "$EQR" train --problem ct --method lpd \
  --model equivariant --group D4 --width 16 "${COMMON[@]}" --out lpd_d4
expect_ok "train an LPG started from FBP (--init direct)" "$EQR" train --problem ct --init direct --width 24 "${COMMON[@]}" \
  --out warm
check "model.cfg records init = direct" grep -qx "init = direct" warm/model.cfg
expect_ok "reconstruct with the warm-started LPG" "$EQR" reconstruct --model warm --in y.npy --out x_warm.npy
check "the warm start changes the reconstruction" bash -c '! cmp -s x_warm.npy x_C4.npy'
expect_ok "reconstruct with LPD (exported)" "$EQR" reconstruct --model lpd_c4 --in y.npy --out x_lpd.npy
expect_ok "reconstruct with LPD (--no-export)" "$EQR" reconstruct --model lpd_c4 --in y.npy --out x_lpd_train.npy --no-export
check "LPD: exported output identical to the training-mode output" cmp -s x_lpd.npy x_lpd_train.npy
check "LPD and LPG reconstructions differ" bash -c '! cmp -s x_lpd.npy x_C4.npy'
expect_ok "evaluate LPD (MRI) with rotated phantoms, JSON" "$EQR" evaluate --model lpd_mri --test-size 2 --rotated --json
check "LPD evaluation reports method lpd and both orientations" \
  bash -c 'grep -q "\"method\": \"lpd\"" out.txt && grep -q "\"test\": \"rotated\"" out.txt && grep -q "\"model\": \"zero-filled\"" out.txt'

echo "== eqr evaluate --data DIR"
mkdir -p data data_obs
expect_ok "training images (3, 16, 16)" "$EQR" phantom --kind ellipses --oriented --size 16 --images 3 --seed 10 --out data/train_gt.npy
expect_ok "test images (4, 16, 16)" "$EQR" phantom --kind ellipses --oriented --size 16 --images 4 --seed 20 --out data/test_gt.npy
cp data/train_gt.npy data/test_gt.npy data_obs/
cp data/test_gt.npy data_obs/test_obs.npy  # denoising "measurements" without noise: used as they are
expect_ok "train a C4 denoiser on the directory" "$EQR" train --problem denoise --model equivariant --group C4 --width 24 \
  --size 16 --iterations 1 --steps 3 --data data --out den
expect_ok "evaluate --data (simulated noise), rotated, JSON" "$EQR" evaluate --model den --data data --rotated --json
cp out.txt eval_sim.json
check "four images in each entry" bash -c '[ "$(grep -o "\"n_images\": 4" eval_sim.json | wc -l)" -eq 6 ]'
noisy=$(json_psnr eval_sim.json noisy upright)
check "simulated noise sigma 0.1 gives a noisy PSNR near 20 dB (got $noisy)" in_range "$noisy" 16 24
control=$(json_psnr eval_sim.json noisy upright resampled)
rotated=$(json_psnr eval_sim.json noisy rotated resampled)
check "resampled upright control and rotated set both present with noise re-simulated ($control, $rotated dB)" \
  bash -c "in_range() { awk -v v=\"\$1\" -v lo=\"\$2\" -v hi=\"\$3\" 'BEGIN { exit !(v >= lo && v <= hi) }'; }; in_range '$control' 16 24 && in_range '$rotated' 16 24"
expect_ok "evaluate --data with test_obs.npy (noise-free), JSON" "$EQR" evaluate --model den --data data_obs --json
check "given measurements are used as they are: the noisy baseline equals the truth (PSNR null = infinite)" \
  grep -q '"model": "noisy", "group": "", "train_size": 0, "test": "upright", "psnr": null' out.txt
expect_ok "evaluate --data --test-size 2" "$EQR" evaluate --model den --data data --test-size 2 --json
check "--test-size limits the images" grep -q '"n_images": 2' out.txt
expect_error "evaluate --data: more images asked than the file has" "--test-size: expected at most 4" \
  "$EQR" evaluate --model den --data data --test-size 9
expect_error "evaluate --data: directory without test_gt.npy" "expected test_gt.npy" "$EQR" evaluate --model den --data nowhere
mkdir -p data_big
expect_ok "test images of the wrong size (2, 24, 24)" "$EQR" phantom --kind ellipses --size 24 --images 2 --out data_big/test_gt.npy
expect_error "evaluate --data: wrong image size named" "test_gt.npy.*expected real ground truths of shape \(N, 16, 16\)" \
  "$EQR" evaluate --model den --data data_big

echo "== eqr experiment --phantoms"
expect_ok "experiment --help" "$EQR" experiment --help
check "experiment --help documents --phantoms and the smooth family" \
  bash -c 'cat out.txt err.txt | grep -q -- "--phantoms KIND" && cat out.txt err.txt | grep -q "oriented-smooth"'
expect_exit "experiment: an unknown phantom family names every family" 1 \
  "expected 'ellipses', 'oriented', 'shepp-logan' or 'oriented-smooth', found 'disc'" \
  "$EQR" experiment train-size-ct --phantoms disc --out bad_exp
check "no report for the refused family" test ! -e bad_exp
expect_ok "train-size-ct on oriented-smooth phantoms (16x16, 1 image, 2 steps, 1 iteration)" \
  "$EQR" experiment train-size-ct --quick --size 16 --train-sizes 1 --steps 2 --iterations 1 --phantoms oriented-smooth --out exp_smooth
check "results.json records the family" grep -q '"phantoms": "oriented-smooth"' exp_smooth/results.json
check "the report names the family in the problem and in the command" \
  bash -c 'grep -q "16×16 oriented-smooth phantoms" exp_smooth/index.md && grep -q -- "--phantoms oriented-smooth" exp_smooth/index.md'
check "the quick CT run starts from FBP, and results.json says so" \
  bash -c 'grep -q "\"init\": \"direct\"" exp_smooth/results.json && grep -q "started from u0 = the fbp reconstruction" exp_smooth/index.md'
check "each model keeps the parameters of its lowest validation loss (best.eqrc beside the last checkpoint)" \
  bash -c 'test -s exp_smooth/runs/ordinary-1/best.eqrc && test -s exp_smooth/runs/equivariant-1/best.eqrc && grep -q "lowest validation loss" exp_smooth/index.md'
expect_ok "train-size-ct --init zero (the paper's u0 = 0)" \
  "$EQR" experiment train-size-ct --quick --size 16 --train-sizes 1 --steps 2 --iterations 1 --init zero --out exp_zero
check "results.json and the command record --init zero" \
  bash -c 'grep -q "\"init\": \"zero\"" exp_zero/results.json && grep -q -- "--init zero" exp_zero/index.md && grep -q "u0 = 0," exp_zero/index.md'
expect_error "experiment: an unknown --init is refused" "expected --init zero or direct, found 'fbp'" \
  "$EQR" experiment train-size-ct --init fbp --out bad_exp

echo "== eqr experiment --data DIR"
mkdir -p exp_data
expect_ok "training images (2, 16, 16)" "$EQR" phantom --kind ellipses --size 16 --images 2 --seed 30 --out exp_data/train_gt.npy
expect_ok "validation images (3, 16, 16)" "$EQR" phantom --kind ellipses --size 16 --images 3 --seed 40 --out exp_data/val_gt.npy
expect_ok "test images (8, 16, 16)" "$EQR" phantom --kind ellipses --size 16 --images 8 --seed 50 --out exp_data/test_gt.npy
expect_ok "train-size-mri on the directory (1 image, 2 steps, 1 iteration)" \
  "$EQR" experiment train-size-mri --quick --data exp_data --train-sizes 1 --steps 2 --iterations 1 --out exp_on_data
check "results.json records the data directory and its image size" \
  bash -c 'grep -q "\"data\": \"exp_data\"" exp_on_data/results.json && grep -q "\"size\": 16" exp_on_data/results.json'
check "the report names the images and the resampled test sets, and the command has --data" \
  bash -c 'grep -q "16×16 images of exp_data" exp_on_data/index.md && grep -q "one resampling path" exp_on_data/index.md &&
           grep -q -- "--data exp_data" exp_on_data/index.md'
expect_ok "rotation-denoise on the directory's first training image (2 steps)" \
  "$EQR" experiment rotation-denoise --quick --data exp_data --steps 2 --out rot_on_data
check "the report names the image and the command has --data" \
  bash -c 'grep -q "image 0 of exp_data/train_gt.npy (16×16)" rot_on_data/index.md && grep -q -- "--data exp_data" rot_on_data/index.md'
check "the C4-equivariant denoiser scores the same on the image turned by 90° (exact rotation, drop 0.00 dB)" \
  grep -Eq "Equivariant model loses .* \(drop -?0\.00 dB\)" rot_on_data/index.md
expect_error "rotation-denoise --data: a --size other than the images' is refused" "--size: expected 16 \(the images of 'exp_data'\)" \
  "$EQR" experiment rotation-denoise --quick --data exp_data --size 32 --steps 2 --out bad_exp
expect_error "experiment --data: more training images asked than the directory has" \
  "expected at least 4 images in train_gt.npy for this schedule, found 2" \
  "$EQR" experiment train-size-mri --quick --data exp_data --train-sizes 4 --steps 2 --iterations 1 --out bad_exp
expect_error "experiment --data: only the train-size experiments take it" \
  "--data applies to train-size-ct, train-size-mri and rotation-denoise, found 'group-order'" \
  "$EQR" experiment group-order --quick --data exp_data --out bad_exp
expect_error "experiment --data and --phantoms together are refused" "give either --data DIR or --phantoms KIND" \
  "$EQR" experiment train-size-ct --data exp_data --phantoms oriented --out bad_exp
check "no report for a refused experiment" test ! -e bad_exp

echo "== errors"
expect_error "unknown group" "--group: expected one of C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8, found 'C5'" \
  "$EQR" train --problem ct --model equivariant --group C5 "${COMMON[@]}" --out bad
check "a refused run leaves no run directory behind" test ! -e bad
expect_error "width not a multiple of the group's order" "--width: expected a multiple of \|C8\| = 8" \
  "$EQR" train --problem ct --model equivariant --group C8 --width 20 "${COMMON[@]}" --out bad
expect_error "unknown --init" "--init: expected zero or direct, found 'fbp'" \
  "$EQR" train --problem ct --init fbp "${COMMON[@]}" --out bad
expect_error "unknown method" "--method: expected lpg or lpd, found 'admm'" \
  "$EQR" train --problem ct --method admm "${COMMON[@]}" --out bad

finish_tool_test
