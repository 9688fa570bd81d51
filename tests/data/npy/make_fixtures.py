#!/usr/bin/env python3
"""Writes the .npy / .npz fixtures of tests/unit/test_io_npy.cpp and test_io_npz.cpp with NumPy itself.

The values are simple formulas of k = 0, 1, 2, ... (the element's index in C order) that the C++ tests
recompute on their own, so the tests compare eqr's reader with NumPy's writer, not with eqr's writer.
Run from anywhere with Debian's NumPy (python3-numpy; not needed in CI, the files are committed):

    /usr/bin/python3 tests/data/npy/make_fixtures.py
"""
import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def k(shape):
    """The C-order element index k, shaped."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def save(name, array):
    np.save(os.path.join(HERE, name), array, allow_pickle=False)


def main():
    shape = (2, 3, 4)
    # Integer dtypes, C order: value(k) as in the comments (the tests use the same formulas).
    save("int16_c.npy", (k(shape) * 37 - 400).astype("<i2"))          # -400 .. 451
    save("uint16_c.npy", (k(shape) * 2741 + 5).astype("<u2"))         # 5 .. 63048 (high bit set)
    save("uint8_c.npy", (k((3, 4)) * 23).astype("|u1"))               # 0 .. 253
    save("int8_c.npy", (k((10,)) * 25 - 120).astype("|i1"))           # -120 .. 105
    save("uint32_c.npy", (k((2, 3)) * 715827882 + 7).astype("<u4"))   # 7 .. 3579139417
    # Fortran order: the logical array is the same formula of the C-order index; NumPy stores it column-major.
    f32 = np.asfortranarray((k(shape) * 0.25 - 3.0).astype("<f4"))
    i16 = np.asfortranarray((k(shape) * -113 + 1000).astype("<i2"))
    assert f32.flags.f_contiguous and not f32.flags.c_contiguous
    save("fortran_float32.npy", f32)
    save("fortran_int16.npy", i16)
    # Big-endian: must be refused.
    save("big_endian_int16.npy", (k((3,)) + 1).astype(">i2"))

    # Archives: a positional array (arr_0) and two keyword arrays, one of them Fortran order.
    members = dict(volume=(k(shape) * 37 - 400).astype("<i2"), spacing=np.array([0.5, 0.75, 2.0], dtype="<f8"))
    mask = (k((2, 2)) % 2).astype("|u1")
    np.savez(os.path.join(HERE, "savez.npz"), mask, **members)
    np.savez_compressed(os.path.join(HERE, "savez_compressed.npz"), mask, volume=members["volume"],
                        image=np.asfortranarray(f32))

    # Bad archives, written with Python's zipfile: a member that is not a .npy, and a member whose .npy data
    # is one element short (the zip itself is sound: sizes and CRC match the short member).
    good = os.path.join(HERE, "int16_c.npy")
    with open(good, "rb") as f:
        good_bytes = f.read()
    with zipfile.ZipFile(os.path.join(HERE, "not_npy_member.npz"), "w") as z:
        z.writestr("volume.npy", good_bytes)
        z.writestr("readme.txt", "not an array\n")
    with zipfile.ZipFile(os.path.join(HERE, "truncated_member.npz"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("volume.npy", good_bytes[:-2])


if __name__ == "__main__":
    main()
