// `eqr mask`: Cartesian line masks over k-space columns (fastMRI conventions), written as (H, W) arrays.
#include <cmath>
#include <iostream>

#include <xtensor/xmath.hpp>

#include "support/cli.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"
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
  if (!centre && kind_name != "radial") throw eqr::cli::usage_error("missing required option --center-fraction");
  if (!(*acceleration >= 1 && std::isfinite(*acceleration)))
    throw eqr::cli::usage_error("--acceleration: expected a number >= 1, found " + std::to_string(*acceleration));
  if (centre && !(*centre >= 0 && *centre <= 1))
    throw eqr::cli::usage_error("--center-fraction: expected a fraction in [0, 1], found " + std::to_string(*centre));
  xt::xtensor<double, 2> mask;
  if (eqr::is_pattern_kind(kind_name)) {
    mask = kind_name == "radial" ? eqr::radial_pattern<double>(h, w, *acceleration, seed)
                                 : eqr::variable_density_2d_pattern<double>(h, w, *acceleration, *centre, seed, decay);
  } else {
    eqr::LineMaskKind kind{};
    try {
      kind = eqr::parse_line_mask_kind(kind_name);
    } catch (const eqr::value_error& e) {
      throw eqr::cli::usage_error("--kind: expected random, equispaced, variable-density, radial or variable-density-2d, found '" +
                                  kind_name + "'");
    }
    const auto columns = kind == eqr::LineMaskKind::variable_density
                             ? eqr::variable_density_line_mask<double>(w, *acceleration, *centre, seed, decay)
                             : eqr::line_mask<double>(kind, w, *acceleration, *centre, seed);
    mask = eqr::expand_line_mask(columns, h);
  }
  eqr::cli::write_real_plane(out, mask, dtype);
  png.write(mask);
  const double sampled = xt::sum(mask)(), acceleration_found = static_cast<double>(h * w) / std::max(sampled, 1.0);
  if (eqr::is_pattern_kind(kind_name))
    std::cerr << "mask: " << sampled << " of " << h * w << " k-space points sampled (acceleration " << acceleration_found << ")\n";
  else
    std::cerr << "mask: " << sampled / static_cast<double>(h) << " of " << w << " columns sampled (acceleration "
              << acceleration_found << ")\n";
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"mask", "MRI k-space masks: Cartesian lines (fastMRI conventions) and 2-D sampling patterns",
     "--kind random|equispaced|variable-density|radial|variable-density-2d --shape HxW --acceleration R\n"
     "     --center-fraction F (not for radial) [--seed S] --out m.npy\n\n"
     "Writes an (H, W) mask of 0/1 over centred k-space. Line masks sample columns (phase-encode lines): the\n"
     "round(W F) centre columns always, plus further columns so that the acceleration is about R. 2-D patterns\n"
     "sample points: radial (golden-angle spokes through the centre until H W / R points; F unused) or\n"
     "variable-density-2d (the disc of radius F min(H, W)/2 always, plus random points, density falling off as\n"
     "(1 - r/r_max)^decay, exactly round(H W / R) in all).\n"
     "  --kind K              random (fastMRI RandomMaskFunc), equispaced (EquispacedMaskFunc),\n"
     "                        variable-density (density falling off as (1 - |k - c|/(W/2))^decay), radial,\n"
     "                        variable-density-2d\n"
     "  --decay E             variable-density(-2d) exponent (default 2)\n"
     "  --seed S              seed (default 0)\n"
     "  --dtype T             float32 (default) or float64;  --png FILE  PNG picture of the mask",
     run});

}  // namespace
