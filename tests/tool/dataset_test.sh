#!/usr/bin/env bash
# End-to-end test of `eqr dataset` (CLI.md): a data directory from .npy volumes (any slicing axis), .npz
# archives and — where this build reads them — DICOM (pydicom's CT_small.dcm, a real CT slice) and NIfTI; the
# images are the input's slices where nothing is mapped or resized (byte for byte), the splits are contiguous
# blocks with the gap between them, the provenance is recorded, the result trains and evaluates, and bad input
# is refused with a clear message and no directory.
# Usage: dataset_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test dataset_test "$@"
export EQR_NUM_THREADS=2
FIXTURES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/npy" && pwd)"

# npy_data FILE: the raw element bytes of a .npy file (format 1.0) on stdout.
npy_data() { perl -e 'local $/; $_ = <STDIN>; my $n = unpack("v", substr($_, 8, 2)); print substr($_, 10 + $n)' <"$1"; }

echo "== a volume of 20 phantoms: slices, splits, provenance"
expect_ok "20 phantoms (20, 32, 32)" "$EQR" phantom --kind ellipses --size 32 --images 20 --seed 7 --out vol.npy
# window:0.5,1 maps v to v on [0, 1] (the phantoms' range): the images must be the input's slices exactly.
expect_ok "dataset of the volume, identity intensity, no resize" \
  "$EQR" dataset --in vol.npy --out ds --intensity window:0.5,1 --split 12,3,3 --json
check "JSON summary with the counts, size and intensity" \
  grep -qx '{"train": 12, "val": 3, "test": 3, "size": 32, "source": "vol.npy", "intensity": "window:0.5,1", "axis": 0, "gap": 1, "seed": 0}' out.txt
check "train_gt.npy (12, 32, 32), val_gt.npy (3, 32, 32), test_gt.npy (3, 32, 32)" \
  bash -c "[ \"\$(head -c 200 ds/train_gt.npy | grep -ao \"'shape': ([0-9, ]*)\")\" = \"'shape': (12, 32, 32)\" ] &&
           head -c 200 ds/val_gt.npy | grep -aq \"'shape': (3, 32, 32)\" && head -c 200 ds/test_gt.npy | grep -aq \"'shape': (3, 32, 32)\""
npy_data vol.npy | head -c $((12 * 32 * 32 * 4)) >first12.bin
npy_data ds/train_gt.npy >train.bin
check "the training images are the volume's first 12 slices, byte for byte" cmp -s first12.bin train.bin
npy_data vol.npy | tail -c +$((13 * 32 * 32 * 4 + 1)) | head -c $((3 * 32 * 32 * 4)) >val_expected.bin
npy_data ds/val_gt.npy >val.bin
check "validation starts after a gap of one slice (slices 13..15)" cmp -s val_expected.bin val.bin
check "dataset.json records each image's source slice" \
  bash -c 'grep -q "\"val\": \[\"vol.npy#13\", \"vol.npy#14\", \"vol.npy#15\"\]" ds/dataset.json &&
           grep -q "\"test\": \[\"vol.npy#17\", \"vol.npy#18\", \"vol.npy#19\"\]" ds/dataset.json'

echo "== slicing axes, ranges, resizing, archives"
expect_ok "slices along axis 2, range 8:24, resized to 16" \
  "$EQR" dataset --in vol.npy --out ds_axis --axis 2 --slices 8:24 --size 16 --gap 0 --split 0.5,0.25,0.25 --json
check "16 slices split 8/4/4 of 16x16 (each slice a (20, 32) plane cropped to 20x20)" \
  bash -c 'grep -q "\"train\": 8, \"val\": 4, \"test\": 4, \"size\": 16" out.txt && grep -q "vol.npy#8\"" ds_axis/dataset.json'
expect_ok "an .npz archive written by NumPy: every real member is a volume" \
  "$EQR" dataset --in "$FIXTURES/savez.npz" --out ds_npz --size 8 --gap 0 --split 1,0,0 --json
check "the archive's members are the sources" grep -q 'savez.npz:' ds_npz/dataset.json

