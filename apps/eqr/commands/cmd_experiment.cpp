// `eqr experiment NAME --out REPORT_DIR [--quick] [--steps S] [--seed S] [--phantoms KIND] ...`: reproduces one of the paper's
// experiments end to end and writes a report directory (index.md, PNG panels, SVG plots, results.json).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <utility>
#include <string>

#include "support/cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/data/datasets.hpp"
#include "experiments/common.hpp"

namespace {

int run(eqr::cli::Args& args) {
  const auto name = args.positional();
  eqr::experiments::ExperimentArgs e;
  e.out = args.required("out");
  e.quick = args.flag("quick");
  e.steps = args.integer("steps", -1);
  e.seed = args.integer("seed", 0);
  e.size = args.integer("size");
  e.iterations = args.integer("iterations");
  e.lr = args.real("lr");
  e.lr_drop_at = args.real("lr-drop-at");
  e.mu = args.real("mu");
  e.photons = args.real("photons");
  e.sigma = args.real("sigma");
  if (const auto kind = args.value("phantoms")) e.phantoms = eqr::data::parse_phantom_kind(*kind);
  e.backend = args.value("backend");
  if (const auto data = args.value("data")) e.data = *data;
  if (const auto group = args.value("group")) {
    if (!eqr::offers_group(*group))
      throw eqr::cli::usage_error("--group: expected one of " + eqr::group_names_joined() + ", found '" + *group + "'");
    e.group = *group;
  }
  if (const auto init = args.value("init")) {
    if (*init != "zero" && *init != "direct")
      throw eqr::cli::usage_error("experiment: expected --init zero or direct, found '" + *init + "'");
    e.warm_start = *init == "direct";
  }
  if (const auto sizes = args.value("train-sizes")) {
    std::size_t start = 0;
    while (start <= sizes->size()) {
      const auto comma = std::min(sizes->find(',', start), sizes->size());
      e.train_sizes.push_back(eqr::cli::parse_integer(sizes->substr(start, comma - start), "--train-sizes"));
      start = comma + 1;
    }
  }
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  const auto& registry = eqr::experiments::experiment_registry();
  std::string known;
  for (const auto& [n, x] : registry) known.append(known.empty() ? "" : ", ").append(n);
  if (!name) throw eqr::cli::usage_error("experiment: expected an experiment name (" + known + "), found none");
  const auto it = registry.find(*name);
  if (it == registry.end())
    throw eqr::cli::usage_error("experiment: expected one of " + known + ", found '" + *name + "'");
  if (e.steps == 0 || e.steps < -1) throw eqr::cli::usage_error("experiment: expected --steps >= 1, found " + std::to_string(e.steps));
  if (e.size && (*e.size < 16 || *e.size > 512))
    throw eqr::cli::usage_error("experiment: expected --size in 16..512, found " + std::to_string(*e.size));
  if (e.iterations && (*e.iterations < 1 || *e.iterations > 32))
    throw eqr::cli::usage_error("experiment: expected --iterations in 1..32, found " + std::to_string(*e.iterations));
  for (const auto& [name, v] : {std::pair{"--lr", e.lr}, std::pair{"--mu", e.mu}, std::pair{"--photons", e.photons},
                                std::pair{"--sigma", e.sigma}})
    if (v && !(std::isfinite(*v) && *v > 0))
      throw eqr::cli::usage_error(std::string("experiment: expected a positive finite ") + name + ", found " + std::to_string(*v));
  if (e.lr_drop_at && !(*e.lr_drop_at > 0 && *e.lr_drop_at <= 1))
    throw eqr::cli::usage_error("experiment: expected --lr-drop-at in (0, 1], found " + std::to_string(*e.lr_drop_at));
  long previous = 0;
  for (long s : e.train_sizes) {
    if (s <= previous)
      throw eqr::cli::usage_error("experiment: expected --train-sizes as increasing positive integers (e.g. 1,4,16), found " +
                                  std::to_string(s) + " after " + std::to_string(previous));
    previous = s;
  }
  if (e.data && *name != "train-size-ct" && *name != "train-size-mri" && *name != "rotation-denoise")
    throw eqr::cli::usage_error("experiment: --data applies to train-size-ct, train-size-mri and rotation-denoise, found '" +
                                *name + "'");
  if (e.data && e.phantoms) throw eqr::cli::usage_error("experiment: give either --data DIR or --phantoms KIND, not both");
  const eqr::cpu::ThreadLimit limit(threads);
  return it->second.run(e);
}

const bool registered = eqr::cli::register_command(
    {"experiment", "reproduce one of the paper's experiments and write a report",
     "NAME --out REPORT_DIR [--quick] [--steps S] [--seed S] [--threads N]\n"
     "  [--size N] [--iterations I] [--lr LR] [--lr-drop-at F] [--train-sizes 1,4,16] [--mu MU] [--photons N_IN] [--sigma S]\n"
     "  [--phantoms KIND | --data DIR] [--init zero|direct] [--group G] [--backend cpu|torch-cpu|torch-cuda]\n\n"
     "NAME: rotation-denoise (Figure 1), train-size-ct (Figure 7), train-size-mri (Figure 9), group-order (Figure 6)\n"
     "(those compiled into this build are listed by an unknown name). Writes REPORT_DIR/index.md with tables and\n"
     "figures, PNG panels, SVG plots, results.json (means per model, group, train_size and test) and\n"
     "per_image.json. --steps overrides the training steps. The other options override a variant's settings where\n"
     "they apply (image size, unrolled iterations, Adam's learning rate and the fraction of the steps after which it\n"
     "drops tenfold, nested training-set sizes, CT attenuation mu per image width and photon count, MRI noise\n"
     "sigma); results.json records the values used, with wall and CPU seconds.\n"
     "--phantoms KIND sets the image family of train-size-ct, train-size-mri and group-order: oriented-smooth\n"
     "(the train-size default: a wide horizontal body with inner ellipses aligned to it and smooth profiles\n"
     "intensity*(1 - r^2)^p inside, p in [1, 3]), oriented (the group-order default: the same geometry, all\n"
     "ellipses constant inside, i.e. piecewise constant, TV's ideal prior), ellipses (no preferred orientation)\n"
     "or shepp-logan (perturbed modified Shepp-Logan).\n"
     "--data DIR: train-size-ct and train-size-mri on the images of a data directory (`eqr dataset`; the first\n"
     "images of DIR/train_gt.npy, val_gt.npy, test_gt.npy), measurements simulated; the test images go through one\n"
     "resampling path, rotated by random angles and by 0 as the upright control (DESIGN.md §4); rotation-denoise\n"
     "on the first image of DIR/train_gt.npy (its size), tested upright and rotated by 90° (exact).\n"
     "--init sets where the learned methods of train-size-ct and train-size-mri start: zero (u0 = 0, the paper's\n"
     "Algorithm 2) or direct (u0 = the direct reconstruction: FBP with the filter chosen on the validation images,\n"
     "or zero-filling). Every train-size model keeps the parameters of its lowest validation loss.\n"
     "--group G: the group of the equivariant models of train-size-ct and train-size-mri (default C4; any group\n"
     "`eqr info` lists whose order divides the width). --backend: the tensor backend that trains the learned\n"
     "models of train-size-ct, train-size-mri and group-order (default cpu).\n\n"
     "Variants and run times (quick: measured on a shared 2-core machine; full: scaled from them and from\n"
     "bench_learned's 0.38 s per training step at 64x64, 8 iterations, width 96, i.e. ~1.5 s at 128x128):\n"
     "  rotation-denoise  --quick: 48x48, 3000 steps, width 32 (C4: 8 fields)            ~1.5 min\n"
     "                    full:    128x128, 10000 steps, width 96 (C4: 24 fields)         ~5 h on 2 cores\n"
     "  train-size-ct     --quick: 64x64, sizes 1/4/16, 4000 steps, 4 iterations, width 24,\n"
     "                             started from FBP (--init direct)                         ~8 min\n"
     "                    full:    128x128, sizes 1/10/100, 20000 steps, 8 iterations, u0 = 0,\n"
     "                             width 96, 50 test images                                ~50 h on 2 cores\n"
     "  train-size-mri    --quick: 48x48, sizes 1/4/16, 1500 steps, 4 iterations, width 48 ~4 min\n"
     "                    full:    as train-size-ct at 128x128                             ~50 h on 2 cores\n"
     "  group-order       --quick: 32x32, 16 images, 8 models x 800 steps, width 24         ~2.5 min\n"
     "                    full:    128x128, 100 images, 8 models x 20000 steps, width 96    ~65 h on 2 cores\n"
     "The full variants are meant for a many-core machine or a GPU (the paper: 10^5 steps on a P100).",
     run});

}  // namespace
