// `eqr dataset`: builds a data directory (CLI.md) — train_gt.npy, val_gt.npy, test_gt.npy as float32
// (N, size, size) — from the user's volumes: DICOM files or series, NIfTI volumes, .npy/.npz stacks. Slices
// along one axis, an optional slice range, an intensity mapping, the centred square crop resized to N×N, and a
// split into contiguous blocks of slices with a gap between them, so neighbouring slices never straddle
// train and test; the provenance of every slice goes to dataset.json.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "support/cli.hpp"
#include "support/json.hpp"
#include "support/volumes.hpp"
#include "eqr/data/intensity.hpp"
#include "eqr/data/resize.hpp"
#include "eqr/io/atomic_file.hpp"

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

/// --intensity minmax | hu-to-mu[:MU_WATER] | window:LEVEL,WIDTH, as given (minmax needs each volume's range).
struct IntensitySpec {
  std::string text;  ///< as given, for the report ("minmax", "hu-to-mu:20", "window:40,400")
  std::optional<eqr::data::IntensityMap> fixed;  ///< the map, unless it is minmax
};

IntensitySpec parse_intensity(const std::string& text) {
  if (text == "minmax") return {text, std::nullopt};
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
  throw usage_error("--intensity: expected minmax, hu-to-mu[:MU_WATER] or window:LEVEL,WIDTH, found '" + text + "'");
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

/// One output image and where it came from.
struct Slice {
  std::string origin;  ///< "file[:member]#k"
  xt::xtensor<double, 2> image;
};

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
    for (auto& s : eqr::cli::read_slice_stacks(in, format, static_cast<std::size_t>(axis))) stacks.push_back(std::move(s));
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::shuffle(stacks.begin(), stacks.end(), rng);
  // CT volumes in Hounsfield units default to attenuation; everything else to its own min..max.
  const bool all_ct = std::all_of(stacks.begin(), stacks.end(), [](const auto& s) { return s.modality == "CT"; });
  const IntensitySpec intensity = intensity_given.value_or(all_ct ? parse_intensity("hu-to-mu") : parse_intensity("minmax"));

  std::vector<Slice> slices;
  std::optional<std::size_t> common;  // the cropped size shared by every slice, if one
  bool sizes_differ = false;
  for (const auto& stack : stacks) {
    const std::size_t count = stack.slices.shape(0);
    const auto first = static_cast<std::size_t>(range.first.value_or(0));
    const std::size_t last = std::min(count, static_cast<std::size_t>(range.last.value_or(static_cast<long>(count))));
    EQR_EXPECTS(first < last, eqr::value_error, "--slices: expected a range inside the ", count, " slices of '", stack.source,
                "', found ", first, ":", range.last.value_or(static_cast<long>(count)));
    const auto selected = xt::view(stack.slices, xt::range(first, last), xt::all(), xt::all());
    for (const double v : selected)
      EQR_EXPECTS(std::isfinite(v), eqr::value_error, "'", stack.source, "': expected finite values, found ", v);
    const eqr::data::IntensityMap map =
        intensity.fixed.value_or(eqr::data::IntensityMap::minmax(xt::amin(selected)(), xt::amax(selected)()));
    for (std::size_t k = first; k < last; ++k) {
      xt::xtensor<double, 2> image = xt::view(stack.slices, k, xt::all(), xt::all());
      for (double& v : image) v = map(v);
      image = eqr::data::centre_square(image);
      sizes_differ = sizes_differ || (common && *common != image.shape(0));
      common = image.shape(0);
      slices.push_back({stack.source + "#" + std::to_string(k), std::move(image)});
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
    std::vector<std::string> origins;
    for (std::size_t k = 0; k < counts[s]; ++k, ++next) {
      const auto resized = eqr::data::resize(slices[next].image, n, n);
      std::transform(resized.begin(), resized.end(), a.values<float>().begin() + static_cast<std::ptrdiff_t>(k * n * n),
                     [](double v) { return static_cast<float>(v); });
      origins.push_back(slices[next].origin);
    }
    provenance.add(names[s], origins);
    files.emplace_back(out / (std::string(names[s]) + "_gt.npy"), std::move(a));
  }
  std::string sources;
  for (const auto& in : inputs) sources += (sources.empty() ? "" : ", ") + in;
  eqr::cli::JsonObject summary;
  summary.add("train", static_cast<long>(counts[0])).add("val", static_cast<long>(counts[1])).add("test", static_cast<long>(counts[2]))
      .add("size", static_cast<long>(n)).add("source", sources).add("intensity", intensity.text).add("axis", axis)
      .add("gap", gap).add("seed", seed);
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
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"dataset", "build a data directory from DICOM, NIfTI or .npy/.npz volumes",
     "--in PATH [PATH...] --out DIR [--format auto|dicom|nifti|npy] [--size N] [--axis K] [--slices A:B]\n"
     "  [--split TRAIN,VAL,TEST] [--gap G] [--intensity minmax|hu-to-mu[:MU_WATER]|window:LEVEL,WIDTH] [--seed S]\n"
     "  [--json]\n\n"
     "Writes DIR/train_gt.npy, val_gt.npy and test_gt.npy (float32 (N, size, size), the data directory of\n"
     "`eqr train --data` and `eqr evaluate --data`) and DIR/dataset.json (the summary and each image's source\n"
     "slice). Inputs: .npy arrays (2-d: one image; 3-d: a volume, any dtype, C or Fortran order), .npz archives\n"
     "(every real 2-d/3-d member), DICOM files or series directories (sorted along the slice normal; pixels in\n"
     "modality units, HU for CT) and NIfTI-1 .nii/.nii.gz volumes, where this build has the readers (`eqr info`).\n"
     "HDF5 inputs (fastMRI, LoDoPaB-CT) are not read yet: export them to .npy. --axis K: the slicing axis of 3-d\n"
     "inputs (default 0); --slices A:B: the slices A..B-1 of every volume. --intensity: minmax (each volume to\n"
     "[0, 1]; the default), hu-to-mu[:MU_WATER] (CT: μ = MU_WATER·(1 + HU/1000)/81.35858 clipped to [0, 1],\n"
     "LoDoPaB-CT's scale, MU_WATER = 20 per metre by default; the default for DICOM CT), window:LEVEL,WIDTH.\n"
     "Each slice is mapped, cropped to its centred square and resized to --size N (area averaging when shrinking,\n"
     "linear interpolation when growing; default: the cropped size). --split: three fractions (default\n"
     "0.8,0.1,0.1) or three counts; the slices (volumes in an order shuffled by --seed) are cut into contiguous\n"
     "blocks train | val | test with --gap G slices (default 1) dropped at each cut, so that neighbouring slices\n"
     "never straddle two splits. --json prints {\"train\", \"val\", \"test\", \"size\", \"source\", \"intensity\", ...}.",
     run});

}  // namespace
