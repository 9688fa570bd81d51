#!/usr/bin/env bash
# End-to-end test of `--backend`: on a small CT problem `eqr train --backend torch-cpu` logs the loss curve of
# `--backend cpu` to float tolerance, and a run directory trained on either backend evaluates and reconstructs
# on either with the same numbers. Skipped (exit 77) when this build has no LibTorch backend.
#
# Tolerances: every logged loss is a mean over all pixels of forward passes that the backends compute with
# the same operations in float, summed in different orders (the layer and operator suites bound one forward
# pass at 1e-5 relative); a parameter that Adam moves differently on the two backends — one whose gradient
# is near zero, where Adam's step is ill-conditioned — changes the loss only to second order, so the curves
# agree to the forward tolerance, 1e-5 relative. The parameter trajectories themselves are compared in double
# in test_torch_learned, where the drift is bounded.
# Usage: backend_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test backend_test "$@"
export EQR_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE

if ! "$EQR" info --json | grep -q '"torch-cpu"'; then
  echo "backend_test: this eqr has no torch-cpu backend ($("$EQR" info | grep backends)); skipped"
  exit 77
fi

COMMON=(--problem ct --size 16 --iterations 2 --steps 20 --train-size 3 --validate-every 5 --lr 1e-3 --seed 3)

echo "== the same loss curve on cpu and torch-cpu"
expect_ok "train on cpu" "$EQR" train "${COMMON[@]}" --out on_cpu
expect_ok "train on torch-cpu" "$EQR" train "${COMMON[@]}" --backend torch-cpu --out on_torch
check "model.cfg records the backend that trained" grep -qx "trained_on = torch-cpu" on_torch/model.cfg
check "both logs have 20 steps" bash -c '[ "$(wc -l <on_cpu/log.csv)" -eq 21 ] && [ "$(wc -l <on_torch/log.csv)" -eq 21 ]'
check "training losses agree to 1e-5 relative at every step" columns_agree on_cpu/log.csv on_torch/log.csv 2 1e-5
check "validation losses agree to 1e-5 relative at every validation" columns_agree on_cpu/log.csv on_torch/log.csv 3 1e-5
check "gradient norms agree to 1e-4 relative at every step" columns_agree on_cpu/log.csv on_torch/log.csv 4 1e-4
check "the loss moved (the curves compared are not constant)" \
  bash -c '[ "$(sed -n 2p on_cpu/log.csv | cut -d, -f2)" != "$(sed -n 21p on_cpu/log.csv | cut -d, -f2)" ]'

echo "== a run directory evaluates and reconstructs on any backend"
expect_ok "phantom" "$EQR" phantom --kind ellipses --oriented --size 16 --seed 5 --out x.npy
expect_ok "sinogram" "$EQR" radon --in x.npy --angles 50 --pixel-size 0.0625 --detector-spacing 0.0625 --out y.npy
for run in on_cpu on_torch; do
  for backend in cpu torch-cpu; do
    expect_ok "$run reconstructs on $backend" "$EQR" reconstruct --model "$run" --in y.npy --out "x_${run}_$backend.npy" \
      --backend "$backend"
    expect_ok "$run evaluates on $backend" bash -c "\"$EQR\" evaluate --model $run --test-size 3 --json --backend $backend \
      >eval_${run}_$backend.json"
  done
  expect_ok "compare $run's reconstructions on the two backends" "$EQR" compare --ref "x_${run}_cpu.npy" \
    --in "x_${run}_torch-cpu.npy" --json
  check "$run: the two backends' reconstructions agree to 1e-5 relative (PSNR of one against the other ≥ 100 dB)" \
    bash -c "sed -E 's/.*\"psnr\": ([^,]*),.*/\1/' out.txt | awk '{ exit !(\$1 >= 100) }'"
  check "$run: evaluate's PSNR is the same on both backends (to 1e-3 dB)" bash -c "
    a=\$(sed -E 's/.*\"model\": \"equivariant\"[^}]*\"psnr\": ([^,]*),.*/\1/' eval_${run}_cpu.json)
    b=\$(sed -E 's/.*\"model\": \"equivariant\"[^}]*\"psnr\": ([^,]*),.*/\1/' eval_${run}_torch-cpu.json)
    awk -v a=\"\$a\" -v b=\"\$b\" 'BEGIN { d = a - b; exit !(a > 10 && (d < 0 ? -d : d) <= 1e-3) }'"
done

echo "== TV reconstruction on torch-cpu follows the cpu backend, by PDHG and by FISTA"
# The PDHG iteration is non-expansive, so the float rounding of the two backends (which sum in different
# orders) adds up at most linearly: after 200 iterations at most ~200 × 6e-8 ≈ 1e-5 of the image, i.e. the two
# solutions agree to a PSNR of one against the other of well over 80 dB, and their objectives to 1e-4.
# FISTA's momentum step is not non-expansive, so for it the same bound is an empirical one: measured 118 dB
# (PDHG 145 dB) on 128×128 Shepp-Logan, 200 iterations. The host and device solvers are compared exactly, in
# double, in test_torch_tv.
expect_ok "sinogram for TV" "$EQR" radon --in x.npy --angles 20 --out y_tv.npy
for algorithm in pdhg fista; do
  for backend in cpu torch-cpu; do
    expect_ok "tv by $algorithm on $backend" bash -c "\"$EQR\" tv --problem ct --in y_tv.npy --size 16 --lambda 0.05 \
      --iterations 200 --algorithm $algorithm --nonnegative --backend $backend --out tv_$backend.npy --json >tv_$backend.json"
  done
  check "$algorithm: the JSON names the backend that solved" grep -q '"backend": "torch-cpu"' tv_torch-cpu.json
  check "$algorithm: the two TV objectives agree to 1e-4 relative" bash -c "
    a=\$(sed -E 's/.*\"objective\": ([^,]*),.*/\\1/' tv_cpu.json); b=\$(sed -E 's/.*\"objective\": ([^,]*),.*/\\1/' tv_torch-cpu.json)
    awk -v a=\"\$a\" -v b=\"\$b\" 'BEGIN { d = a - b; exit !(a > 0 && (d < 0 ? -d : d) <= 1e-4 * a) }'"
  expect_ok "$algorithm: compare the two TV solutions" "$EQR" compare --ref tv_cpu.npy --in tv_torch-cpu.npy --json
  check "$algorithm: the two TV solutions agree (PSNR of one against the other >= 80 dB)" \
    bash -c "sed -E 's/.*\"psnr\": ([^,]*),.*/\\1/' out.txt | awk '{ exit !(\$1 >= 80) }'"
done

echo "== errors"
expect_error "unknown backend" "--backend: expected one of the backends of this build and machine \(cpu, torch-cpu.*\), found 'gpu'" \
  "$EQR" train "${COMMON[@]}" --backend gpu --out bad
if ! "$EQR" info --json | grep -q '"torch-cuda"'; then
  expect_error "torch-cuda without a CUDA device" "found 'torch-cuda'; no CUDA device is present" \
    "$EQR" evaluate --model on_cpu --backend torch-cuda
fi
check "a refused run leaves no run directory behind" test ! -e bad

finish_tool_test
