#!/usr/bin/env python3
"""Writes the reference arrays of tests/unit/test_dicom_read.cpp: pydicom's decoding of two of its own test
files, as an implementation independent of GDCM.

    ct_small_hu.npy  float32 (128, 128)  CT_small.dcm: pixel_array * RescaleSlope + RescaleIntercept (HU)
    mr_small.npy     float32 (64, 64)    MR_small.dcm: pixel_array (no rescale tags: stored values)

and prints the geometry tags, which the test has as literals.  Needs Debian's python3-pydicom and
python3-numpy (only to regenerate these files; the tests need neither).  Run from anywhere:

    /usr/bin/python3 tests/data/dicom/make_reference.py
"""
import os

import numpy as np
import pydicom
from pydicom.data import get_testdata_file

HERE = os.path.dirname(os.path.abspath(__file__))


def modality_values(ds):
    slope = float(ds.get("RescaleSlope", 1.0))
    intercept = float(ds.get("RescaleIntercept", 0.0))
    # In float64, then rounded once to float32, as the C++ reader does.
    return (ds.pixel_array.astype(np.float64) * slope + intercept).astype(np.float32), slope, intercept


def main():
    print("pydicom", pydicom.__version__, "numpy", np.__version__)
    for name, out in (("CT_small.dcm", "ct_small_hu.npy"), ("MR_small.dcm", "mr_small.npy")):
        path = get_testdata_file(name)
        ds = pydicom.dcmread(path)
        values, slope, intercept = modality_values(ds)
        np.save(os.path.join(HERE, out), np.ascontiguousarray(values))
        print(f"{name}: {path}")
        print(f"  -> {out} {values.dtype} {values.shape} min {values.min()} max {values.max()} "
              f"sum {values.astype(np.float64).sum()}")
        print(f"  Modality {ds.Modality}  TransferSyntaxUID {ds.file_meta.TransferSyntaxUID}")
        print(f"  RescaleSlope {slope}  RescaleIntercept {intercept}")
        print(f"  PixelSpacing {[float(v) for v in ds.PixelSpacing]}")
        print(f"  ImagePositionPatient {[float(v) for v in ds.ImagePositionPatient]}")
        print(f"  ImageOrientationPatient {[float(v) for v in ds.ImageOrientationPatient]}")
        print(f"  SliceThickness {float(ds.SliceThickness)}  InstanceNumber {int(ds.InstanceNumber)}")
        print(f"  SeriesInstanceUID {ds.SeriesInstanceUID}")


if __name__ == "__main__":
    main()