echo "== the result trains and evaluates"
expect_ok "train a denoiser on the directory" \
  "$EQR" train --problem denoise --model ordinary --width 8 --iterations 1 --steps 3 --data ds --out run
check "trained on the 12 images, validated on 3" bash -c 'grep -qx "train_size = 12" run/model.cfg && test -e run/best.eqrc'
expect_ok "evaluate on its test images" "$EQR" evaluate --model run --data ds --json
check "3 test images evaluated" grep -q '"n_images": 3' out.txt

if "$EQR" info --json | grep -q '"dicom"'; then
  echo "== DICOM: pydicom's CT_small.dcm (a real 128x128 CT slice, Hounsfield units)"
  CT=/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm
  expect_ok "dataset of one CT slice (hu-to-mu by default)" "$EQR" dataset --in "$CT" --out ds_ct --gap 0 --json
  check "one 128x128 training image, intensity hu-to-mu" grep -q '"train": 1, "val": 0, "test": 0, "size": 128.*"intensity": "hu-to-mu"' out.txt
  check "no empty splits are written" bash -c 'test -e ds_ct/train_gt.npy && test ! -e ds_ct/val_gt.npy'
fi

if "$EQR" info --json | grep -q '"nifti"'; then
  echo "== NIfTI: the Colin27 T1 template (mricron-data, 301x370x316 uint8)"
  COLIN=/usr/share/mricron/templates/ch2better.nii.gz
  expect_ok "axial slices 100..159 of Colin27 at 32x32, min-max" \
    "$EQR" dataset --in "$COLIN" --out ds_colin --slices 100:160 --size 32 --split 40,8,8 --json
  check "40/8/8 images of 32x32 from the template" grep -q '"train": 40, "val": 8, "test": 8, "size": 32' out.txt
  check "the test block follows val after a gap: slices 150.., train 100..139, val 141..148" grep -q '"test": \["[^"]*ch2better.nii.gz#150"' ds_colin/dataset.json
fi

echo "== bad input: a clear message, a non-zero exit, no directory"
bad() {  # bad NAME REGEX ARGS...: eqr dataset ARGS --out bad fails with REGEX and leaves no directory `bad`.
  local name=$1 regex=$2; shift 2
  expect_error "$name" "$regex" "$EQR" dataset "$@" --out bad
  check "$name: no directory" test ! -e bad
}
printf 'not an array' >text.npy
bad "no input" "missing required option --in" --size 16
bad "a missing file" "cannot read 'nowhere.npy'" --in nowhere.npy
bad "a file that is not .npy" "text.npy" --in text.npy
bad "an unknown format" "--format: expected auto, dicom, nifti, fastmri, lodopab or npy, found 'png'" --in vol.npy --format png
bad "HDF5 is not read yet, said plainly" "HDF5 input \(fastMRI, LoDoPaB-CT\) is not supported by this eqr yet" \
  --in vol.npy --format fastmri
bad "an axis beyond the volume" "--axis: expected 0, 1 or 2, found 3" --in vol.npy --axis 3
bad "a slice range outside the volume" "--slices: expected a range inside the 20 slices of 'vol.npy', found 30:40" \
  --in vol.npy --slices 30:40
bad "a malformed slice range" "--slices: expected A:B" --in vol.npy --slices 5
bad "a split of two parts" "--split: expected TRAIN,VAL,TEST, found '0.5,0.5'" --in vol.npy --split 0.5,0.5
bad "fractions that do not sum to 1" "--split: expected three counts or three fractions summing to 1" --in vol.npy --split 0.5,0.2,0.2
bad "more images asked than there are" "--split: expected at most 18 slices in all" --in vol.npy --split 16,2,2
bad "an unknown intensity" "--intensity: expected minmax, hu-to-mu\[:MU_WATER\] or window:LEVEL,WIDTH, found 'hu'" \
  --in vol.npy --intensity hu
bad "a window of width 0" "--intensity: expected a positive window WIDTH" --in vol.npy --intensity window:0,0
bad "a size out of range" "--size: expected 8..1024, found 4" --in vol.npy --size 4
bad "volumes of different sizes without --size" "--size: expected it, since the slices have different sizes" \
  --in vol.npy "$FIXTURES/savez.npz"

finish_tool_test
