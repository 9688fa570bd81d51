#!/usr/bin/env bash
# README command (2): installs the dependencies, builds everything and runs the whole test suite — the
# Release build with g++ (all tests, host vector instructions), then with clang++ under AddressSanitizer +
# UBSan the core tests and the portable (non-native) paths of the SIMD kernels.
# Both builds treat warnings as errors. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-torch  # the LibTorch adapter is tested on its CPU device
jobs=$(nproc)

cmake -S . -B build/ci-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DEQR_WERROR=ON
cmake --build build/ci-release -j "$jobs"
ctest --test-dir build/ci-release -j "$jobs" --output-on-failure

cmake -S . -B build/ci-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DEQR_WERROR=ON \
      -DEQR_SANITIZE=ON -DEQR_SANITIZER_SUITE=ON
cmake --build build/ci-sanitize -j "$jobs"
ctest --test-dir build/ci-sanitize -j "$jobs" --output-on-failure -L "core|portable"
