// `eqr dataset`: builds a data directory (CLI.md) — train_gt.npy, val_gt.npy, test_gt.npy as float32
// (N, size, size), and *_obs.npy when the inputs hold measurements — from the user's volumes: DICOM files or
// series, NIfTI volumes, fastMRI and LoDoPaB-CT HDF5 files, .npy/.npz stacks. Slices along one axis, an
// optional slice range, an intensity mapping, the centred square crop resized to N×N, and a split into
// contiguous blocks of slices with a gap between them, so neighbouring slices never straddle train and test;
// the provenance of every slice goes to dataset.json.
//
// Measurements stay consistent with the images they are written beside: fastMRI single-coil k-space is the
// centred DFT of the complex image after the crop and resize (the image is its magnitude), LoDoPaB-CT's
// sinograms are kept and the pixel size follows the resize (the domain stays 0.26 m wide); the intensity
// mapping must then be linear (none or max), applied to both.
#include <algorithm>
#include <cmath>
#include <complex>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xcomplex.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "support/cli.hpp"
#include "support/json.hpp"
#include "support/volumes.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/data/intensity.hpp"
#include "eqr/data/resize.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/operators/fft.hpp"

namespace {

using eqr::cli::usage_error;

/// --slices A:B: the half-open range [A, B) of slice indices (either end may be omitted).
struct SliceRange {
  std::optional<long> first, last;
};

SliceRange parse_slice_range(const std::optional<std::string>& text) {
  if (!text) return {};
  const auto colon = text->find(':');
  if (colon == std::string::npos) throw usage_error("--slices: expected A:B (a half-open range of slice indices), found '" + *text + "'");
  SliceRange r;
  if (colon > 0) r.first = eqr::cli::parse_integer(text->substr(0, colon), "--slices A");
  if (colon + 1 < text->size()) r.last = eqr::cli::parse_integer(text->substr(colon + 1), "--slices B");
  if ((r.first && *r.first < 0) || (r.last && *r.last < 1) || (r.first && r.last && *r.first >= *r.last))
    throw usage_error("--slices: expected 0 <= A < B, found '" + *text + "'");
  return r;
}

/// --intensity minmax | max | none | hu-to-mu[:MU_WATER] | window:LEVEL,WIDTH, as given (minmax and max need each
/// volume's values).
struct IntensitySpec {
  std::string text;  ///< as given, for the report ("minmax", "hu-to-mu:20", "window:40,400")
  std::optional<eqr::data::IntensityMap> fixed;  ///< the map, unless it is minmax or max
  /// Whether the map is linear (none, max), as measurements need.
  [[nodiscard]] bool linear() const { return text == "max" || (fixed && fixed->linear()); }
  /// The map of one volume with values `values`.
  template <class E>
  [[nodiscard]] eqr::data::IntensityMap of(const E& values) const {
    if (fixed) return *fixed;
    const double hi = xt::amax(values)();
    if (text == "max") {
      EQR_EXPECTS(hi > 0, eqr::value_error, "--intensity max: expected a volume with a positive maximum, found ", hi);
      return eqr::data::IntensityMap::scale(1 / hi);
    }
    return eqr::data::IntensityMap::minmax(xt::amin(values)(), hi);
  }
};

IntensitySpec parse_intensity(const std::string& text) {
  if (text == "minmax" || text == "max") return {text, std::nullopt};
  if (text == "none") return {text, eqr::data::IntensityMap::scale(1)};
  if (text.rfind("hu-to-mu", 0) == 0) {
    const std::string rest = text.substr(8);
    if (!rest.empty() && rest[0] != ':') throw usage_error("--intensity: expected hu-to-mu[:MU_WATER], found '" + text + "'");
    const double mu = rest.empty() ? eqr::data::lodopab_mu_water : eqr::cli::parse_real(rest.substr(1), "--intensity MU_WATER");
    if (!(mu > 0)) throw usage_error("--intensity: expected a positive MU_WATER, found '" + text + "'");
    return {text, eqr::data::IntensityMap::hu_to_mu(mu)};
  }
  if (text.rfind("window:", 0) == 0) {
    const std::string rest = text.substr(7);
    const auto comma = rest.find(',');
    if (comma == std::string::npos) throw usage_error("--intensity: expected window:LEVEL,WIDTH, found '" + text + "'");
    const double level = eqr::cli::parse_real(rest.substr(0, comma), "--intensity LEVEL");
    const double width = eqr::cli::parse_real(rest.substr(comma + 1), "--intensity WIDTH");
    if (!(width > 0)) throw usage_error("--intensity: expected a positive window WIDTH, found '" + text + "'");
    return {text, eqr::data::IntensityMap::window(level, width)};
  }
  throw usage_error("--intensity: expected minmax, max, none, hu-to-mu[:MU_WATER] or window:LEVEL,WIDTH, found '" + text + "'");
}

/// The numbers of slices per split from --split TRAIN,VAL,TEST: three counts (integers, at most `usable` in
/// all) or three fractions summing to 1 (rounded down, the rest to train).
std::array<std::size_t, 3> split_counts(const std::string& text, std::size_t usable) {
  std::array<double, 3> v{};
  std::size_t k = 0, start = 0;
  for (; k < 3; ++k) {
    const auto comma = text.find(',', start);
    if ((k < 2) == (comma == std::string::npos)) throw usage_error("--split: expected TRAIN,VAL,TEST, found '" + text + "'");
    v[k] = eqr::cli::parse_real(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start), "--split");
    if (!(v[k] >= 0)) throw usage_error("--split: expected non-negative parts, found '" + text + "'");
    start = comma + 1;
  }
  const bool counts = std::all_of(v.begin(), v.end(), [](double x) { return x == std::floor(x); }) &&
                      std::accumulate(v.begin(), v.end(), 0.0) > 1.0;
  std::array<std::size_t, 3> n{};
  if (counts) {
    for (std::size_t i = 0; i < 3; ++i) n[i] = static_cast<std::size_t>(v[i]);
    EQR_EXPECTS(n[0] + n[1] + n[2] <= usable, eqr::value_error, "--split: expected at most ", usable,
                " slices in all (the slices left after the gaps), found ", n[0] + n[1] + n[2]);
  } else {
    EQR_EXPECTS(std::abs(v[0] + v[1] + v[2] - 1.0) < 1e-9, eqr::value_error,
                "--split: expected three counts or three fractions summing to 1, found '", text, "'");
    n[1] = static_cast<std::size_t>(std::floor(v[1] * static_cast<double>(usable)));
    n[2] = static_cast<std::size_t>(std::floor(v[2] * static_cast<double>(usable)));
    n[0] = v[0] > 0 ? usable - n[1] - n[2] : 0;
  }
  EQR_EXPECTS(n[0] >= 1, eqr::value_error, "--split: expected at least one training slice, found none (", usable,
              " slices usable after the gaps)");
  return n;
}

