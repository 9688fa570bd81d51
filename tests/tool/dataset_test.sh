#!/usr/bin/env bash
# End-to-end test of `eqr dataset` (CLI.md): a data directory from .npy volumes (any slicing axis), .npz
# archives and — where this build reads them — DICOM (pydicom's CT_small.dcm, a real CT slice), NIfTI and HDF5
# (fastMRI, LoDoPaB-CT fixtures of tests/data/hdf5, whose images and measurements NumPy computed on its own);
# the images are the input's slices where nothing is mapped or resized (byte for byte), the splits are
# contiguous blocks with the gap between them, the provenance is recorded, the result trains and evaluates,
# measurements agree with the images (k-space exactly, sinograms with an analytic projection), and bad input
# is refused with a clear message and no directory.
# Usage: dataset_test.sh /path/to/eqr     (registered with CTest by tests/CMakeLists.txt)
set -u
# The fixtures' directory, resolved before start_tool_test changes into its scratch directory.
DATA="$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/lib/assertions.bash"
start_tool_test dataset_test "$@"
export EQR_NUM_THREADS=2
FIXTURES="$DATA/npy"

# npy_data FILE: the raw element bytes of a .npy file (format 1.0) on stdout.
npy_data() { perl -e 'local $/; $_ = <STDIN>; my $n = unpack("v", substr($_, 8, 2)); print substr($_, 10 + $n)' <"$1"; }
bad() {  # bad NAME REGEX ARGS...: eqr dataset ARGS --out bad fails with REGEX and leaves no directory `bad`.
  local name=$1 regex=$2; shift 2
  expect_error "$name" "$regex" "$EQR" dataset "$@" --out bad
  check "$name: no directory" test ! -e bad
}

echo "== a volume of 20 phantoms: slices, splits, provenance"
expect_ok "20 phantoms (20, 32, 32)" "$EQR" phantom --kind ellipses --size 32 --images 20 --seed 7 --out vol.npy
# window:0.5,1 maps v to v on [0, 1] (the phantoms' range): the images must be the input's slices exactly.
expect_ok "dataset of the volume, identity intensity, no resize" \
  "$EQR" dataset --in vol.npy --out ds --intensity window:0.5,1 --split 12,3,3 --json
check "JSON summary with the counts, size and intensity" \
  grep -qx '{"train": 12, "val": 3, "test": 3, "size": 32, "source": "vol.npy", "intensity": "window:0.5,1", "axis": 0, "gap": 1, "seed": 0, "measurements": "none"}' out.txt
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

