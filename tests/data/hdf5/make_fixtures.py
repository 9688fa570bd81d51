#!/usr/bin/env python3
"""Writes the HDF5 fixtures of tests/unit/test_hdf5_read.cpp and tests/tool/dataset_test.sh with h5py.

Every fixture is tiny and committed (h5py and NumPy are not needed in CI). Beside each HDF5 file the arrays it
holds are saved by NumPy as .npy, so the C++ tests compare eqr's HDF5 reader (libhdf5) with h5py's writer
through a second, independent path (NumPy's .npy writer read by eqr's tested .npy reader).

* types.h5: one dataset per element type eqr reads (ints, uints, floats in both byte orders, complex64 and
  complex128 as h5py's (r, i) compounds, a gzip-compressed chunked dataset), ones it refuses (uint64,
  strings, a foreign compound), a group, root attributes of every kind; types_<name>.npy the values.
* fastmri_singlecoil.h5 / fastmri_multicoil.h5: fastMRI's layout (kspace (slices[, coils], H, W) complex64,
  reconstruction_esc / reconstruction_rss (slices, 16, 16) float32, the attributes acquisition, max, norm,
  patient_id and an ismrmrd_header whose reconSpace is 16 x 16), built from smooth complex images with
  NumPy's FFT in fastMRI's convention (k = fftshift(fft2(ifftshift(x), norm="ortho"))); the reconstructions
  are fastMRI's: the centre 16 x 16 crop of |x| (single coil) or of the root sum of squares over coils.
  fastmri_*_kspace.npy and fastmri_*_recon.npy are the same arrays.
* lodopab/ground_truth_train_000.hdf5 and lodopab/observation_train_000.hdf5: LoDoPaB-CT's layout (dataset
  "data") on a 32 x 32 image of discs on the square [-0.13, 0.13]^2 m and its sinogram in LoDoPaB's ODL
  geometry scaled down to 30 angles (the midpoints of 30 equal cells of [0, pi)) and 47 detector cells on
  [-0.13 sqrt(2), 0.13 sqrt(2)] m. The sinogram is the *analytic* line integral of the discs (a disc of
  radius R and value v centred at c gives 2 v sqrt(R^2 - (u - <c, d>)^2)) in ODL's Parallel2dGeometry
  convention: the detector axis at angle phi is (-sin phi, cos phi), and ODL's array index (i, j) is the
  point (x_i, y_j). It is independent of eqr's projector, so a wrong orientation or scale in `eqr dataset
  --format lodopab` fails the tool test.
* truncated.h5: the first half of types.h5.

Run from anywhere with Debian's h5py and NumPy (apt-get install python3-h5py python3-numpy):

    /usr/bin/python3 tests/data/hdf5/make_fixtures.py
"""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, array):
    np.save(os.path.join(HERE, name), array)


def write_types():
    rng = np.random.default_rng(7)
    arrays = {
        "int8": rng.integers(-128, 128, (3, 4), dtype=np.int8),
        "int16": rng.integers(-32768, 32768, (2, 3, 4), dtype=np.int16),
        "int32": rng.integers(-2**31, 2**31, (5,), dtype=np.int32),
        "int64": rng.integers(-2**62, 2**62, (2, 2), dtype=np.int64),
        "uint8": rng.integers(0, 256, (4, 3), dtype=np.uint8),
        "uint16": rng.integers(0, 65536, (3, 5), dtype=np.uint16),
        "uint32": rng.integers(0, 2**32, (6,), dtype=np.uint32),
        "float32": rng.standard_normal((3, 4, 5)).astype(np.float32),
        "float64_be": rng.standard_normal((4, 6)).astype(">f8"),
        "complex64": (rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))).astype(np.complex64),
        "complex128": (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))).astype(np.complex128),
        "gzip": rng.standard_normal((6, 8, 8)).astype(np.float32),
    }
    with h5py.File(os.path.join(HERE, "types.h5"), "w") as f:
        for name, a in arrays.items():
            if name == "gzip":
                f.create_dataset(name, data=a, chunks=(1, 8, 8), compression="gzip", compression_opts=4)
            else:
                f.create_dataset(name, data=a)
            save("types_" + name + ".npy", a.astype(a.dtype.newbyteorder("=")))
        f.create_dataset("scalar", data=np.float64(2.5))
        f.create_dataset("uint64", data=np.arange(4, dtype=np.uint64))
        f.create_dataset("text", data="an ISMRMRD header stand-in")
        f.create_dataset("pair", data=np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
        f.create_group("group").create_dataset("inner", data=np.ones(2))
        f.attrs["count"] = np.int32(42)
        f.attrs["scale"] = 0.125
        f.attrs["name"] = "variable-length text"
        f.attrs["fixed"] = np.bytes_("fixed text")
        f.attrs["vector"] = np.arange(3.0)
    with open(os.path.join(HERE, "types.h5"), "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, "truncated.h5"), "wb") as f:
        f.write(data[: len(data) // 2])


def centred_fft(x):
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def centred_ifft(k):
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))


def centre_crop(x, h, w):
    top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
    return x[..., top:top + h, left:left + w]


def smooth_images(shape, rng):
    """Complex images with smooth magnitude and phase (Gaussian blobs), shape (..., H, W)."""
    h, w = shape[-2:]
    y, x = np.meshgrid(np.arange(h) - h / 2, np.arange(w) - w / 2, indexing="ij")
    out = np.zeros(shape, dtype=np.complex128)
    for index in np.ndindex(*shape[:-2]):
        image = np.zeros((h, w), dtype=np.complex128)
        for _ in range(3):
            cy, cx = rng.uniform(-h / 4, h / 4), rng.uniform(-w / 4, w / 4)
            s = rng.uniform(2.0, 5.0)
            image += rng.uniform(0.5, 1.5) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s))
        out[index] = image * np.exp(1j * (0.3 * x / w + 0.2 * y / h + rng.uniform(-1, 1)))
    return out