/// One output image, its measurement when the input has one, and where it came from.
struct Slice {
  std::string origin;  ///< "file[:member]#k"
  xt::xtensor<double, 2> image;     ///< mapped and cropped to its centred square
  xt::xtensor<double, 2> real, imag;  ///< fastMRI single-coil: the complex image, mapped and cropped alike
  xt::xtensor<double, 2> sinogram;  ///< LoDoPaB-CT: the mapped sinogram
};

/// What measurements the inputs hold: none, k-space (fastMRI single-coil) or sinograms (LoDoPaB-CT).
enum class Measured { none, kspace, sinograms };

Measured measured(const eqr::cli::SliceStack& s) {
  return s.complex_images ? Measured::kspace : s.sinograms ? Measured::sinograms : Measured::none;
}

/// The measurement kind every input shares; refused when they differ or when sinograms come in two geometries.
Measured common_measurements(const std::vector<eqr::cli::SliceStack>& stacks) {
  const Measured kind = measured(stacks.front());
  for (const auto& s : stacks) {
    EQR_EXPECTS(measured(s) == kind, eqr::value_error, "--in: expected inputs that all hold measurements or all hold none, found '",
                stacks.front().source, "' and '", s.source, "' differ (a multi-coil fastMRI file or a ground-truth file without ",
                "its observation_* sibling has none)");
    if (kind == Measured::sinograms)
      EQR_EXPECTS(s.scan->angles.size() == stacks.front().scan->angles.size() && s.scan->detectors == stacks.front().scan->detectors,
                  eqr::value_error, "--in: expected sinograms of one geometry, found ", s.scan->angles.size(), " x ",
                  s.scan->detectors, " in '", s.source, "' and ", stacks.front().scan->angles.size(), " x ",
                  stacks.front().scan->detectors, " in '", stacks.front().source, "'");
  }
  return kind;
}

