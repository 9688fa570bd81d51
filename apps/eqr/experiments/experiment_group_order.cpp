// `eqr experiment group-order` (the paper's Figure 6): learned proximal gradient methods for CT, equivariant
// to C2, C3, C4, C6, C8, C12 and D4 (and the ordinary C1 network), all at the same width (|G| × regular fields
// = const), trained on the same training set and compared on held-out images.  It compares groups with each
// other, not with TV, so it keeps the piecewise-constant oriented phantoms by default (`--phantoms`, `--mu` and
// `--photons` apply here too).
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "models/model.hpp"
#include "experiments/problems.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/io/report.hpp"

namespace {

using namespace eqr::experiments;
constexpr int memory = 5;

/// The groups compared, in the order of the report (C_M for M = 2, 3, 4, 6, 8, 12, and D4).
const std::vector<std::string> compared_groups = {"C2", "C3", "C4", "C6", "C8", "C12", "D4"};

/// All compared groups at one width (C_M gets width/M regular fields; the width must be a multiple of 24).
int run_width(const ExperimentArgs& args, std::size_t n, const TrainSizeSchedule& plan, long train_size, long width) {
  EQR_EXPECTS(width % 24 == 0, eqr::value_error, "group-order: expected a width divisible by 2, 3, 4, 6, 8 and 12 "
              "(a multiple of 24), found ", width);
  const std::string backend = args.backend.value_or("cpu");
  const auto start = std::chrono::steady_clock::now();
  std::filesystem::create_directories(args.out);
  const auto problem = ct_problem(n, "group-order", args.mu.value_or(ct_default_mu), args.photons.value_or(1e4),
                                  args.phantoms.value_or(eqr::data::PhantomKind::oriented));
  eqr::data::SyntheticSpec spec{problem.phantoms, n, eqr::data::Split::train, static_cast<std::size_t>(train_size),
                                static_cast<std::uint64_t>(args.seed), false, 2};
  const auto train = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  spec.split = eqr::data::Split::validation;
  spec.count = static_cast<std::size_t>(plan.validation_images);
  const auto val = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  spec.split = eqr::data::Split::test;
  spec.count = static_cast<std::size_t>(plan.test_images);
  const auto test_up = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  spec.rotated = true;
  const auto test_rot = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  const double op_norm = eqr::opnorm(problem.op, 100);
  std::cerr << "group-order: " << n << "x" << n << " CT, " << train_size << " training images, width " << width << ", "
            << plan.steps << " steps per model\n";

  // Trains one method (ordinary, or equivariant to `group`) and appends its upright and rotated results.
  std::vector<ResultEntry> entries;
  const auto run_one = [&](const std::string& model, const std::string& group) {
    RunConfig c;
    c.setup = problem.setup;
    c.seed = args.seed;
    c.operator_norm = op_norm;
    c.spec.model = model;
    c.spec.group = model == "ordinary" ? "C1" : group;
    c.spec.width = width;
    c.spec.iterations = plan.iterations;
    c.spec.memory = memory;
    c.spec.seed = static_cast<std::uint64_t>(args.seed);
    const std::unique_ptr<Model> m = make_model(backend, c, problem);
    std::cerr << "training " << model << " " << group << " (|G| = " << eqr::group_order(group) << ")\n";
    (void)m->train(train, val,
                   eqr::TrainingOptions().steps(plan.steps).lr(plan.lr).clip_grad_norm(1.0)
                       .seed(static_cast<std::uint64_t>(args.seed)).run_dir(args.out / "runs" / group));
    const auto f = [&](const Tensor& y) { return m->reconstruct(y); };  // the filters expanded once
    entries.push_back(detail::evaluate(model, group, train_size, "upright", test_up, f));
    entries.push_back(detail::evaluate(model, group, train_size, "rotated", test_rot, f));
  };
  run_one("ordinary", "C1");
  for (const auto& g : compared_groups) run_one("equivariant", g);
  const double seconds = seconds_since(start);

  // The plots run over the cyclic groups C_M against M (C1 = the ordinary network).
  std::vector<std::pair<std::string, int>> orders{{"C1", 1}};
  for (const auto& g : compared_groups)
    if (g.front() == 'C') orders.emplace_back(g, eqr::group_order(g));
  std::vector<eqr::io::Series> psnr_series, ssim_series;
  for (const std::string test : {"upright", "rotated"}) {
    eqr::io::Series p{"C_M, " + test, {}, {}}, q{"C_M, " + test, {}, {}};
    for (const auto& [g, m] : orders)
      for (const auto& e : entries)
        if (e.group == g && e.test == test) {
          p.x.push_back(m);
          p.y.push_back(e.mean_psnr());
          q.x.push_back(m);
          q.y.push_back(e.mean_ssim());
        }
    psnr_series.push_back(p);
    ssim_series.push_back(q);
  }
  eqr::io::save_text(args.out / "psnr_vs_order.svg",
                     eqr::io::line_plot_svg(psnr_series, {"Test PSNR against the group order M of C_M (C1 = ordinary)",
                                                          "M", "PSNR [dB]", false, 640, 400}));
  eqr::io::save_text(args.out / "ssim_vs_order.svg",
                     eqr::io::line_plot_svg(ssim_series, {"Test SSIM against the group order M of C_M (C1 = ordinary)",
                                                          "M", "SSIM", false, 640, 400}));
  std::vector<eqr::io::BoxGroup> boxes;
  for (const auto& e : entries)
    if (e.test == "upright") boxes.push_back({e.group, e.ssim});
  eqr::io::save_text(args.out / "ssim_box.svg",
                     eqr::io::box_plot_svg(boxes, {"Per-image SSIM, upright test set", "", "SSIM", false, 720, 400}));

  // The paper's finding: the on-grid rotation groups (C2, C4) outperform the others, C4 best.
  std::string best;
  double best_ssim = -1;
  for (const auto& e : entries)
    if (e.test == "upright" && e.mean_ssim() > best_ssim) {
      best_ssim = e.mean_ssim();
      best = e.group;
    }
  eqr::cli::JsonObject config;
  config.add("quick", args.quick).add("size", static_cast<long>(n)).add("phantoms", eqr::data::name(problem.phantoms))
      .add("train_size", train_size)
      .add("steps", plan.steps).add("lr", plan.lr).add("iterations", plan.iterations).add("memory", memory)
      .add("width", width).add("backend", backend).add("test_images", plan.test_images).add("best_group_upright_ssim", best)
      .add("seed", args.seed).add("seconds", seconds);
  write_results(args.out, "group-order", entries, config);

  eqr::io::MarkdownReport md;
  md.heading("Group order (the paper's Figure 6)", 1)
      .paragraph(problem.description + " Learned proximal gradient methods equivariant to C_M (M = 2, 3, 4, 6, 8, 12) "
                 "and D4, and the ordinary one (C1), all with the same width " + std::to_string(width) + " (|G| × regular "
                 "fields), trained on the same " + std::to_string(train_size) + " images. Rotations by multiples of "
                 "90° (C2, C4, D4) map the pixel grid onto itself; the other groups act through the interpolating "
                 "harmonic basis, so their equivariance is approximate.");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries)
    rows.push_back({e.model, e.group, e.test, eqr::io::format_fixed(e.mean_psnr(), 2), eqr::io::format_fixed(e.mean_ssim(), 4),
                    std::to_string(e.psnr.size())});
  md.table({"model", "group", "test", "PSNR [dB]", "SSIM", "images"}, rows)
      .paragraph("Best mean SSIM on the upright test set: **" + best + "** (the paper finds C4 best, with the on-grid "
                 "groups C2 and C4 clearly ahead of the others).")
      .image("SSIM against group order", "ssim_vs_order.svg")
      .image("PSNR against group order", "psnr_vs_order.svg")
      .image("per-image SSIM", "ssim_box.svg")
      .paragraph("Adam lr " + eqr::io::format_fixed(plan.lr, 4) + ", batch 1, ½·MSE, clipping 1.0, " + std::to_string(plan.steps) +
                 " steps per model, " + std::to_string(plan.iterations) + " unrolled iterations, " +
                 std::to_string(memory) + " memory channels. Run time " + eqr::io::format_fixed(seconds, 0) + " s.")
      .code("eqr experiment group-order --out " + args.out.string() + (args.quick ? " --quick" : ""));
  md.save(args.out / "index.md");
  std::cout << "group-order: best upright SSIM " << best << " (" << eqr::io::format_fixed(best_ssim, 4) << "), "
            << eqr::io::format_fixed(seconds, 0) << " s; report: " << (args.out / "index.md").string() << "\n";
  return 0;
}

int run(const ExperimentArgs& args) {
  TrainSizeSchedule plan;
  plan.validation_images = 2;
  if (args.quick) {
    plan.test_images = 8;
    plan.steps = args.steps > 0 ? args.steps : 800;
    plan.iterations = 4;
    plan.lr = 1e-3;
    return run_width(args, 32, plan, 16, 24);
  }
  plan.test_images = 50;
  plan.steps = args.steps > 0 ? args.steps : 20000;
  plan.iterations = 8;
  plan.lr = 1e-4;
  return run_width(args, 128, plan, 100, 96);
}

const bool registered = register_experiment(
    {"group-order", "Figure 6: CT with C2, C3, C4, C6, C8, C12 and D4 at matched width", run});

}  // namespace