HEADER = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ismrmrdHeader><encoding><encodedSpace><matrixSize><x>24</x>"
          "<y>20</y><z>1</z></matrixSize></encodedSpace><reconSpace><matrixSize><x>16</x><y>16</y><z>1</z>"
          "</matrixSize></reconSpace></encoding></ismrmrdHeader>")


def write_fastmri(name, coils):
    rng = np.random.default_rng(11 + coils)
    shape = (3, 24, 20) if coils == 1 else (2, coils, 24, 20)
    images = smooth_images(shape, rng)
    kspace = centred_fft(images).astype(np.complex64)
    coil_images = centred_ifft(kspace.astype(np.complex128))
    magnitude = np.abs(coil_images) if coils == 1 else np.sqrt((np.abs(coil_images) ** 2).sum(axis=1))
    recon = centre_crop(magnitude, 16, 16).astype(np.float32)
    with h5py.File(os.path.join(HERE, name + ".h5"), "w") as f:
        f.create_dataset("kspace", data=kspace)
        f.create_dataset("reconstruction_esc" if coils == 1 else "reconstruction_rss", data=recon)
        f.create_dataset("ismrmrd_header", data=HEADER)
        f.attrs["acquisition"] = "CORPD_FBK"
        f.attrs["max"] = float(recon.max())
        f.attrs["norm"] = float(np.linalg.norm(recon))
        f.attrs["patient_id"] = "fixture-" + name
    save(name + "_kspace.npy", kspace)
    save(name + "_recon.npy", recon)


def write_lodopab():
    n, angles, detectors, half = 32, 30, 47, 0.13
    centres = (np.arange(n) + 0.5) * (2 * half / n) - half  # ODL's cell midpoints, axis i = x, axis j = y
    x, y = np.meshgrid(centres, centres, indexing="ij")
    phi = (np.arange(angles) + 0.5) * np.pi / angles
    rho = half * np.sqrt(2)
    u = (np.arange(detectors) + 0.5) * (2 * rho / detectors) - rho
    rng = np.random.default_rng(5)
    images, sinograms = [], []
    for _ in range(4):
        image, sinogram = np.zeros((n, n)), np.zeros((angles, detectors))
        for _ in range(3):
            cx, cy = rng.uniform(-0.06, 0.06, 2)
            r, v = rng.uniform(0.015, 0.04), rng.uniform(0.2, 0.6)
            # The pixel's value is the disc's area fraction (4 x 4 subsamples), so discretisation errors are small.
            sub = (np.arange(4) + 0.5) / 4 - 0.5
            cover = np.zeros((n, n))
            for a in sub:
                for b in sub:
                    cover += ((x + a * 2 * half / n - cx) ** 2 + (y + b * 2 * half / n - cy) ** 2 <= r * r)
            image += v * cover / 16
            u0 = -cx * np.sin(phi) + cy * np.cos(phi)  # ODL: detector axis (-sin phi, cos phi)
            d = u[None, :] - u0[:, None]
            sinogram += 2 * v * np.sqrt(np.clip(r * r - d * d, 0, None))
        images.append(image)
        sinograms.append(sinogram)
    os.makedirs(os.path.join(HERE, "lodopab"), exist_ok=True)
    with h5py.File(os.path.join(HERE, "lodopab", "ground_truth_train_000.hdf5"), "w") as f:
        f.create_dataset("data", data=np.array(images, dtype=np.float32), chunks=(1, n, n), compression="gzip")
    with h5py.File(os.path.join(HERE, "lodopab", "observation_train_000.hdf5"), "w") as f:
        f.create_dataset("data", data=np.array(sinograms, dtype=np.float32), chunks=(1, angles, detectors),
                         compression="gzip")


if __name__ == "__main__":
    write_types()
    write_fastmri("fastmri_singlecoil", 1)
    write_fastmri("fastmri_multicoil", 4)
    write_lodopab()
