/// @file apps/eqr/experiments/train_size.hpp
/// The training-set-size experiments (the paper's Figures 7 and 9): ordinary and G-equivariant learned
/// proximal gradient methods (C4 by default, `--group`) trained on nested synthetic training sets of several
/// sizes on the backend of `--backend`, evaluated with
/// the classical baselines (FBP or zero-filling, and TV) on an upright and an analytically rotated test set
/// that differ only in orientation (DESIGN.md §4). Shared by `train-size-ct` and `train-size-mri`.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common.hpp"
#include "models/model.hpp"
#include "problems.hpp"
#include "resample.hpp"
#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/io/report.hpp"
#include "eqr/io/report_panel.hpp"

namespace eqr::experiments {

/// The image size of a train-size experiment: its data directory's (where --size must agree), else --size, else
/// the variant's `n`.
inline std::size_t experiment_image_size(const ExperimentArgs& args, std::size_t n) {
  if (!args.data) return args.size ? static_cast<std::size_t>(*args.size) : n;
  const std::size_t size = data_image_size(*args.data);
  EQR_EXPECTS(!args.size || static_cast<std::size_t>(*args.size) == size, value_error, "--size: expected ", size,
              " (the images of '", args.data->string(), "') or no --size, found ", *args.size);
  return size;
}

/// How the report names the images: "" (the phantom family) or "N×N images of DIR".
inline std::string experiment_images(const ExperimentArgs& args, std::size_t size) {
  return args.data ? std::to_string(size) + "×" + std::to_string(size) + " images of " + args.data->string() : "";
}

/// Runs a train-size experiment with memory 5 and prox networks of `width` channels (the equivariant ones:
/// width/|G| regular fields of the group `args.group`, C4 by default); writes the report into args.out.
inline int run_train_size(const ExperimentArgs& args, const InverseProblem& problem, const TrainSizeSchedule& plan,
                          long width) {
  constexpr int memory = 5;
  const std::string group = args.group.value_or("C4");
  const std::string backend = args.backend.value_or("cpu");
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const std::uint64_t seed = static_cast<std::uint64_t>(args.seed);
  data::SyntheticSpec spec{problem.phantoms, problem.size(), data::Split::train, 0, seed, false, 2};
  const auto make = [&](data::Split split, long count, bool rotated) {
    auto s = spec;
    s.split = split;
    s.count = static_cast<std::size_t>(count);
    s.rotated = rotated;
    return data::make_pairs<FB>(problem.op, problem.noise, s);
  };
  long max_size = 0;
  for (long s : plan.sizes) max_size = std::max(max_size, s);
  nn::PairList<FB> train_all, val, test_up, test_rot;
  if (args.data) {
    // The user's images: the first images of each split; the test sets through one resampling path.
    const auto split = [&](const std::string& name, long count, std::uint64_t offset) {
      nn::PairList<FB> set = load_pairs(*args.data, name, problem, seed + offset);
      EQR_EXPECTS(static_cast<long>(set.pairs.size()) >= count, value_error, "--data '", args.data->string(), "': expected at least ",
                  count, " images in ", name, "_gt.npy for this schedule, found ", set.pairs.size());
      set.pairs.resize(static_cast<std::size_t>(count));
      return set;
    };
    train_all = split("train", max_size, 0);
    val = split("val", plan.validation_images, 1);
    std::tie(test_up, test_rot) = resampled_test_sets(split("test", plan.test_images, 2), problem, seed);
  } else {
    train_all = make(data::Split::train, max_size, false);
    val = make(data::Split::validation, plan.validation_images, false);
    test_up = make(data::Split::test, plan.test_images, false);
    test_rot = make(data::Split::test, plan.test_images, true);
  }
  std::filesystem::create_directories(args.out);  // the data are there: from now on the run writes its report
  const double op_norm = opnorm(problem.op, 100);
  std::cerr << problem.experiment << ": " << problem.size() << "x" << problem.size() << " " << (args.data ? args.data->string() : data::name(problem.phantoms))
            << " images, ||A|| = " << op_norm
            << ", sizes";
  for (long s : plan.sizes) std::cerr << " " << s;
  std::cerr << ", " << plan.steps << " steps per model\n";

  std::vector<ResultEntry> entries;
  std::vector<Tensor> direct_up, direct_rot, tv_up, tv_rot;
  // Classical baselines (independent of the training size; train_size 0 in results.json).
  ProblemGeometry direct_geometry = problem.geometry;
  std::string direct_setting;
  double best_direct = -1e9;
  for (const auto& [name, g] : problem.direct_variants) {
    const double p = detail::evaluate(problem.direct_name, "", 0, "validation", val, g.template direct<FB>()).mean_psnr();
    if (p > best_direct) {
      best_direct = p;
      direct_geometry = g;
      direct_setting = name;
    }
  }
  const DirectReconstruction direct = direct_geometry.direct<FB>();
  entries.push_back(detail::evaluate(problem.direct_name, "", 0, "upright", test_up, direct, &direct_up));
  entries.push_back(detail::evaluate(problem.direct_name, "", 0, "rotated", test_rot, direct, &direct_rot));
  double best_lambda = plan.tv_lambdas.front(), best_psnr = -1e9;
  const auto tv_with = [&](double lambda) {
    return [&problem, &plan, lambda](const Tensor& y) {
      return pdhg_tv(problem.op, y, lambda, PdhgOptions{}.iterations(plan.tv_iterations)).solution;
    };
  };
  for (double lambda : plan.tv_lambdas) {
    const double p = detail::evaluate("tv", "", 0, "validation", val, tv_with(lambda)).mean_psnr();
    if (p > best_psnr) {
      best_psnr = p;
      best_lambda = lambda;
    }
  }
  entries.push_back(detail::evaluate("tv", "", 0, "upright", test_up, tv_with(best_lambda), &tv_up));
  entries.push_back(detail::evaluate("tv", "", 0, "rotated", test_rot, tv_with(best_lambda), &tv_rot));
  std::cerr << "baselines done (TV lambda " << best_lambda << ", " << eqr::io::format_fixed(seconds_since(start), 0)
            << " s)\n";

  constexpr long validations = 20;  // per training run
  std::vector<std::pair<long, std::array<Tensor, 4>>> examples;  // per size: ord up, ord rot, equi up, equi rot
  for (long size : plan.sizes) {
    nn::PairList<FB> train_set;
    train_set.pairs.assign(train_all.pairs.begin(), train_all.pairs.begin() + size);
    std::array<Tensor, 4> ex;
    // Trains one method, exports its filters once (inference with plain convolutions: the same output at an
    // ordinary CNN's cost) and evaluates it on both test sets; its first test images go to ex[slot], ex[slot + 1].
    // Adam at plan.lr, then (from lr_drop_at·steps on) at plan.lr/10: the second phase resumes the first's
    // checkpoint (parameters and Adam's moments), so the schedule is one continuous run with a step decay.
    // The model evaluated is the one of the lowest validation loss over both phases (validations every 5 % of
    // the steps): model selection on the validation images, as for the baselines' λ and filter. With
    // plan.warm_start the method starts from u₀ = direct(y) (WarmStart), in training and in evaluation.
    const auto train_and_test = [&](const std::string& name, std::size_t slot) {
      const std::string label = name == "ordinary" ? "C1" : group;
      std::cerr << "training " << (name == "ordinary" ? name : group + "-" + name) << " LPG on " << size << " image(s)\n";
      RunConfig c;
      c.setup = problem.setup;
      c.seed = args.seed;
      c.operator_norm = op_norm;
      c.warm_start = plan.warm_start;
      c.spec.model = name;
      c.spec.group = group;
      c.spec.width = width;
      c.spec.iterations = plan.iterations;
      c.spec.memory = memory;
      c.spec.seed = seed;
      const std::unique_ptr<Model> model = make_model(backend, c, problem, direct_geometry);
      const long first = std::clamp(static_cast<long>(std::lround(plan.lr_drop_at * static_cast<double>(plan.steps))), 1L, plan.steps);
      const auto options = [&](long steps, double lr) {
        return TrainingOptions().steps(steps).lr(lr).clip_grad_norm(1.0).seed(seed + static_cast<std::uint64_t>(size))
            .validate_every(std::max(1L, plan.steps / validations)).keep_best(true)
            .run_dir(args.out / "runs" / (name + "-" + std::to_string(size)));
      };
      auto trained = model->train(train_set, val, options(first, plan.lr));
      if (first < plan.steps) trained = model->train(train_set, val, options(plan.steps, plan.lr / 10).resume(true));
      std::cerr << "kept the parameters of step " << trained.best_step << " (lowest validation loss)\n";
      std::vector<Tensor> up, rot;
      const auto reconstruct = [&](const Tensor& y) { return model->reconstruct(y); };
      entries.push_back(detail::evaluate(name, label, size, "upright", test_up, reconstruct, &up));
      entries.push_back(detail::evaluate(name, label, size, "rotated", test_rot, reconstruct, &rot));
      ex[slot] = up[0];
      ex[slot + 1] = rot[0];
    };
    train_and_test("ordinary", 0);
    train_and_test("equivariant", 2);
    examples.emplace_back(size, ex);
    std::cerr << "size " << size << ": ordinary " << eqr::io::format_fixed(mean_psnr_of(entries, "ordinary", "rotated", size), 2)
              << " dB rotated, equivariant " << eqr::io::format_fixed(mean_psnr_of(entries, "equivariant", "rotated", size), 2)
              << " dB rotated (" << eqr::io::format_fixed(seconds_since(start), 0) << " s)\n";
  }
  const double seconds = seconds_since(start);
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  // Claims.
  const double direct_rot_psnr = mean_psnr_of(entries, problem.direct_name, "rotated");
  const double tv_rot_psnr = mean_psnr_of(entries, "tv", "rotated");
  // (iii) "both learned methods beat the baselines" is judged at the largest training set, where the learned
  // methods have the data the claim presumes; whether it also holds at every size is reported beside it.
  const double best_baseline = std::max(direct_rot_psnr, tv_rot_psnr);
  bool equi_ge_ord = true, beat_baselines_every_size = true;
  for (long s : plan.sizes) {
    const double o = mean_psnr_of(entries, "ordinary", "rotated", s), e = mean_psnr_of(entries, "equivariant", "rotated", s);
    equi_ge_ord = equi_ge_ord && e >= o;
    beat_baselines_every_size = beat_baselines_every_size && std::min(o, e) > best_baseline;
  }
  const long smallest = plan.sizes.front(), largest = plan.sizes.back();
  const double ord_largest = mean_psnr_of(entries, "ordinary", "rotated", largest);
  const double equi_largest = mean_psnr_of(entries, "equivariant", "rotated", largest);
  const bool beat_baselines = std::min(ord_largest, equi_largest) > best_baseline;
  const double gap_smallest = mean_psnr_of(entries, "equivariant", "rotated", smallest) -
                              mean_psnr_of(entries, "ordinary", "rotated", smallest);

  // Figures.
  const auto truth_up = plane(test_up.pairs[0].target), truth_rot = plane(test_rot.pairs[0].target);
  const eqr::io::Window window{0.0, 1.0};
  const auto tile = [&](const std::string& name, const Tensor& r, const Tensor& truth) {
    const Quality q = quality(truth, r);
    return eqr::io::PanelTile{magnitude_image(r), {name, eqr::io::format_fixed(q.psnr, 2) + " DB " + eqr::io::format_fixed(q.ssim, 3)}, window};
  };
  std::vector<std::string> panel_files;
  for (const auto& [size, ex] : examples) {
    std::vector<eqr::io::PanelTile> tiles{
        {truth_up, {"TRUTH", "UPRIGHT"}, window}, tile(problem.direct_name, direct_up[0], test_up.pairs[0].target),
        tile("TV", tv_up[0], test_up.pairs[0].target), tile("ORDINARY", ex[0], test_up.pairs[0].target),
        tile("EQUIVARIANT " + group, ex[2], test_up.pairs[0].target),
        {truth_rot, {"TRUTH", "ROTATED"}, window}, tile(problem.direct_name, direct_rot[0], test_rot.pairs[0].target),
        tile("TV", tv_rot[0], test_rot.pairs[0].target), tile("ORDINARY", ex[1], test_rot.pairs[0].target),
        tile("EQUIVARIANT " + group, ex[3], test_rot.pairs[0].target)};
    const std::string file = "panel_train" + std::to_string(size) + ".png";
    eqr::io::save_panel(args.out / file, tiles, {5, problem.size() <= 64 ? 3u : 2u, 1, 6});
    panel_files.push_back(file);
  }
  std::vector<eqr::io::Series> series;
  for (const std::string model : {"ordinary", "equivariant"})
    for (const std::string test : {"upright", "rotated"}) {
      eqr::io::Series s{model + " (" + test + ")", {}, {}};
      for (long size : plan.sizes) {
        s.x.push_back(std::log10(static_cast<double>(size)));
        s.y.push_back(mean_psnr_of(entries, model, test, size));
      }
      series.push_back(s);
    }
  for (const std::string& model : {problem.direct_name, std::string("tv")}) {
    const double v = mean_psnr_of(entries, model, "rotated");
    series.push_back({model + " (rotated)", {std::log10(static_cast<double>(plan.sizes.front())),
                                             std::log10(static_cast<double>(plan.sizes.back()))}, {v, v}});
  }
  eqr::io::save_text(args.out / "psnr_vs_train_size.svg",
                     eqr::io::line_plot_svg(series, {"Mean test PSNR against training-set size", "log10(training images)",
                                                     "PSNR [dB]", false, 720, 440}));
  std::vector<eqr::io::BoxGroup> boxes;
  for (const auto& e : entries)
    if (e.test == "rotated" && (e.train_size == 0 || e.train_size == smallest))
      boxes.push_back({e.model, e.psnr});
  eqr::io::save_text(args.out / "psnr_rotated_smallest.svg",
                     eqr::io::box_plot_svg(boxes, {"Per-image PSNR, rotated test set, " + std::to_string(smallest) +
                                                       " training image(s)", "", "PSNR [dB]", false, 640, 400}));

  cli::JsonObject config;
  config.add("quick", args.quick).add("size", static_cast<long>(problem.size()))
      .add("phantoms", args.data ? std::string("none (data directory)") : data::name(problem.phantoms));
  if (args.data) config.add("data", args.data->string());
  config
      .add("steps", plan.steps).add("lr", plan.lr).add("lr_drop_at", plan.lr_drop_at).add("clip_grad_norm", 1.0).add("iterations", plan.iterations)
      .add("init", std::string(plan.warm_start ? "direct" : "zero"))
      .add("memory", memory).add("width", width).add("group", group).add("regular_fields", width / eqr::group_order(group))
      .add("backend", backend).add("test_images", plan.test_images)
      .add("operator_norm", op_norm).add("tv_lambda", best_lambda).add("tv_iterations", plan.tv_iterations)
      .add("direct_setting", direct_setting).add("validation_images", plan.validation_images)
      .add("validations_per_run", validations).add("model_selection", std::string("lowest validation loss"))
      .add("seed", args.seed).add("claim_equivariant_ge_ordinary_rotated_every_size", equi_ge_ord)
      .add("equivariant_minus_ordinary_rotated_smallest_db", gap_smallest)
      .add("claim_gap_smallest_ge_1_db", gap_smallest >= 1.0).add("claim_learned_beat_baselines_rotated", beat_baselines)
      .add("learned_beat_baselines_rotated_every_size", beat_baselines_every_size)
      .add("seconds", seconds).add("cpu_seconds", cpu_seconds).add("threads", static_cast<long>(cpu::max_threads()));
  for (const auto& [key, value] : problem.settings) config.add(key, value);
  write_results(args.out, problem.experiment, entries, config);

  eqr::io::MarkdownReport md;
  md.heading(problem.experiment, 1)
      .paragraph(problem.description + " Baselines: " +
                 (problem.geometry.kind == "ct"
                      ? "FBP (filter and frequency scaling chosen on the validation images) and TV (PDHG, λ chosen on them)."
                      : "zero-filled inverse DFT and TV (PDHG, vectorial over the two channels, λ chosen on the validation "
                        "images)."));
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries)
    rows.push_back({e.model, e.group, e.train_size == 0 ? "-" : std::to_string(e.train_size), e.test,
                    eqr::io::format_fixed(e.mean_psnr(), 2), eqr::io::format_fixed(e.mean_ssim(), 3),
                    std::to_string(e.psnr.size())});
  md.table({"model", "group", "training images", "test", "PSNR [dB]", "SSIM", "images"}, rows)
      .heading("Claims", 2)
      .bullets({std::string("Equivariant ≥ ordinary on the rotated test set at every training-set size: ") +
                    (equi_ge_ord ? "**holds**" : "**does not hold**"),
                "At the smallest size (" + std::to_string(smallest) + "), equivariant − ordinary on rotated images = " +
                    eqr::io::format_fixed(gap_smallest, 2) + " dB (claim ≥ 1 dB: " +
                    (gap_smallest >= 1.0 ? "**holds**" : "**does not hold**") + ")",
                "Both learned methods beat " + problem.direct_name + " and TV on rotated images at the largest size (" +
                    std::to_string(largest) + "): " + (beat_baselines ? "**holds**" : "**does not hold**") +
                    " (ordinary " + eqr::io::format_fixed(ord_largest, 2) + ", equivariant " +
                    eqr::io::format_fixed(equi_largest, 2) + ", " + problem.direct_name + " " +
                    eqr::io::format_fixed(direct_rot_psnr, 2) + ", TV " + eqr::io::format_fixed(tv_rot_psnr, 2) +
                    " dB); at every size: " + (beat_baselines_every_size ? "**holds**" : "**does not hold**")})
      .image("PSNR against training-set size", "psnr_vs_train_size.svg")
      .image("per-image PSNR", "psnr_rotated_smallest.svg");
  for (std::size_t k = 0; k < panel_files.size(); ++k)
    md.paragraph("Test image 0, upright (top) and rotated (bottom), models trained on " +
                 std::to_string(examples[k].first) + " image(s):")
        .image("panel", panel_files[k]);
  md.paragraph("Learned proximal gradient (Algorithm 2): " + std::to_string(plan.iterations) + " iterations, " +
               std::to_string(memory) + " memory channels, " +
               (plan.warm_start ? "started from u0 = the " + problem.direct_name + " reconstruction (the paper starts at 0)"
                                : std::string("u0 = 0")) +
               ", operator normalised by ||A|| = " +
               eqr::io::format_fixed(op_norm, 4) + " (power method). Prox: K_project ∘ (id + φ∘K_intermediate) ∘ φ ∘ K_lift, "
               "3×3, replicate padding, width " + std::to_string(width) + " (" + group + ": " +
               std::to_string(width / eqr::group_order(group)) + " regular fields), trained on the " + backend +
               " backend. Adam lr " + eqr::io::format_fixed(plan.lr, 4) +
               (plan.lr_drop_at < 1 ? " (÷10 after " + eqr::io::format_fixed(100 * plan.lr_drop_at, 0) + "% of the steps)" : std::string()) +
               ", batch 1, ½·MSE, clipping 1.0, " +
               std::to_string(plan.steps) + " steps per model; each model is evaluated with the parameters of its "
               "lowest validation loss (" + std::to_string(validations) + " validations per run, on the validation "
               "images below). TV by PDHG (" + std::to_string(plan.tv_iterations) +
               " iterations), λ = " + eqr::io::format_fixed(best_lambda, 5) + " chosen on " +
               std::to_string(plan.validation_images) + " validation images" +
               (direct_setting.empty() ? std::string() : "; " + problem.direct_name + ": " + direct_setting + ", chosen on them too") +
               (args.data ? ". The images are those of " + args.data->string() + " (train_gt, val_gt, test_gt); the "
                            "test sets go through one resampling path (2× bilinear up-sampling, rotation, 2×2 mean): the "
                            "rotated set by random angles, the upright one by 0 as its control, measurements simulated"
                          : std::string(". Rotated test images are the upright ones rotated analytically by random angles "
                                        "(ellipses rotated, then rendered), re-simulated")) +
               ". Run time " +
               eqr::io::format_fixed(seconds, 0) + " s wall, " + eqr::io::format_fixed(cpu_seconds, 0) + " s CPU (" +
               std::to_string(cpu::max_threads()) + " threads).")
      .code("eqr experiment " + problem.experiment + " --out " + args.out.string() + (args.quick ? " --quick" : "") +
            (args.phantoms ? " --phantoms " + data::name(*args.phantoms) : std::string()) +
            (args.data ? " --data " + args.data->string() : std::string()) +
            (args.group ? " --group " + *args.group : std::string()) + (args.backend ? " --backend " + *args.backend : std::string()) +
            (args.warm_start ? std::string(" --init ") + (*args.warm_start ? "direct" : "zero") : std::string()));
  md.save(args.out / "index.md");
  std::cout << problem.experiment << ": done in " << eqr::io::format_fixed(seconds, 0) << " s; report: "
            << (args.out / "index.md").string() << "\n";
  return 0;
}

}  // namespace eqr::experiments
