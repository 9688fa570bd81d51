#!/usr/bin/env python3
"""Writes the NIfTI-1 fixtures and reference arrays of tests/unit/test_nifti_read.cpp with nibabel.

Two kinds of files, both committed (nibabel and NumPy are not needed in CI):

* Tiny .nii / .nii.gz fixtures whose voxel values are simple formulas of the voxel index (i, j, k) that the
  C++ test recomputes on its own: nibabel writes them and reads each one back to check it, so the test compares
  eqr's reader (nifticlib) with nibabel's writer, not with itself.
* Reference arrays of two real volumes that Debian's mricron-data installs, decoded by nibabel: a strided
  sub-volume, the sums of every slice along each axis (which touch every voxel) and the header's geometry.
  They are stored in eqr's layout — voxels(k, j, i) is NIfTI's voxel (i, j, k), C order — so the test
  compares arrays directly.

Run from anywhere with Debian's nibabel and NumPy (apt-get install python3-nibabel python3-numpy, and
mricron-data for the templates):

    /usr/bin/python3 tests/data/nifti/make_reference.py
"""
import gzip
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = "/usr/share/mricron/templates"


def ijk(shape):
    """The voxel indices i, j, k (NIfTI's order: i fastest on disk) as broadcastable arrays of int64."""
    grids = np.meshgrid(*[np.arange(n, dtype=np.int64) for n in shape], indexing="ij")
    return grids + [np.zeros(shape, dtype=np.int64)] * (3 - len(shape))


def write_nii(name, header, raw):
    """Writes header, the 4 extension bytes and the raw voxels (first index fastest) exactly as given: nibabel's
    image writer would recompute scl_slope / scl_inter, and these fixtures need chosen ones."""
    header = header.copy()
    header.set_data_shape(raw.shape)
    header["vox_offset"] = 352
    data = raw.astype(header.get_data_dtype()).tobytes(order="F")
    path = os.path.join(HERE, name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header.binaryblock)  # the 348 bytes as set (write_to would adjust the header)
        f.write(b"\0\0\0\0")  # no extensions
        f.write(data)
    return path


def save_image(name, data, affine, dtype, zooms, description, units="mm", sform_code=2):
    """Saves an image through nibabel's ordinary writer (no scaling needed: the values fit the dtype)."""
    img = nib.Nifti1Image(data, affine, dtype=dtype)
    hdr = img.header
    hdr.set_zooms(zooms)
    hdr.set_xyzt_units(xyz=units)
    hdr["descrip"] = description
    img.set_sform(affine, code=sform_code)
    img.set_qform(None, code=0)
    path = os.path.join(HERE, name)
    nib.save(img, path)
    return path


def check(path, expected):
    """Reads a fixture back with nibabel and checks its values (scaled, as float64)."""
    back = nib.load(path).get_fdata(dtype=np.float64)
    assert back.shape == expected.shape, (path, back.shape, expected.shape)
    assert np.array_equal(back, expected.astype(np.float64)), path


