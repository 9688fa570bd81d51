/// @file apps/eqr/experiments/model_run.hpp
/// The run directory of `eqr train` and how `eqr reconstruct` / `eqr evaluate` rebuild the trained method
/// from it. `model.cfg` (one `key = value` per line) records the problem (its operator geometry follows
/// from it, the image size and, for CT, μ), the method (lpg | lpd), the model, the group, the network width,
/// the number of iterations and the operator norm used for normalisation (DESIGN.md §3), so no geometry
/// flag is needed later; `checkpoint.eqrc` holds the parameters (and Adam's state, for --resume).
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "learned_model.hpp"
#include "problems.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/operators/image_operators.hpp"

namespace eqr::experiments {

/// The order |G| of a group `eqr train` offers for the equivariant model (the group-order experiment's,
/// Figure 6); 0 for any other name.
inline long group_order(const std::string& g) {
  static const std::map<std::string, long> orders{{"C2", 2}, {"C3", 3}, {"C4", 4}, {"C6", 6},
                                                   {"C8", 8}, {"C12", 12}, {"D4", 8}};
  const auto it = orders.find(g);
  return it == orders.end() ? 0 : it->second;
}

/// What a run directory records about its model.
struct RunConfig {
  std::string problem = "ct";       ///< denoise | ct | mri
  std::string method = "lpg";       ///< lpg (learned proximal gradient) | lpd (learned primal-dual)
  std::string model = "equivariant";  ///< equivariant | ordinary
  std::string group = "C4";
  long size = 32;                   ///< image size n (n×n)
  long iterations = 4;              ///< unrolled iterations
  long width = 24;                  ///< prox width (C4: width/4 regular fields)
  double operator_norm = 0;         ///< ‖A‖ used for normalisation (0: estimate)
  long seed = 0;                    ///< dataset seed
  long train_size = 0;              ///< number of training images (0: not recorded)
  double mu = ct_default_mu;        ///< CT: attenuation μ per image width (runs without the key used 2.5)

