// `eqr experiment rotation-denoise` (the paper's Figure 1): ordinary and C4-equivariant denoisers trained on
// ONE (noisy, clean) pair of an image with mostly horizontal structure, tested on that pair and on the same
// pair rotated by 90° (DESIGN.md §4 protocol), plus fresh-noise versions of both orientations. The image is an
// oriented phantom, or with --data DIR the first image of DIR/train_gt.npy (a user's real anatomy).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "experiments/common.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/groups/image_action.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/io/report.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/io/report_panel.hpp"
#include "eqr/operators/noise.hpp"

namespace {

using namespace eqr::experiments;

/// ‖f(rot90 x) − rot90 f(x)‖ / ‖rot90 f(x)‖ of a trained network.
template <class Net>
double rot90_error(const Net& net, const Tensor& x) {
  const Tensor a = eqr::rot90(net.forward(x));
  const Tensor b = net.forward(eqr::rot90(x));
  return std::sqrt(FB::squared_norm(FB::subtract(a, b)) / FB::squared_norm(a));
}

/// The single training image: image 0 of DIR/train_gt.npy with --data (its own size; --size must agree), else an
/// n×n oriented phantom (wide horizontal body, inner ellipses within ±11° of it).
xt::xtensor<double, 2> training_image(const ExperimentArgs& args, std::size_t n, std::uint64_t seed) {
  if (!args.data) return eqr::data::phantom<double>(eqr::data::PhantomKind::oriented, n, 7 + seed);
  const std::filesystem::path file = *args.data / "train_gt.npy";
  const eqr::io::NpyArray gt = eqr::io::read_npy(file);
  EQR_EXPECTS(gt.ndim() == 3 && gt.shape()[0] >= 1 && gt.shape()[1] == gt.shape()[2] && gt.shape()[1] >= 8 && !gt.is_complex(),
              eqr::shape_error, "'", file.string(), "': expected real square images (N, n, n) with N >= 1 and n >= 8, found ",
              eqr::io::detail::shape_string(gt.shape()), " (", eqr::io::dtype_name(gt.dtype()), ")");
  const std::size_t size = gt.shape()[1];
  EQR_EXPECTS(!args.size || static_cast<std::size_t>(*args.size) == size, eqr::value_error, "--size: expected ", size,
              " (the images of '", args.data->string(), "') or no --size, found ", *args.size);
  const auto all = gt.as<double>();
  xt::xtensor<double, 2> image = xt::xtensor<double, 2>::from_shape({size, size});
  std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(size * size), image.begin());
  for (const double v : image)
    EQR_EXPECTS(std::isfinite(v), eqr::value_error, "'", file.string(), "': expected finite values, found ", v);
  return image;
}

