#!/usr/bin/env bash
# Installs EquiRecon's build and test dependencies from Debian 12 packages (run as root).
# Usage: scripts/install-deps.sh [--with-torch]
set -euo pipefail
packages=(build-essential cmake ninja-build g++ clang libclang-rt-14-dev
          libeigen3-dev libxtensor-dev xtl-dev libfftw3-dev libtbb-dev doctest-dev
          libbenchmark-dev libpng-dev zlib1g-dev libzip-dev pkg-config
          libgdcm-dev python3-pydicom   # GDCM: eqr::dicom; pydicom: its test files (CT_small.dcm, MR_small*.dcm)
          libnifti2-dev mricron-data    # nifticlib: eqr::nifti; mricron-data: its test volumes (ch2better.nii.gz, …)
          libhdf5-dev)                  # libhdf5: eqr::hdf5 (fastMRI, LoDoPaB-CT files)
if [[ "${1:-}" == "--with-torch" ]]; then packages+=(libtorch-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