  /// Writes model.cfg atomically.
  void save(const std::filesystem::path& file) const {
    std::ostringstream out;
    out.precision(17);
    out << "problem = " << problem << "\nmethod = " << method << "\nmodel = " << model << "\ngroup = " << group << "\nsize = " << size
        << "\niterations = " << iterations << "\nwidth = " << width << "\nmemory = 5\noperator_norm = " << operator_norm
        << "\nseed = " << seed << "\ntrain_size = " << train_size << "\nmu = " << mu << "\n";
    io::save_text(file, out.str());
  }
  /// Reads model.cfg; io_error naming the file and the key for a missing or malformed entry.
  static RunConfig load(const std::filesystem::path& file) {
    std::ifstream in(file);
    EQR_EXPECTS(in.good(), io_error, "cannot read '", file.string(), "': expected the model.cfg of an `eqr train` run directory");
    std::map<std::string, std::string> kv;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      const auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t\r") + 1);
        return s;
      };
      kv[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    const auto get = [&](const std::string& key) {
      const auto it = kv.find(key);
      EQR_EXPECTS(it != kv.end(), io_error, "'", file.string(), "': expected a line '", key, " = …', found none");
      return it->second;
    };
    RunConfig c;
    try {
      c.problem = get("problem");
      c.model = get("model");
      c.group = get("group");
      c.size = std::stol(get("size"));
      c.iterations = std::stol(get("iterations"));
      c.width = std::stol(get("width"));
      c.operator_norm = std::stod(get("operator_norm"));
      c.seed = std::stol(get("seed"));
      if (kv.contains("train_size")) c.train_size = std::stol(kv.at("train_size"));
      c.method = kv.contains("method") ? kv.at("method") : "lpg";
      c.mu = kv.contains("mu") ? std::stod(kv.at("mu")) : 2.5;  // the μ of runs written before the key existed
    } catch (const std::logic_error&) {
      throw io_error(eqr::detail::concat("'", file.string(), "': expected numeric size, iterations, width, operator_norm, seed, train_size and mu"));
    }
    c.validate();
    return c;
  }
  /// Throws value_error naming the first unsupported setting.
  void validate() const {
    EQR_EXPECTS(problem == "denoise" || problem == "ct" || problem == "mri", value_error,
                "--problem: expected denoise, ct or mri, found '", problem, "'");
    EQR_EXPECTS(model == "equivariant" || model == "ordinary", value_error,
                "--model: expected equivariant or ordinary, found '", model, "'");
    EQR_EXPECTS(method == "lpg" || method == "lpd", value_error, "--method: expected lpg or lpd, found '", method, "'");
    EQR_EXPECTS(size >= 8 && size <= 1024, value_error, "--size: expected 8..1024, found ", size);
    EQR_EXPECTS(iterations >= 1 && iterations <= 32, value_error, "--iterations: expected 1..32, found ", iterations);
    EQR_EXPECTS(std::isfinite(mu) && mu > 0, value_error, "--mu: expected a positive attenuation, found ", mu);
    if (model == "ordinary") {
      EQR_EXPECTS(width >= 1 && width <= 512, value_error, "--width: expected 1..512 for the ordinary model, found ", width);
      return;
    }
    const long order = group_order(group);
    EQR_EXPECTS(order > 0, value_error, "--group: expected one of C2, C3, C4, C6, C8, C12, D4, found '", group, "'");
    EQR_EXPECTS(method == "lpg" || group == "C4", value_error,
                "--group: the equivariant learned primal-dual method is built for C4, found '", group, "'");
    const bool c4_width = width == 24 || width == 48 || width == 96;
    EQR_EXPECTS(group == "C4" ? c4_width : (width == 24 || width == 96), value_error, "--width: expected ",
                group == "C4" ? "24, 48 or 96" : "24 or 96", " for the equivariant ", group, " model (width/|G| = ",
                group == "C4" ? "6, 12 or 24" : (std::to_string(24 / order) + " or " + std::to_string(96 / order)),
                " regular fields), found ", width);
  }
};

/// The denoising problem: identity operator, Gaussian noise σ = 0.1, the noisy image as direct reconstruction.
inline TrainSizeProblem<Identity<FB>> denoise_problem(std::size_t n) {
  return {"denoise", "Denoising: y = u + N(0, 0.1²).", Identity<FB>(n, n, 1),
          [](const Tensor& u, std::uint64_t s) { return gaussian_noise(u, 0.1, s); },
          DirectReconstruction(Identity<FB>(n, n, 1)), "noisy", data::PhantomKind::oriented, n, {}, {{"sigma", 0.1}}};
}

/// Calls f(problem) with the problem of the configuration (CT, MRI with σ = 0.03, or denoising).
template <class F>
decltype(auto) with_problem(const RunConfig& c, F&& f) {
  const auto n = static_cast<std::size_t>(c.size);
  if (c.problem == "ct") return f(ct_problem(n, "train", c.mu));
  if (c.problem == "mri") return f(mri_problem(n, 0.03, "train"));
  return f(denoise_problem(n));
}

/// The learned method of the configuration with fresh parameters (seeded), over the problem's operator;
/// estimates ‖A‖ into c.operator_norm when it is not set yet. Defined per problem in apps/eqr/model_*.cpp.
std::unique_ptr<LearnedModel> make_learned_model(RunConfig& c, const TrainSizeProblem<Radon<FB>>& problem);
std::unique_ptr<LearnedModel> make_learned_model(RunConfig& c, const TrainSizeProblem<MaskedFourier<FB>>& problem);
std::unique_ptr<LearnedModel> make_learned_model(RunConfig& c, const TrainSizeProblem<Identity<FB>>& problem);

/// Builds the learned method of the configuration (fresh parameters, seeded) and calls f(model, problem).
template <class F>
void with_method(RunConfig& c, F&& f) {
  with_problem(c, [&](const auto& problem) {
    const std::unique_ptr<LearnedModel> model = make_learned_model(c, problem);
    f(*model, problem);
  });
}

/// Calls `f.template operator()<G, Fields>()` for the group and width of an equivariant configuration
/// (validated by RunConfig::validate: C4 at widths 24, 48, 96; the other groups at 24 and 96).
template <class F>
auto with_group(const RunConfig& c, F&& f) {
  const bool wide = c.width == 96;
  if (c.group == "C4") {
    if (c.width == 24) return f.template operator()<C4, 6>();
    if (c.width == 48) return f.template operator()<C4, 12>();
    return f.template operator()<C4, 24>();
  }
  if (c.group == "C2") return wide ? f.template operator()<C2, 48>() : f.template operator()<C2, 12>();
  if (c.group == "C3") return wide ? f.template operator()<C3, 32>() : f.template operator()<C3, 8>();
  if (c.group == "C6") return wide ? f.template operator()<C6, 16>() : f.template operator()<C6, 4>();
  if (c.group == "C8") return wide ? f.template operator()<C8, 12>() : f.template operator()<C8, 3>();
  if (c.group == "C12") return wide ? f.template operator()<C12, 8>() : f.template operator()<C12, 2>();
  return wide ? f.template operator()<D4, 12>() : f.template operator()<D4, 3>();
}

/// The body of `make_learned_model` for one problem: LPG (ordinary, or equivariant for every offered group)
/// with 5 memory channels, or LPD (ordinary, or C4-equivariant primal networks) with 5 primal and 5 dual
/// memory groups and dual networks as wide as the primal ones.
template <LinearOperatorOn<FB> Op>
std::unique_ptr<LearnedModel> make_learned_model_for(RunConfig& c, const TrainSizeProblem<Op>& problem) {
  c.validate();
  constexpr int C = std::is_same_v<Op, MaskedFourier<FB>> ? 2 : 1;
  constexpr int m = 5;
  if (c.operator_norm <= 0) c.operator_norm = opnorm(problem.op, 100);
  const auto seed = static_cast<std::uint64_t>(c.seed);
  const auto width = static_cast<std::size_t>(c.width);
  if (c.method == "lpd") {
    const std::size_t cy = problem.op.range_shape(1).c;
    const auto options = LearnedPrimalDualOptions().iterations(static_cast<int>(c.iterations)).primal_memory(m).dual_memory(m);
    if (c.model == "ordinary")
      return wrap_model(make_learned_primal_dual_ordinary<FB>(problem.op, c.operator_norm, C, cy, options, width, seed));
    const auto equivariant = [&]<int Fields>() {
      return wrap_model(make_learned_primal_dual_equivariant<C4, C, Fields, FB, m>(problem.op, c.operator_norm, cy, options,
                                                                                   width, seed));
    };
    if (c.width == 24) return equivariant.template operator()<6>();
    if (c.width == 48) return equivariant.template operator()<12>();
    return equivariant.template operator()<24>();
  }
  const auto options = LearnedProximalGradientOptions().iterations(static_cast<int>(c.iterations)).memory(m);
  if (c.model == "ordinary") {
    std::vector<OrdinaryProx<FB>> nets;
    for (long i = 0; i < c.iterations; ++i)
      nets.push_back(make_ordinary_prox<FB>(2 * C + m, C + m, width, 100 * static_cast<std::uint64_t>(i) + seed));
    return wrap_model(LearnedProximalGradient<FB, Op, OrdinaryProx<FB>>(problem.op, c.operator_norm, C, std::move(nets), options));
  }
  return with_group(c, [&]<class G, int Fields>() {
    using Net = EquivariantProx<G, 2 * C + m, Fields, C + m, FB>;
    std::vector<Net> nets;
    for (long i = 0; i < c.iterations; ++i)
      nets.push_back(make_equivariant_prox<G, 2 * C + m, Fields, C + m, FB>(100 * static_cast<std::uint64_t>(i) + seed));
    return wrap_model(LearnedProximalGradient<FB, Op, Net>(problem.op, c.operator_norm, C, std::move(nets), options));
  });
}

/// The pairs of a data directory split (CLI.md): `<split>_gt.npy` (N, H, W) real ground truths and, if present,
/// `<split>_obs.npy` measurements used as they are ((N, A, D) sinograms, (N, H, W) complex k-space, (N, H, W)
/// noisy images); missing measurements are simulated with the problem's operator and noise. Returns an empty
/// list when `<split>_gt.npy` does not exist. Throws shape_error naming the file for wrong shapes.
template <class Problem>
PairList<FB> load_pairs(const std::filesystem::path& dir, const std::string& split, const Problem& problem, std::uint64_t seed) {
  PairList<FB> list;
  const auto gt_file = dir / (split + "_gt.npy");
  if (!std::filesystem::exists(gt_file)) return list;
  const io::NpyArray gt = io::read_npy(gt_file);
  const Shape4 d = problem.op.domain_shape(1);
  const Shape4 r = problem.op.range_shape(1);
  EQR_EXPECTS(gt.shape().size() == 3 && gt.shape()[1] == d.h && gt.shape()[2] == d.w && !gt.is_complex(), shape_error,
              "'", gt_file.string(), "': expected real ground truths of shape (N, ", d.h, ", ", d.w, "), found ",
              io::detail::shape_string(gt.shape()), " (", io::dtype_name(gt.dtype()), ")");
  const std::size_t count = gt.shape()[0], plane = d.plane(), rplane = r.plane();
  const xt::xarray<double> g = gt.as<double>();
  const auto obs_file = dir / (split + "_obs.npy");
  std::optional<io::NpyArray> obs;
  if (std::filesystem::exists(obs_file)) {
    obs = io::read_npy(obs_file);
    EQR_EXPECTS(obs->shape().size() == 3 && obs->shape()[0] == count && obs->shape()[1] == r.h && obs->shape()[2] == r.w &&
                    obs->is_complex() == (r.c == 2),
                shape_error, "'", obs_file.string(), "': expected ", count, " ", r.c == 2 ? "complex" : "real",
                " measurements of shape (", count, ", ", r.h, ", ", r.w, "), found ", io::detail::shape_string(obs->shape()),
                " (", io::dtype_name(obs->dtype()), ")");
  }
  for (std::size_t k = 0; k < count; ++k) {
    Tensor u = FB::zeros(d);
    for (std::size_t i = 0; i < plane; ++i) u.data()[i] = static_cast<float>(g.flat(k * plane + i));
    Tensor y;
    if (obs) {
      y = FB::zeros(r);
      if (r.c == 2) {
        const xt::xarray<std::complex<double>> v = obs->as<std::complex<double>>();
        for (std::size_t i = 0; i < rplane; ++i) {
          y.data()[i] = static_cast<float>(v.flat(k * rplane + i).real());
          y.data()[rplane + i] = static_cast<float>(v.flat(k * rplane + i).imag());
        }
      } else {
        const xt::xarray<double> v = obs->as<double>();
        for (std::size_t i = 0; i < rplane; ++i) y.data()[i] = static_cast<float>(v.flat(k * rplane + i));
      }
    } else {
      y = problem.noise(problem.op.apply(u), seed * 7919 + k);
    }
    list.pairs.push_back({std::move(y), std::move(u)});
  }
  return list;
}

}  // namespace eqr::experiments