/// The experiment at n×n (the data's size with --data) with `fields` regular C4 fields (width 4·fields) in both
/// denoisers.
int run_variant(const ExperimentArgs& args, std::size_t default_n, long steps, double lr, double sigma, int fields) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t seed = static_cast<std::uint64_t>(args.seed);
  const Tensor clean = batch_of(training_image(args, args.size ? static_cast<std::size_t>(*args.size) : default_n, seed));
  const std::size_t n = clean.shape()[3];
  const std::string image_text = args.data ? "image 0 of " + (*args.data / "train_gt.npy").string() + " (" + std::to_string(n) +
                                                 "×" + std::to_string(n) + ")"
                                           : "an " + std::to_string(n) + "×" + std::to_string(n) +
                                                 " oriented phantom (a wide horizontal body with inner ellipses mostly "
                                                 "aligned to it)";
  std::filesystem::create_directories(args.out);
  const Tensor noisy = eqr::gaussian_noise(clean, sigma, 1000 + seed);
  const Tensor fresh = eqr::gaussian_noise(clean, sigma, 2000 + seed);
  const eqr::nn::PairList<FB> train{{{noisy, clean}}};
  const eqr::nn::PairList<FB> none;
  const auto options = [&](const std::string& name) {
    return eqr::TrainingOptions().steps(steps).lr(lr).clip_grad_norm(1.0).seed(seed).checkpoint_every(std::max(1L, steps / 4))
        .run_dir(args.out / name);
  };
  const int width = 4 * fields;
  std::cerr << "rotation-denoise: " << n << "x" << n << " image, sigma " << sigma << ", " << steps
            << " Adam steps (lr " << lr << ") per model, width " << width << " (C4: " << fields << " regular fields)\n";
  auto ordinary = eqr::make_ordinary_prox<FB>(1, 1, static_cast<std::size_t>(width), 11 + seed);
  std::cerr << "training the ordinary denoiser\n";
  const auto r_ord = eqr::train(ordinary, train, none, options("ordinary"));
  auto equi = eqr::make_dynamic_equivariant_prox<eqr::C4, FB>(1, fields, 1, 11 + seed);
  std::cerr << "training the C4-equivariant denoiser\n";
  const auto r_equi = eqr::train(equi, train, none, options("equivariant"));

  // Tests: upright = the training pair; rotated = the same noisy image rotated by 90° against the rotated
  // clean image; and both with fresh noise.
  struct Test {
    std::string test, note;
    Tensor input, truth;
  };
  const std::vector<Test> tests{{"upright", "", noisy, clean},
                                {"rotated", "", eqr::rot90(noisy), eqr::rot90(clean)},
                                {"upright", "fresh-noise", fresh, clean},
                                {"rotated", "fresh-noise", eqr::rot90(fresh), eqr::rot90(clean)}};
  std::vector<ResultEntry> entries;
  std::vector<Tensor> outputs_ord, outputs_equi;
  for (const auto& t : tests) {
    ResultEntry e_noisy{"noisy", "", 1, t.test, {}, {}, t.note};
    e_noisy.add(quality(t.truth, t.input));
    const Tensor o = ordinary.forward(t.input), q = equi.forward(t.input);
    ResultEntry e_ord{"ordinary", "C1", 1, t.test, {}, {}, t.note};
    e_ord.add(quality(t.truth, o));
    ResultEntry e_equi{"equivariant", "C4", 1, t.test, {}, {}, t.note};
    e_equi.add(quality(t.truth, q));
    entries.insert(entries.end(), {e_noisy, e_ord, e_equi});
    outputs_ord.push_back(o);
    outputs_equi.push_back(q);
  }
  const double err_ord = rot90_error(ordinary, noisy), err_equi = rot90_error(equi, noisy);
  const double seconds = seconds_since(start);

  // Figures: the panel (rows: upright, rotated; columns: clean, noisy, ordinary, equivariant), the PSNR plot
  // and the training losses.
  std::vector<eqr::io::PanelTile> tiles;
  const eqr::io::Window window{0.0, 1.0};
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& t = tests[k];
    const auto label = [](const std::string& name, const Quality& q) {
      return std::vector<std::string>{name, eqr::io::format_fixed(q.psnr, 2) + " DB " + eqr::io::format_fixed(q.ssim, 3)};
    };
    tiles.push_back({plane(t.truth), {"CLEAN", k == 0 ? "UPRIGHT" : "ROTATED 90"}, window});
    tiles.push_back({plane(t.input), label("NOISY", quality(t.truth, t.input)), window});
    tiles.push_back({plane(outputs_ord[k]), label("ORDINARY", quality(t.truth, outputs_ord[k])), window});
    tiles.push_back({plane(outputs_equi[k]), label("EQUIVARIANT C4", quality(t.truth, outputs_equi[k])), window});
  }
  eqr::io::save_panel(args.out / "panel.png", tiles, {4, n <= 64 ? 3u : 2u, 1, 6});
  std::vector<eqr::io::Series> psnr_series;
  for (const std::string model : {"noisy", "ordinary", "equivariant"}) {
    eqr::io::Series s{model, {0, 1}, {mean_psnr_of(entries, model, "upright"), mean_psnr_of(entries, model, "rotated")}};
    psnr_series.push_back(s);
  }
  eqr::io::save_text(args.out / "psnr.svg",
                     eqr::io::line_plot_svg(psnr_series, {"PSNR on the training pair: 0 = upright, 1 = rotated 90 deg",
                                                          "test orientation", "PSNR [dB]", false, 640, 400}));
  std::vector<eqr::io::Series> loss_series;
  for (const auto& [name, r] : {std::pair{"ordinary", &r_ord}, std::pair{"equivariant C4", &r_equi}}) {
    eqr::io::Series s{name, {}, {}};
    const std::size_t every = std::max<std::size_t>(1, r->log.size() / 200);
    for (std::size_t k = 0; k < r->log.size(); k += every) {
      s.x.push_back(static_cast<double>(r->log[k].step));
      s.y.push_back(r->log[k].loss);
    }
    loss_series.push_back(s);
  }
  eqr::io::save_text(args.out / "loss.svg",
                     eqr::io::line_plot_svg(loss_series, {"Training loss (1/2 MSE)", "step", "loss", true, 640, 400}));

  const double ord_up = mean_psnr_of(entries, "ordinary", "upright"), ord_rot = mean_psnr_of(entries, "ordinary", "rotated");
  const double eq_up = mean_psnr_of(entries, "equivariant", "upright"), eq_rot = mean_psnr_of(entries, "equivariant", "rotated");
  const bool equi_ok = eq_up - eq_rot <= 0.5, ord_ok = ord_up - ord_rot >= 5.0;
  eqr::cli::JsonObject config;
  config.add("quick", args.quick).add("size", static_cast<long>(n)).add("sigma", sigma).add("steps", steps)
      .add("lr", lr).add("clip_grad_norm", 1.0).add("width", width).add("c4_regular_fields", fields)
      .add("seed", args.seed).add("rot90_error_ordinary", err_ord).add("rot90_error_equivariant", err_equi)
      .add("psnr_drop_ordinary", ord_up - ord_rot).add("psnr_drop_equivariant", eq_up - eq_rot)
      .add("claim_equivariant_drop_le_0_5_db", equi_ok).add("claim_ordinary_drop_ge_5_db", ord_ok)
      .add("seconds", seconds);
  write_results(args.out, "rotation-denoise", entries, config);

  eqr::io::MarkdownReport md;
  md.heading("Rotation denoising (the paper's Figure 1)", 1)
      .paragraph("An ordinary CNN and a C4-equivariant CNN (the paper's prox architecture K_project ∘ (id + φ∘K_intermediate) "
                 "∘ φ ∘ K_lift, 3×3, replicate padding, width " + std::to_string(width) + ", C4: " +
                 std::to_string(fields) + " regular fields) are trained to denoise ONE pair: " + image_text + " with Gaussian noise σ = " + eqr::io::format_fixed(sigma, 2) + ". They are tested on that "
                 "pair (upright) and on the same pair rotated by 90° (rotated), and on both orientations with fresh "
                 "noise (a model that memorised the training noise loses on fresh noise in *both* orientations — "
                 "overfitting, not a rotation effect).")
      .image("panel", "panel.png");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries)
    rows.push_back({e.model, e.group, e.test, e.note.empty() ? "training noise" : "fresh noise",
                    eqr::io::format_fixed(e.mean_psnr(), 2), eqr::io::format_fixed(e.mean_ssim(), 3)});
  md.table({"model", "group", "test", "noise", "PSNR [dB]", "SSIM"}, rows)
      .heading("Claims", 2)
      .bullets({"Equivariant model loses ≤ 0.5 dB when the test image is rotated: " +
                    eqr::io::format_fixed(eq_up, 2) + " → " + eqr::io::format_fixed(eq_rot, 2) + " dB (drop " +
                    eqr::io::format_fixed(eq_up - eq_rot, 2) + " dB) — " + (equi_ok ? "**holds**" : "**does not hold**"),
                "Ordinary model loses ≥ 5 dB: " + eqr::io::format_fixed(ord_up, 2) + " → " +
                    eqr::io::format_fixed(ord_rot, 2) + " dB (drop " + eqr::io::format_fixed(ord_up - ord_rot, 2) +
                    " dB) — " + (ord_ok ? "**holds**" : "**does not hold**"),
                "End-to-end rot90 equivariance error ‖f(rot x) − rot f(x)‖/‖rot f(x)‖ of the trained networks: "
                "equivariant " + eqr::io::format_fixed(err_equi * 1e6, 3) + "·10⁻⁶ (float rounding), ordinary " +
                    eqr::io::format_fixed(err_ord, 3)})
      .image("PSNR upright vs rotated", "psnr.svg")
      .image("training loss", "loss.svg")
      .paragraph("Training: Adam, lr " + eqr::io::format_fixed(lr, 4) + ", batch 1, loss ½·MSE, gradient-norm clipping 1.0, " +
                 std::to_string(steps) + " steps per model (a single training pair needs a larger learning rate than "
                 "the paper's 1e-4 to be fitted within the step budget). Run time " +
                 eqr::io::format_fixed(seconds, 0) + " s. All numbers are in results.json (means) and per_image.json.")
      .code(std::string("eqr experiment rotation-denoise --out ") + args.out.string() + (args.quick ? " --quick" : "") +
            (args.data ? " --data " + args.data->string() : ""));
  md.save(args.out / "index.md");
  std::cout << "rotation-denoise: ordinary " << eqr::io::format_fixed(ord_up, 2) << " -> " << eqr::io::format_fixed(ord_rot, 2)
            << " dB, equivariant " << eqr::io::format_fixed(eq_up, 2) << " -> " << eqr::io::format_fixed(eq_rot, 2)
            << " dB (" << eqr::io::format_fixed(seconds, 0) << " s); report: " << (args.out / "index.md").string() << "\n";
  return 0;
}

int run(const ExperimentArgs& args) {
  if (args.quick) return run_variant(args, 48, args.steps > 0 ? args.steps : 3000, 1e-3, 0.1, 8);
  return run_variant(args, 128, args.steps > 0 ? args.steps : 10000, 1e-3, 0.1, 24);
}

const bool registered = register_experiment(
    {"rotation-denoise", "Figure 1: denoisers trained on one horizontal image, tested rotated by 90 degrees", run});

}  // namespace