if "$EQR" info --json | grep -q '"fastmri"'; then
  H5="$DATA/hdf5"
  # json_field FILE KEY: the string value of "KEY" in a one-line JSON object.
  json_field() { sed -n "s/.*\"$2\": \"\([^\"]*\)\".*/\1/p" "$1"; }
  # nmse_below REF IN LIMIT: eqr compare's NMSE of IN against REF is below LIMIT.
  nmse_below() { "$EQR" compare --ref "$1" --in "$2" --json | awk -v l="$3" -F'"nmse": ' '{ split($2, a, ","); exit !(a[1] + 0 < l) }'; }

  echo "== fastMRI: images as fastMRI forms them, single-coil k-space consistent with them"
  expect_ok "single-coil file, all 3 slices as training images, no mapping" \
    "$EQR" dataset --in "$H5/fastmri_singlecoil.h5" --out ds_fm --split 3,0,0 --gap 0 --intensity none --json
  check "16x16 images (the header's reconSpace), k-space measurements, the MRI problem" \
    grep -q '"train": 3, "val": 0, "test": 0, "size": 16.*"measurements": "kspace", "problem": "--problem mri"' out.txt
  check "the images are NumPy's |centre crop of ifft2(kspace)| (reconstruction_esc) to float precision" \
    nmse_below "$H5/fastmri_singlecoil_recon.npy" ds_fm/train_gt.npy 1e-12
  expect_ok "eqr ifft of the written k-space" "$EQR" ifft --in ds_fm/train_obs.npy --out fm_ifft.npy
  check "the k-space is the centred DFT of the image's complex original: |ifft(obs)| = image" \
    nmse_below ds_fm/train_gt.npy fm_ifft.npy 1e-12
  expect_ok "multi-coil file: images only" \
    "$EQR" dataset --in "$H5/fastmri_multicoil.h5" --out ds_fm4 --split 2,0,0 --gap 0 --intensity none --json
  check "no measurements (eqr's MRI operator is single-coil)" \
    bash -c 'grep -q "\"measurements\": \"none\"" out.txt && test ! -e ds_fm4/train_obs.npy'
  check "the images are NumPy's root sum of squares over the coils (reconstruction_rss)" \
    nmse_below "$H5/fastmri_multicoil_recon.npy" ds_fm4/train_gt.npy 1e-12
  expect_ok "resized to 32, each volume divided by its maximum (fastMRI's default)" \
    "$EQR" dataset --in "$H5/fastmri_singlecoil.h5" --out ds_fm32 --size 32 --split 1,1,1 --gap 0 --json
  check "intensity max: the largest image value is 1" grep -q '"size": 32.*"intensity": "max"' out.txt
  expect_ok "eqr ifft of the resized k-space" "$EQR" ifft --in ds_fm32/test_obs.npy --out fm32_ifft.npy
  check "resized: still |ifft(obs)| = image" nmse_below ds_fm32/test_gt.npy fm32_ifft.npy 1e-12
  "$EQR" mask --kind equispaced --shape 32x32 --acceleration 4 --center-fraction 0.08 --out mask32.npy >/dev/null
  expect_ok "train an MRI model on the given (fully sampled) k-space with a mask" \
    "$EQR" train --problem mri --method lpd --model ordinary --width 8 --iterations 1 --steps 2 --mask mask32.npy \
    --data ds_fm32 --out run_fm
  expect_ok "evaluate it on the test slice" "$EQR" evaluate --model run_fm --data ds_fm32 --json
  check "one test image evaluated" grep -q '"n_images": 1' out.txt
  # The k-space with large values written into every line the mask skips: the model (LPD: its dual networks
  # read the measurements themselves) must see only the mask's lines.
  perl -e '
    open(my $m, "<:raw", $ARGV[0]) or die; local $/; my $s = <$m>; my $n = unpack("v", substr($s, 8, 2));
    my @mask = unpack("f<32", substr($s, 10 + $n, 128));
    open(my $k, "<:raw", $ARGV[1]) or die; my $t = <$k>; my $h = unpack("v", substr($t, 8, 2)); my $off = 10 + $h;
    for my $i (0 .. 32 * 32 - 1) { substr($t, $off + 8 * $i, 8) = pack("f<f<", 1e3, -1e3) if $mask[$i % 32] == 0; }
    print $t;' mask32.npy ds_fm32/test_obs.npy >garbage_obs.npy
  expect_ok "reconstruct the test k-space" "$EQR" reconstruct --model run_fm --in ds_fm32/test_obs.npy --out fm_rec.npy
  expect_ok "reconstruct it with garbage in the skipped lines" "$EQR" reconstruct --model run_fm --in garbage_obs.npy --out fm_rec_garbage.npy
  check "given k-space is restricted to the mask: both reconstructions agree" nmse_below fm_rec.npy fm_rec_garbage.npy 1e-12
  check "(the garbage did change the k-space)" bash -c '! cmp -s ds_fm32/test_obs.npy garbage_obs.npy'

  echo "== LoDoPaB-CT: images and sinograms in LoDoPaB's (ODL's) geometry"
  expect_ok "slices 1..2 of a ground_truth file with its observation sibling" \
    "$EQR" dataset --in "$H5/lodopab/ground_truth_train_000.hdf5" --out ds_lp --slices 1:3 --split 1,0,1 --gap 0 --json
  cp out.txt lp.json
  check "32x32 images on LoDoPaB's scale (intensity none), sinograms, angles.npy" \
    bash -c 'grep -q "\"size\": 32.*\"intensity\": \"none\".*\"measurements\": \"sinograms\"" lp.json &&
             test -e ds_lp/angles.npy && test -e ds_lp/train_obs.npy && test -e ds_lp/test_obs.npy'
  read -r -a LP <<<"$(json_field lp.json problem)"
  check "the train flags name the geometry: 47 detectors, pixel size 0.26 m / 32" \
    bash -c "[[ '${LP[*]}' == *'--detectors 47 --detector-spacing 0.00782330906844'*'--pixel-size 0.008125'* ]]"
  expect_ok "eqr radon of the test image with those flags" "$EQR" radon --in ds_lp/test_gt.npy "${LP[@]:2}" --out lp_radon.npy
  # The sinogram is the discs' analytic projection in ODL's convention: a wrong orientation (angles shifted by
  # π/2, mirrored, detector reversed) gives an NMSE of 0.1 to 0.65; the 32x32 discretisation leaves 0.005.
  check "eqr's projection of the image matches the file's sinogram (NMSE < 0.01)" nmse_below ds_lp/test_obs.npy lp_radon.npy 0.01
  expect_ok "resized to 64: the pixel size follows (0.26 m / 64)" \
    "$EQR" dataset --in "$H5/lodopab/ground_truth_train_000.hdf5" --out ds_lp64 --slices 1:3 --size 64 --split 1,0,1 --gap 0 --json
  read -r -a LP64 <<<"$(json_field out.txt problem)"
  "$EQR" radon --in ds_lp64/test_gt.npy "${LP64[@]:2}" --out lp64_radon.npy >/dev/null
  check "the projection still matches the sinogram" nmse_below ds_lp64/test_obs.npy lp64_radon.npy 0.01
  expect_ok "train a CT model on the given sinograms in that geometry" \
    "$EQR" train "${LP[@]}" --model ordinary --width 8 --iterations 1 --steps 2 --data ds_lp --out run_lp
  expect_ok "evaluate it: reconstruct needs no geometry flag" "$EQR" evaluate --model run_lp --data ds_lp --json
  check "one test image evaluated" grep -q '"n_images": 1' out.txt

  echo "== HDF5 bad input"
  cp "$H5/lodopab/ground_truth_train_000.hdf5" ground_truth_alone_000.hdf5
  bad "an observation file instead of the ground truth" "expected a LoDoPaB-CT ground_truth_<part>_<k>.hdf5 file" \
    --in "$H5/lodopab/observation_train_000.hdf5" --format lodopab
  bad "inputs with and without measurements" "expected inputs that all hold measurements or all hold none" \
    --in "$H5/lodopab/ground_truth_train_000.hdf5" ground_truth_alone_000.hdf5 --split 4,2,1
  bad "a mapping that is not a scale, with measurements" "--intensity: expected none or max for inputs with measurements" \
    --in "$H5/fastmri_singlecoil.h5" --intensity minmax
  bad "a file that is not HDF5 as fastMRI" "expected an HDF5 file, found a file without the HDF5 signature" \
    --in vol.npy --format fastmri
  bad "a fastMRI file as LoDoPaB" "expected a LoDoPaB-CT ground_truth" --in "$H5/fastmri_singlecoil.h5" --format lodopab
  bad "a truncated HDF5 file" "truncated.h5" --in "$H5/truncated.h5"
  bad "a slice range outside the file" "--slices: expected a range inside the 3 slices of" \
    --in "$H5/fastmri_singlecoil.h5" --slices 3:5
  bad "an axis other than 0" "--axis: expected 0 for the slices of" --in "$H5/fastmri_singlecoil.h5" --axis 1
