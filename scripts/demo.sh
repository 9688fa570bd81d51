#!/usr/bin/env bash
# README command (1): installs the dependencies, builds the `eqr` tool and runs the main job on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DEQR_BUILD_TESTS=OFF -DEQR_BUILD_BENCHMARKS=OFF
cmake --build build/release -j "$(nproc)" --target eqr_tool
eqr=build/release/bin/eqr
out=${EQR_DEMO_OUT:-out/demo}
mkdir -p "$out"
"$eqr" info
"$eqr" basis --group C4 --in regular --out regular --kernel 3
echo "eqr demo finished; outputs are in $out"
