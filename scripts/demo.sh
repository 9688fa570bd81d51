#!/usr/bin/env bash
# README command (1): installs the dependencies, builds the `eqr` tool and runs the main job on built-in
# (synthetic) data — the paper's Figure 1 and Figure 7 experiments in their quick variants. Reports go to
# out/<experiment>/index.md (override the folder with EQR_DEMO_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DEQR_BUILD_TESTS=OFF -DEQR_BUILD_BENCHMARKS=OFF
cmake --build build/release -j "$(nproc)" --target eqr_tool
eqr=build/release/bin/eqr
out=${EQR_DEMO_OUT:-out}
mkdir -p "$out"
"$eqr" info
for experiment in rotation-denoise train-size-ct; do
  "$eqr" experiment "$experiment" --quick --out "$out/$experiment"
done
echo
echo "Reports: $out/rotation-denoise/index.md and $out/train-size-ct/index.md"
