// `eqr phantom`: test images — the modified Shepp–Logan phantom, random-ellipse phantoms reproducible by
// seed, or the smooth oriented phantoms of the experiments — rendered analytically at any size and orientation.
#include <cmath>
#include <iostream>
#include <numbers>

#include "support/cli.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/data/phantoms.hpp"
#include "support/npy_args.hpp"

namespace {

int run(eqr::cli::Args& args) {
  using eqr::cli::usage_error;
  const std::string kind = args.required("kind");
  const std::size_t size = eqr::cli::positive(args, "size");
  const std::uint64_t seed = eqr::cli::seed_option(args);
  const double degrees = args.real("angle", 0.0);
  const std::size_t supersample = eqr::cli::positive(args, "supersample", 2);
  const bool oriented = args.flag("oriented");
  const auto count_option = args.integer("count");
  const long count_given = count_option.value_or(15);
  const auto images = args.integer("images");
  const std::string out = args.required("out");
  const auto dtype = eqr::cli::output_dtype(args);
  const eqr::cli::PngOption png(args);
  args.finish();
  const bool smooth = kind == "oriented-smooth";
  if (kind != "shepp-logan" && kind != "ellipses" && !smooth)
    throw usage_error("--kind: expected shepp-logan or ellipses or oriented-smooth, found '" + kind + "'");
  if (smooth && (oriented || count_option))
    throw usage_error(std::string("--") + (oriented ? "oriented" : "count") +
                      ": expected only with --kind ellipses (oriented-smooth is a fixed family), found --kind oriented-smooth");
  if (!std::isfinite(degrees)) throw usage_error("--angle: expected a finite number of degrees");
  if (size > 16384) throw usage_error("--size: expected at most 16384, found " + std::to_string(size));
  if (supersample > 16) throw usage_error("--supersample: expected 1..16, found " + std::to_string(supersample));
  if (count_given < 0 || count_given > 1000)
    throw usage_error("--count: expected 0..1000, found " + std::to_string(count_given));
  if (images && (*images < 1 || *images > 100000))
    throw usage_error("--images: expected 1..100000, found " + std::to_string(*images));
  if (images && kind == "shepp-logan")
    throw usage_error("--images: expected --kind ellipses or oriented-smooth (a stack of random phantoms), found '" + kind + "'");
  const auto count = static_cast<std::size_t>(count_given);
  const double angle = degrees * std::numbers::pi / 180.0;
  xt::xtensor<double, 2> image;
  // One random phantom of the chosen family with the given seed.
  const auto random_phantom = [&](std::uint64_t s) {
    if (smooth) return eqr::data::phantom<double>(eqr::data::PhantomKind::oriented_smooth, size, s, angle, supersample);
    eqr::data::RandomEllipsesOptions options;
    options.oriented = oriented;
    options.count = count;
    return eqr::data::random_ellipse_phantom<double>(size, s, options, supersample, angle);
  };
  if (images) {  // a stack (N, size, size) of the phantoms with seeds seed, seed + 1, …
    const auto n = static_cast<std::size_t>(*images);
    eqr::io::NpyArray a(dtype, {n, size, size});
    for (std::size_t k = 0; k < n; ++k) {
      image = random_phantom(seed + k);
      for (std::size_t i = 0; i < size * size; ++i) {
        if (dtype == eqr::io::DType::float64) a.values<double>()[k * size * size + i] = image.flat(i);
        else a.values<float>()[k * size * size + i] = static_cast<float>(image.flat(i));
      }
      if (k == 0) png.write(image);
    }
    eqr::io::write_npy(out, a);
    return 0;
  }
  if (kind == "shepp-logan") {
    image = eqr::data::shepp_logan<double>(size, supersample, angle);
  } else {
    image = random_phantom(seed);
  }
  eqr::cli::write_real_plane(out, image, dtype);
  png.write(image);
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"phantom", "test images: modified Shepp-Logan, random ellipses or smooth oriented phantoms",
     "--kind shepp-logan|ellipses|oriented-smooth --size N --out x.npy [options]\n\n"
     "Renders an N x N phantom analytically (values in [0, 1]) and writes it as an (N, N) array.\n"
     "  --kind K          shepp-logan (Toft's modified intensities, as scikit-image/ODL) or ellipses\n"
     "                    (a body ellipse plus random inner ellipses, reproducible by --seed) or\n"
     "                    oriented-smooth (the experiments' smooth family: a constant wide horizontal body,\n"
     "                    15 inner ellipses within +-pi/16 of it with profiles intensity*(1 - r^2)^p, p in\n"
     "                    [1, 3]; `eqr experiment --phantoms oriented-smooth` uses seeds 10^9*(split+1)+i)\n"
     "  --size N          image side in pixels\n"
     "  --seed S          seed of the random ellipses (default 0)\n"
     "  --images N        write a stack (N, size, size) of random phantoms with seeds S, S+1, ...\n"
     "                    (e.g. train_gt.npy / test_gt.npy of a --data directory); the PNG shows the first\n"
     "  --count K         number of inner random ellipses (default 15; --kind ellipses only)\n"
     "  --oriented        random ellipses with a preferred (horizontal) orientation (--kind ellipses only)\n"
     "  --angle DEG       rotate the phantom analytically, counter-clockwise (default 0)\n"
     "  --supersample S   S x S samples per pixel for antialiasing (default 2)\n"
     "  --dtype T         float32 (default) or float64\n"
     "  --out FILE        output .npy\n"
     "  --png FILE        also write a PNG preview; --png-range LOW,HIGH sets its window (default min,max)",
     run});

}  // namespace