fi

echo "== bad input: a clear message, a non-zero exit, no directory"
printf 'not an array' >text.npy
bad "no input" "missing required option --in" --size 16
bad "a missing file" "cannot read 'nowhere.npy'" --in nowhere.npy
bad "a file that is not .npy" "text.npy" --in text.npy
bad "an unknown format" "--format: expected auto, dicom, nifti, fastmri, lodopab or npy, found 'png'" --in vol.npy --format png
bad "an axis beyond the volume" "--axis: expected 0, 1 or 2, found 3" --in vol.npy --axis 3
bad "a slice range outside the volume" "--slices: expected a range inside the 20 slices of 'vol.npy', found 30:40" \
  --in vol.npy --slices 30:40
bad "a malformed slice range" "--slices: expected A:B" --in vol.npy --slices 5
bad "a split of two parts" "--split: expected TRAIN,VAL,TEST, found '0.5,0.5'" --in vol.npy --split 0.5,0.5
bad "fractions that do not sum to 1" "--split: expected three counts or three fractions summing to 1" --in vol.npy --split 0.5,0.2,0.2
bad "more images asked than there are" "--split: expected at most 18 slices in all" --in vol.npy --split 16,2,2
bad "an unknown intensity" "--intensity: expected minmax, max, none, hu-to-mu\[:MU_WATER\] or window:LEVEL,WIDTH, found 'hu'" \
  --in vol.npy --intensity hu
bad "a window of width 0" "--intensity: expected a positive window WIDTH" --in vol.npy --intensity window:0,0
bad "a size out of range" "--size: expected 8..1024, found 4" --in vol.npy --size 4
bad "volumes of different sizes without --size" "--size: expected it, since the slices have different sizes" \
  --in vol.npy "$FIXTURES/savez.npz"

finish_tool_test
