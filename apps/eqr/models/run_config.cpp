// The run directory's model.cfg and data (models/run_config.hpp), compiled once.
#include "models/run_config.hpp"

#include <cmath>
#include <complex>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "eqr/io/npy.hpp"

namespace eqr::experiments {

void RunConfig::save(const std::filesystem::path& file) const {
  std::ostringstream out;
  out.precision(17);
  out << "problem = " << problem << "\nmethod = " << spec.method << "\nmodel = " << spec.model << "\ngroup = " << group()
      << "\nsize = " << size << "\niterations = " << spec.iterations << "\nwidth = " << spec.width
      << "\nmemory = " << spec.memory << "\ninit = " << (warm_start ? "direct" : "zero")
      << "\noperator_norm = " << operator_norm << "\nseed = " << seed << "\ntrain_size = " << train_size
      << "\nmu = " << mu << "\ntrained_on = " << trained_on << "\n";
  io::save_text(file, out.str());
}

RunConfig RunConfig::load(const std::filesystem::path& file) {
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
  const auto get_or = [&](const std::string& key, const std::string& fallback) {
    return kv.contains(key) ? kv.at(key) : fallback;
  };
  RunConfig c;
  try {
    c.problem = get("problem");
    c.spec.model = get("model");
    c.spec.group = get("group");
    c.size = std::stol(get("size"));
    c.spec.iterations = std::stoi(get("iterations"));
    c.spec.width = std::stol(get("width"));
    c.operator_norm = std::stod(get("operator_norm"));
    c.seed = std::stol(get("seed"));
    c.train_size = std::stol(get_or("train_size", "0"));
    c.spec.method = get_or("method", "lpg");
    c.spec.memory = std::stoi(get_or("memory", "5"));
    c.mu = std::stod(get_or("mu", "2.5"));  // the μ of runs written before the key existed
    c.trained_on = get_or("trained_on", "cpu");
  } catch (const std::logic_error&) {
    throw io_error(eqr::detail::concat("'", file.string(), "': expected numeric size, iterations, width, memory, ",
                                       "operator_norm, seed, train_size and mu"));
  }
  const std::string init = get_or("init", "zero");
  EQR_EXPECTS(init == "zero" || init == "direct", io_error, "'", file.string(), "': expected init = zero or direct, found '",
              init, "'");
  c.warm_start = init == "direct";
  c.spec.seed = static_cast<std::uint64_t>(c.seed);
  c.validate();
  return c;
}

void RunConfig::validate() const {
  EQR_EXPECTS(problem == "denoise" || problem == "ct" || problem == "mri", value_error,
              "--problem: expected denoise, ct or mri, found '", problem, "'");
  EQR_EXPECTS(size >= 8 && size <= 1024, value_error, "--size: expected 8..1024, found ", size);
  EQR_EXPECTS(std::isfinite(mu) && mu > 0, value_error, "--mu: expected a positive attenuation, found ", mu);
  try {
    spec.validate();
  } catch (const value_error& e) {
    throw value_error(std::string("--") + e.what());
  }
}

std::filesystem::path checkpoint_of(const std::filesystem::path& run_dir) {
  const auto best = run_dir / "best.eqrc";
  if (!std::filesystem::exists(best)) return run_dir / "checkpoint.eqrc";
  std::cerr << "using " << best.string() << " (the parameters of the lowest validation loss)\n";
  return best;
}

InverseProblem problem_of(const RunConfig& c, data::PhantomKind phantoms) {
  const auto n = static_cast<std::size_t>(c.size);
  if (c.problem == "ct") return ct_problem(n, "train", c.mu, 1e4, phantoms);
  if (c.problem == "mri") return mri_problem(n, 0.03, "train", phantoms);
  return denoise_problem(n);
}

nn::PairList<FB> load_pairs(const std::filesystem::path& dir, const std::string& split, const InverseProblem& problem,
                            std::uint64_t seed) {
  nn::PairList<FB> list;
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
