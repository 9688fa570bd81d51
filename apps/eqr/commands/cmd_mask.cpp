// `eqr mask`: Cartesian line masks over k-space columns (fastMRI conventions), written as (H, W) arrays.
#include <cmath>
#include <iostream>

#include "support/cli.hpp"
#include "eqr/operators/masks.hpp"
#include "support/npy_args.hpp"

namespace {

/// Parses "HxW" into {H, W}.
std::array<std::size_t, 2> parse_shape(const std::string& text) {
  const auto x = text.find('x');
  if (x == std::string::npos || x == 0 || x + 1 == text.size())
    throw eqr::cli::usage_error("--shape: expected HxW (e.g. 320x320), found '" + text + "'");
  const long h = eqr::cli::parse_integer(text.substr(0, x), "--shape H");
  const long w = eqr::cli::parse_integer(text.substr(x + 1), "--shape W");
  if (h < 1 || w < 1) throw eqr::cli::usage_error("--shape: expected positive H and W, found '" + text + "'");
  return {static_cast<std::size_t>(h), static_cast<std::size_t>(w)};
}

int run(eqr::cli::Args& args) {
  const std::string kind_name = args.required("kind");
  const auto [h, w] = parse_shape(args.required("shape"));
  const auto acceleration = args.real("acceleration");
  const auto centre = args.real("center-fraction");
  const std::uint64_t seed = eqr::cli::seed_option(args);
  const double decay = args.real("decay", 2.0);
  const std::string out = args.required("out");
  const auto dtype = eqr::cli::output_dtype(args);
  const eqr::cli::PngOption png(args);
  args.finish();
  if (!acceleration) throw eqr::cli::usage_error("missing required option --acceleration");
  if (!centre) throw eqr::cli::usage_error("missing required option --center-fraction");
  if (!(*acceleration >= 1 && std::isfinite(*acceleration)))
    throw eqr::cli::usage_error("--acceleration: expected a number >= 1, found " + std::to_string(*acceleration));
  if (!(*centre >= 0 && *centre <= 1))
    throw eqr::cli::usage_error("--center-fraction: expected a fraction in [0, 1], found " + std::to_string(*centre));
  eqr::LineMaskKind kind{};
  try {
    kind = eqr::parse_line_mask_kind(kind_name);
  } catch (const eqr::value_error& e) {
    throw eqr::cli::usage_error(std::string("--kind: ") + e.what());
  }
  const auto columns = kind == eqr::LineMaskKind::variable_density
                           ? eqr::variable_density_line_mask<double>(w, *acceleration, *centre, seed, decay)
                           : eqr::line_mask<double>(kind, w, *acceleration, *centre, seed);
  const xt::xtensor<double, 2> mask = eqr::expand_line_mask(columns, h);
  eqr::cli::write_real_plane(out, mask, dtype);
  png.write(mask);
  std::size_t sampled = 0;
  for (double v : columns) sampled += v != 0;
  std::cerr << "mask: " << sampled << " of " << w << " columns sampled (acceleration "
            << static_cast<double>(w) / static_cast<double>(std::max<std::size_t>(sampled, 1)) << ")\n";
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"mask", "Cartesian line masks for MRI (fastMRI conventions)",
     "--kind random|equispaced|variable-density --shape HxW --acceleration R --center-fraction F [--seed S]\n"
     "     --out m.npy\n\n"
     "Writes an (H, W) mask of 0/1 over the columns (phase-encode lines) of centred k-space: the round(W F)\n"
     "centre columns always, plus further columns so that the acceleration is about R.\n"
     "  --kind K              random (fastMRI RandomMaskFunc), equispaced (EquispacedMaskFunc), or\n"
     "                        variable-density (density falling off as (1 - |k - c|/(W/2))^decay)\n"
     "  --decay E             variable-density exponent (default 2)\n"
     "  --seed S              seed (default 0)\n"
     "  --dtype T             float32 (default) or float64;  --png FILE  PNG picture of the mask",
     run});

}  // namespace