def fixtures():
    # int16 with scl_slope 0.5 and scl_inter -10.25, a qform (a rotation by 90° about z) and no sform,
    # little-endian and, the same voxels, big-endian.  raw(i, j, k) = 37·(i + 5j + 20k) − 1000.
    shape = (5, 4, 3)
    i, j, k = ijk(shape)
    raw = 37 * (i + 5 * j + 20 * k) - 1000
    qform = np.array([[0.0, -0.9, 0.0, 10.0], [0.8, 0.0, 0.0, -20.0], [0.0, 0.0, 2.5, 30.0], [0, 0, 0, 1]])
    for name, endianness in (("int16_scaled.nii", "<"), ("int16_big_endian.nii", ">")):
        hdr = nib.Nifti1Header(endianness=endianness)
        hdr.set_data_dtype(np.int16)
        hdr.set_data_shape(shape)
        hdr.set_qform(qform, code=1)
        hdr.set_sform(None, code=0)
        hdr.set_zooms((0.8, 0.9, 2.5))
        hdr.set_xyzt_units(xyz="mm")
        hdr["scl_slope"] = 0.5
        hdr["scl_inter"] = -10.25
        hdr["descrip"] = "eqr fixture: int16, scl_slope 0.5, scl_inter -10.25"
        path = write_nii(name, hdr, raw)
        check(path, raw * 0.5 - 10.25)
        assert np.array_equal(np.asanyarray(nib.load(path).dataobj.get_unscaled()), raw)

    # uint8, gzip-compressed, with an sform: value 7i + 13j + 29k.
    shape = (6, 5, 4)
    i, j, k = ijk(shape)
    sform = np.array([[1.5, 0, 0, -4.0], [0, 1.25, 0, -3.0], [0, 0, 3.0, -6.0], [0, 0, 0, 1]])
    check(save_image("uint8.nii.gz", (7 * i + 13 * j + 29 * k).astype(np.uint8), sform, np.uint8,
                     (1.5, 1.25, 3.0), "eqr fixture: uint8"), 7 * i + 13 * j + 29 * k)

    # float64, gzip-compressed: value 0.25i − 1.5j + 100.125k.
    shape = (4, 3, 2)
    i, j, k = ijk(shape)
    v = 0.25 * i - 1.5 * j + 100.125 * k
    check(save_image("float64.nii.gz", v, np.diag([2.0, 2.0, 2.0, 1.0]), np.float64, (2.0, 2.0, 2.0),
                     "eqr fixture: float64"), v)

    # A 2-D int32 image (dim[0] = 2): value 1000i − 100000j + 7, pixdim (0.5, 0.7).
    i, j, _ = ijk((7, 5))
    v = 1000 * i - 100000 * j + 7
    check(save_image("image2d.nii", v.astype(np.int32), np.diag([0.5, 0.7, 1.0, 1.0]), np.int32, (0.5, 0.7),
                     "eqr fixture: 2-D int32"), v)

    # The other integer and float dtypes, shape (3, 2, 2): value lo + n·step at n = i + 3j + 6k.
    i, j, k = ijk((3, 2, 2))
    n = i + 3 * j + 6 * k
    for dtype, lo, step in ((np.int8, -128, 23), (np.uint16, 0, 5957), (np.uint32, 0, 390451572),
                            (np.int64, -(2**62), 2**59), (np.uint64, 0, 2**60), (np.float32, -1.5, 0.375)):
        name = "dtype_%s.nii" % np.dtype(dtype).name
        if dtype in (np.uint32, np.int64, np.uint64):
            v = np.array([[[lo + int(x) * step for x in row] for row in plane] for plane in n], dtype=dtype)
            expected = v  # compared as integers: float64 would round the large ones
            path = save_image(name, v, np.eye(4), dtype, (1.0, 1.0, 1.0), "eqr fixture: " + np.dtype(dtype).name)
            back = np.asanyarray(nib.load(path).dataobj)
            assert back.dtype == dtype and np.array_equal(back, expected), name
        else:
            v = (lo + n * step).astype(dtype)
            check(save_image(name, v, np.eye(4), dtype, (1.0, 1.0, 1.0), "eqr fixture: " + np.dtype(dtype).name),
                  v)

    # 4-D: one volume (nt = 1) is a 3-D volume; three volumes are refused.  float32 value n − 5.
    i, j, k = ijk((3, 2, 2))
    v = (i + 3 * j + 6 * k - 5).astype(np.float32)
    check(save_image("series_nt1.nii", v[..., np.newaxis], np.eye(4), np.float32, (1.0, 1.0, 1.0, 1.0),
                     "eqr fixture: 4-D, nt = 1"), v[..., np.newaxis])
    save_image("series_nt3.nii", np.stack([v, v, v], axis=-1), np.eye(4), np.float32, (1.0, 1.0, 1.0, 1.0),
               "eqr fixture: 4-D, nt = 3")

    # Refused datatypes: complex64 and RGB24.
    save_image("complex64.nii", (v + 1j * v).astype(np.complex64), np.eye(4), np.complex64, (1.0, 1.0, 1.0),
               "eqr fixture: complex64")
    rgb = nib.Nifti1Header()
    rgb.set_data_dtype("RGB")
    rgb.set_data_shape((3, 2, 2))
    rgb_voxels = np.zeros((3, 2, 2), dtype=rgb.get_data_dtype())
    write_nii("rgb24.nii", rgb, rgb_voxels)
    assert nib.load(os.path.join(HERE, "rgb24.nii")).header["datatype"] == 128

    # A NIfTI-2 file (sizeof_hdr 540): refused with its own message.
    nib.save(nib.Nifti2Image(v, np.eye(4)), os.path.join(HERE, "nifti2.nii"))


def reference(stem, source, stride=(8, 8, 8), offset=(3, 5, 7)):
    """Reference arrays of one real volume, in eqr's layout (k, j, i)."""
    img = nib.load(source)
    hdr = img.header
    raw_dtype = hdr.get_data_dtype()
    data = img.get_fdata(dtype=np.float64)
    assert data.ndim == 3
    volume = np.ascontiguousarray(data.transpose(2, 1, 0))  # (nz, ny, nx)
    sub = volume[offset[0]::stride[0], offset[1]::stride[1], offset[2]::stride[2]]
    # Stored in the file's own dtype when that holds the values exactly (uint8), else float32.
    store = np.uint8 if raw_dtype == np.uint8 and np.array_equal(sub, sub.astype(np.uint8)) else np.float32
    np.save(os.path.join(HERE, stem + "_sub.npy"), sub.astype(store))
    for axis, name in enumerate("kji"):
        other = tuple(a for a in range(3) if a != axis)
        np.save(os.path.join(HERE, "%s_sums_%s.npy" % (stem, name)), volume.sum(axis=other))
    nz, ny, nx = volume.shape
    dx, dy, dz = (float(z) for z in hdr.get_zooms()[:3])
    with gzip.open(source, "rb") as f:  # as stored: a loaded image's header has them reset to NaN
        stored = nib.Nifti1Header.from_fileobj(f)
    slope, inter = float(stored["scl_slope"]), float(stored["scl_inter"])
    np.save(os.path.join(HERE, stem + "_header.npy"),
            np.array([nz, ny, nx, dz, dy, dx, slope, inter, int(hdr["datatype"]), offset[0], offset[1], offset[2],
                      stride[0], stride[1], stride[2]], dtype=np.float64))
    np.save(os.path.join(HERE, stem + "_affine.npy"), img.affine.astype(np.float64))
    print(stem, volume.shape, raw_dtype, (dz, dy, dx), (slope, inter), str(hdr["descrip"].astype(str)), "sub",
          sub.shape)


def main():
    fixtures()
    reference("ch2better", os.path.join(TEMPLATES, "ch2better.nii.gz"))
    reference("inia19", os.path.join(TEMPLATES, "inia19-t1-brain.nii.gz"))


if __name__ == "__main__":
    main()