/// The centred orthonormal DFT (operators/fft.hpp) of the complex image re + i·im, as complex64 into `out`.
void write_kspace(const xt::xtensor<double, 2>& re, const xt::xtensor<double, 2>& im, std::complex<float>* out) {
  const std::size_t h = re.shape(0), w = re.shape(1), plane = h * w;
  xt::xtensor<double, 4> x = xt::xtensor<double, 4>::from_shape({1, 2, h, w});
  std::copy(re.begin(), re.end(), x.begin());
  std::copy(im.begin(), im.end(), x.begin() + static_cast<std::ptrdiff_t>(plane));
  const auto k = eqr::centered_fft<eqr::cpu::CpuBackend<double>>(x);
  for (std::size_t i = 0; i < plane; ++i) out[i] = std::complex<float>(std::complex<double>(k.data()[i], k.data()[plane + i]));
}

int run(eqr::cli::Args& args) {
  std::vector<std::string> inputs;
  while (const auto in = args.value("in")) inputs.push_back(*in);
  const std::filesystem::path out = args.required("out");
  const std::string format = args.value("format").value_or("auto");
  const auto size_arg = args.integer("size");
  const long axis = args.integer("axis", 0);
  const SliceRange range = parse_slice_range(args.value("slices"));
  const std::string split = args.value("split").value_or("0.8,0.1,0.1");
  const auto intensity_arg = args.value("intensity");
  const long gap = args.integer("gap", 1);
  const long seed = args.integer("seed", 0);
  const bool json = args.flag("json");
  while (const auto p = args.positional()) inputs.push_back(*p);  // `--in A B C`: the paths after the first
  args.finish();
  if (inputs.empty()) throw usage_error("missing required option --in PATH [PATH...]");
  if (!eqr::cli::detail::known_volume_format(format))
    throw usage_error("--format: expected auto, dicom, nifti, fastmri, lodopab or npy, found '" + format + "'");
  if (size_arg && (*size_arg < 8 || *size_arg > 1024)) throw usage_error("--size: expected 8..1024, found " + std::to_string(*size_arg));
  if (axis < 0 || axis > 2) throw usage_error("--axis: expected 0, 1 or 2, found " + std::to_string(axis));
  if (gap < 0) throw usage_error("--gap: expected >= 0, found " + std::to_string(gap));
  if (seed < 0) throw usage_error("--seed: expected >= 0, found " + std::to_string(seed));
  const std::optional<IntensitySpec> intensity_given = intensity_arg ? std::optional(parse_intensity(*intensity_arg)) : std::nullopt;

  // Read every volume; the seed shuffles their order (one patient's slices stay together).
  std::vector<eqr::cli::SliceStack> stacks;
  for (const auto& in : inputs)
    for (auto& s : eqr::cli::read_slice_stacks(in, format, static_cast<std::size_t>(axis), range.first, range.last))
      stacks.push_back(std::move(s));
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::shuffle(stacks.begin(), stacks.end(), rng);
  const Measured kind = common_measurements(stacks);
  // The format's default (fastMRI: max, LoDoPaB-CT: none); else CT volumes in Hounsfield units go to attenuation
  // and everything else to its own min..max.
  const bool all_ct = std::all_of(stacks.begin(), stacks.end(), [](const auto& s) { return s.modality == "CT"; });
  const std::string& format_default = stacks.front().intensity_default;
  const IntensitySpec intensity = intensity_given.value_or(
      parse_intensity(!format_default.empty() ? format_default : all_ct ? "hu-to-mu" : "minmax"));
  EQR_EXPECTS(kind == Measured::none || intensity.linear(), eqr::value_error, "--intensity: expected none or max for inputs ",
              "with measurements (a mapping that is not a scale would make the measurements disagree with the images), found ",
              intensity.text);

  std::vector<Slice> slices;
  std::optional<std::size_t> common;  // the cropped size shared by every slice, if one
  bool sizes_differ = false;
  for (const auto& stack : stacks) {
    // HDF5 stacks hold the selected slices only (from stack.first); the others hold the whole volume.
    const auto [first, last] = eqr::cli::detail::slice_block(range.first, range.last, stack.total, stack.source);
    const auto selected = xt::view(stack.slices, xt::range(first - stack.first, last - stack.first), xt::all(), xt::all());
    for (const double v : selected)
      EQR_EXPECTS(std::isfinite(v), eqr::value_error, "'", stack.source, "': expected finite values, found ", v);
    if (stack.sinograms)
      for (const double v : *stack.sinograms)
        EQR_EXPECTS(std::isfinite(v), eqr::value_error, "'", stack.source, "': expected finite sinogram values, found ", v);
    const eqr::data::IntensityMap map = intensity.of(selected);
    const auto mapped = [&](const auto& plane) {
      xt::xtensor<double, 2> out = plane;
      for (double& v : out) v = map(v);
      return out;
    };
    for (std::size_t k = first; k < last; ++k) {
      const std::size_t at = k - stack.first;
      Slice slice{stack.source + "#" + std::to_string(k),
                  eqr::data::centre_square(mapped(xt::view(stack.slices, at, xt::all(), xt::all()))), {}, {}, {}};
      if (stack.complex_images) {
        slice.real = eqr::data::centre_square(mapped(xt::real(xt::view(*stack.complex_images, at, xt::all(), xt::all()))));
        slice.imag = eqr::data::centre_square(mapped(xt::imag(xt::view(*stack.complex_images, at, xt::all(), xt::all()))));
      }
      if (stack.sinograms) slice.sinogram = mapped(xt::view(*stack.sinograms, at, xt::all(), xt::all()));
      sizes_differ = sizes_differ || (common && *common != slice.image.shape(0));
      common = slice.image.shape(0);
      slices.push_back(std::move(slice));
    }
  }
  EQR_EXPECTS(size_arg || !sizes_differ, eqr::value_error,
              "--size: expected it, since the slices have different sizes (the inputs differ in shape)");
  const auto n = static_cast<std::size_t>(size_arg.value_or(static_cast<long>(*common)));
  EQR_EXPECTS(n >= 8, eqr::value_error, "--size: expected images of at least 8x8, found ", n, "x", n, " slices (give --size)");

  // Contiguous blocks: train, then validation, then test, `gap` slices dropped at each boundary.
  const auto g = static_cast<std::size_t>(gap);
  EQR_EXPECTS(slices.size() > 2 * g, eqr::value_error, "--gap: expected fewer than half of the ", slices.size(),
              " slices per gap, found ", g);
  const std::array<std::size_t, 3> counts = split_counts(split, slices.size() - (2 * g));
  const std::array<const char*, 3> names{"train", "val", "test"};
  std::size_t next = 0;
  eqr::cli::JsonObject provenance;
  std::vector<std::pair<std::filesystem::path, eqr::io::NpyArray>> files;
  for (std::size_t s = 0; s < 3; ++s) {
    if (s > 0 && counts[s] > 0) next += g;
    if (counts[s] == 0) continue;
    eqr::io::NpyArray a(eqr::io::DType::float32, {counts[s], n, n});
    std::optional<eqr::io::NpyArray> obs;
    if (kind == Measured::kspace) obs.emplace(eqr::io::DType::complex64, std::vector<std::size_t>{counts[s], n, n});
    if (kind == Measured::sinograms)
      obs.emplace(eqr::io::DType::float32, std::vector<std::size_t>{counts[s], slices[next].sinogram.shape(0), slices[next].sinogram.shape(1)});
    std::vector<std::string> origins;
    for (std::size_t k = 0; k < counts[s]; ++k, ++next) {
      const Slice& slice = slices[next];
      xt::xtensor<double, 2> resized = eqr::data::resize(slice.image, n, n);
      if (kind == Measured::kspace) {
        // The image is the magnitude of the resized complex image, whose k-space is the measurement.
        const auto re = eqr::data::resize(slice.real, n, n), im = eqr::data::resize(slice.imag, n, n);
        resized = xt::sqrt(re * re + im * im);
        write_kspace(re, im, obs->values<std::complex<float>>().data() + k * n * n);
      }
      if (kind == Measured::sinograms)
        std::transform(slice.sinogram.begin(), slice.sinogram.end(),
                       obs->values<float>().begin() + static_cast<std::ptrdiff_t>(k * slice.sinogram.size()),
                       [](double v) { return static_cast<float>(v); });
      std::transform(resized.begin(), resized.end(), a.values<float>().begin() + static_cast<std::ptrdiff_t>(k * n * n),
                     [](double v) { return static_cast<float>(v); });
      origins.push_back(slice.origin);
    }
    provenance.add(names[s], origins);
    files.emplace_back(out / (std::string(names[s]) + "_gt.npy"), std::move(a));
    if (obs) files.emplace_back(out / (std::string(names[s]) + "_obs.npy"), std::move(*obs));
  }
  // The problem the measurements belong to, as `eqr train` flags (CT: the angle list is written as angles.npy).
  std::string problem;
  if (kind == Measured::kspace)
    problem = "--problem mri";
  if (kind == Measured::sinograms) {
    const eqr::cli::ScanGeometry& scan = *stacks.front().scan;
    files.emplace_back(out / "angles.npy", eqr::io::NpyArray::from(xt::adapt(scan.angles, {scan.angles.size()})));
    std::ostringstream flags;
    flags.precision(17);
    flags << "--problem ct --angles-file " << (out / "angles.npy").string() << " --detectors " << scan.detectors
          << " --detector-spacing " << scan.detector_spacing << " --pixel-size " << scan.side / static_cast<double>(n);
    problem = flags.str();
  }
  std::string sources;
  for (const auto& in : inputs) sources += (sources.empty() ? "" : ", ") + in;
  eqr::cli::JsonObject summary;
  summary.add("train", static_cast<long>(counts[0])).add("val", static_cast<long>(counts[1])).add("test", static_cast<long>(counts[2]))
      .add("size", static_cast<long>(n)).add("source", sources).add("intensity", intensity.text).add("axis", axis)
      .add("gap", gap).add("seed", seed)
      .add("measurements", kind == Measured::kspace ? "kspace" : kind == Measured::sinograms ? "sinograms" : "none");
  if (!problem.empty()) summary.add("problem", problem);
  // Everything is computed before anything is written: a refused input leaves no directory.
  std::filesystem::create_directories(out);
  for (const auto& [file, array] : files) eqr::io::write_npy(file, array);
  const std::string record = eqr::cli::JsonObject(summary).raw("slices", provenance.str()).str() + "\n";
  eqr::io::write_atomically(out / "dataset.json", [&](std::ostream& o) { o << record; });
  if (json) {
    std::cout << summary.str() << "\n";
  } else {
    std::cout << "wrote " << out.string() << ": " << counts[0] << " train, " << counts[1] << " val, " << counts[2]
              << " test images of " << n << "x" << n << " (" << intensity.text << ") from " << sources << "\n";
    if (!problem.empty()) std::cout << "measurements written as *_obs.npy; train with: " << problem << "\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"dataset", "build a data directory from DICOM, NIfTI, fastMRI, LoDoPaB-CT or .npy/.npz volumes",
     "--in PATH [PATH...] --out DIR [--format auto|dicom|nifti|fastmri|lodopab|npy] [--size N] [--axis K]\n"
     "  [--slices A:B] [--split TRAIN,VAL,TEST] [--gap G]\n"
     "  [--intensity minmax|max|none|hu-to-mu[:MU_WATER]|window:LEVEL,WIDTH] [--seed S] [--json]\n\n"
     "Writes DIR/train_gt.npy, val_gt.npy and test_gt.npy (float32 (N, size, size), the data directory of\n"
     "`eqr train --data` and `eqr evaluate --data`), *_obs.npy when the inputs hold measurements, and\n"
     "DIR/dataset.json (the summary and each image's source slice). Inputs: .npy arrays (2-d: one image; 3-d: a\n"
     "volume, any dtype, C or Fortran order), .npz archives (every real 2-d/3-d member), DICOM files or series\n"
     "directories (sorted along the slice normal; pixels in modality units, HU for CT), NIfTI-1 .nii/.nii.gz\n"
     "volumes, and HDF5 files: fastMRI (.h5 with kspace) and LoDoPaB-CT (ground_truth_*.hdf5, with its\n"
     "observation_*.hdf5 sibling when present), where this build has the readers (`eqr info`).\n"
     "fastMRI: each image is fastMRI's (centred inverse DFT, cropped to the header's reconSpace, root sum of\n"
     "squares over coils); single-coil files also give *_obs.npy, complex64 (N, size, size) k-space: the centred\n"
     "orthonormal DFT of the cropped and resized complex image (fully sampled: `eqr train --problem mri` keeps\n"
     "only its mask's lines). LoDoPaB-CT: the images, and the observation sinograms as *_obs.npy (N, A, D), with\n"
     "DIR/angles.npy; the `eqr train` flags of that geometry (pixel size 0.26 m / size) are printed and stored\n"
     "in dataset.json (\"problem\"). --axis K: the slicing axis of 3-d inputs (default 0); --slices A:B: the\n"
     "slices A..B-1 of every volume (HDF5 files: only those are read). --intensity: minmax (each volume to [0, 1];\n"
     "the default), max (each volume divided by its maximum; fastMRI's default), none (LoDoPaB-CT's default),\n"
     "hu-to-mu[:MU_WATER] (CT: μ = MU_WATER·(1 + HU/1000)/81.35858 clipped to [0, 1], LoDoPaB-CT's scale,\n"
     "MU_WATER = 20 per metre by default; the default for DICOM CT), window:LEVEL,WIDTH; with measurements only\n"
     "max and none (scales, applied to the measurements too). Each slice is mapped, cropped to its centred square\n"
     "and resized to --size N (area averaging when shrinking, linear interpolation when growing; default: the\n"
     "cropped size). --split: three fractions (default 0.8,0.1,0.1) or three counts; the slices (volumes in an\n"
     "order shuffled by --seed) are cut into contiguous blocks train | val | test with --gap G slices (default 1)\n"
     "dropped at each cut, so that neighbouring slices never straddle two splits. --json prints {\"train\",\n"
     "\"val\", \"test\", \"size\", \"source\", \"intensity\", \"measurements\", ...}.",
     run});

}  // namespace
