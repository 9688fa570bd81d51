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

namespace {

/// Numbers written with 17 significant digits, separated by spaces.
std::string number_list(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? " " : "") << values[i];
  return out.str();
}

/// The numbers of a list written by number_list.
std::vector<double> parse_number_list(const std::string& text) {
  std::istringstream in(text);
  std::vector<double> values;
  std::string word;
  while (in >> word) values.push_back(std::stod(word));
  return values;
}

}  // namespace

void RunConfig::save(const std::filesystem::path& file) const {
  std::ostringstream out;
  out.precision(17);
  const ProblemSetup& p = setup;
  out << "problem = " << p.kind << "\nmethod = " << spec.method << "\nmodel = " << spec.model << "\ngroup = " << group()
      << "\nsize = " << p.size << "\niterations = " << spec.iterations << "\nwidth = " << spec.width
      << "\nmemory = " << spec.memory << "\ninit = " << (warm_start ? "direct" : "zero")
      << "\noperator_norm = " << operator_norm << "\nseed = " << seed << "\ntrain_size = " << train_size
      << "\nmu = " << p.noise.mu << "\nnoise = " << p.noise.kind << "\nphotons = " << p.noise.photons
      << "\nsigma = " << p.noise.sigma << "\nrelative_sigma = " << p.noise.relative;
  if (p.kind == "ct") {
    out << "\nangles = " << (p.angles.empty() ? p.angle_count : p.angles.size()) << "\ndetectors = " << p.detectors
        << "\npixel_size = " << p.pixel_size << "\ndetector_spacing = " << p.detector_spacing;
    if (!p.angles.empty()) out << "\nangle_list = " << number_list(p.angles);
  }
  if (p.kind == "mri") {
    out << "\nmask_kind = " << p.mask_kind << "\nacceleration = " << p.acceleration
        << "\ncenter_fraction = " << p.center_fraction << "\nmask_seed = " << p.mask_seed;
    if (p.mask_kind == "given") out << "\nmask = " << number_list(p.mask);
  }
  out << "\ntrained_on = " << trained_on << "\ndata = " << data << "\n";
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
    const std::string kind = get("problem");
    const long size = std::stol(get("size"));
    EQR_EXPECTS(size > 0, io_error, "'", file.string(), "': expected a positive size, found ", size);
    // Runs written before the noise and geometry keys existed used each kind's defaults (and μ = 2.5
    // before the mu key).
    ProblemSetup& p = c.setup = ProblemSetup::defaults(kind, static_cast<std::size_t>(size));
    p.noise.mu = std::stod(get_or("mu", "2.5"));
    p.noise.kind = get_or("noise", p.noise.kind);
    p.noise.photons = std::stod(get_or("photons", std::to_string(p.noise.photons)));
    p.noise.sigma = std::stod(get_or("sigma", std::to_string(p.noise.sigma)));
    p.noise.relative = std::stod(get_or("relative_sigma", "0"));
    p.angle_count = static_cast<std::size_t>(std::stoul(get_or("angles", "50")));
    p.angles = parse_number_list(get_or("angle_list", ""));
    p.detectors = static_cast<std::size_t>(std::stoul(get_or("detectors", "0")));
    p.pixel_size = std::stod(get_or("pixel_size", "0"));
    p.detector_spacing = std::stod(get_or("detector_spacing", "0"));
    p.mask_kind = get_or("mask_kind", p.mask_kind);
    p.acceleration = std::stod(get_or("acceleration", "5"));
    p.center_fraction = std::stod(get_or("center_fraction", "0.08"));
    p.mask_seed = std::stoull(get_or("mask_seed", "1234"));
    p.mask = parse_number_list(get_or("mask", ""));
    c.spec.model = get("model");
    c.spec.group = get("group");
    c.spec.iterations = std::stoi(get("iterations"));
    c.spec.width = std::stol(get("width"));
    c.operator_norm = std::stod(get("operator_norm"));
    c.seed = std::stol(get("seed"));
    c.train_size = std::stol(get_or("train_size", "0"));
    c.spec.method = get_or("method", "lpg");
    c.spec.memory = std::stoi(get_or("memory", "5"));
    c.trained_on = get_or("trained_on", "cpu");
    c.data = get_or("data", "");
  } catch (const std::logic_error&) {
    throw io_error(eqr::detail::concat("'", file.string(), "': expected numbers for size, iterations, width, memory, ",
                                       "operator_norm, seed, train_size, mu, photons, sigma and the geometry and mask keys"));
  }
  const std::string init = get_or("init", "zero");
  EQR_EXPECTS(init == "zero" || init == "direct", io_error, "'", file.string(), "': expected init = zero or direct, found '",
              init, "'");
  c.warm_start = init == "direct";
  c.spec.seed = static_cast<std::uint64_t>(c.seed);
  try {
    c.validate();
  } catch (const value_error& e) {
    throw io_error(eqr::detail::concat("'", file.string(), "': ", e.what()));
  }
  return c;
}

void RunConfig::validate() const {
  setup.validate();
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
  const std::string n = std::to_string(c.setup.size);
  return make_problem(c.setup, "train", phantoms, c.data.empty() ? "" : n + "×" + n + " images of " + c.data);
}

std::size_t data_image_size(const std::filesystem::path& data) {
  const auto file = data / "train_gt.npy";
  EQR_EXPECTS(std::filesystem::exists(file), io_error, "--data '", data.string(),
              "': expected train_gt.npy (N, H, H) in it, found none");
  const std::vector<std::size_t> shape = io::read_npy_header(file).shape;  // the header: the data are read later
  EQR_EXPECTS(shape.size() == 3 && shape[0] >= 1 && shape[1] == shape[2], shape_error, "'", file.string(),
              "': expected square images (N, H, H), found ", io::detail::shape_string(shape));
  return shape[1];
}

std::vector<Tensor> measurements_of(const io::NpyArray& stack, const InverseProblem& problem) {
  const Shape4 range = problem.op.range_shape(1);
  const std::size_t plane = range.h * range.w, count = stack.size() / plane;
  std::vector<Tensor> out;
  out.reserve(count);
  if (range.c == 2) {
    const xt::xarray<std::complex<double>> v = stack.as<std::complex<double>>();
    for (std::size_t k = 0; k < count; ++k) {
      Tensor y = FB::zeros(range);
      for (std::size_t i = 0; i < plane; ++i) {
        y.data()[i] = static_cast<float>(v.flat(k * plane + i).real());
        y.data()[plane + i] = static_cast<float>(v.flat(k * plane + i).imag());
      }
      out.push_back(problem.op.apply(problem.op.adjoint(y)));
    }
  } else {
    const xt::xarray<double> v = stack.as<double>();
    for (std::size_t k = 0; k < count; ++k) {
      Tensor y = FB::zeros(range);
      for (std::size_t i = 0; i < plane; ++i) y.data()[i] = static_cast<float>(v.flat(k * plane + i));
      out.push_back(std::move(y));
    }
  }
  return out;
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
  const std::size_t count = gt.shape()[0], plane = d.plane();
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
  const std::vector<Tensor> given = obs ? measurements_of(*obs, problem) : std::vector<Tensor>();
  for (std::size_t k = 0; k < count; ++k) {
    Tensor u = FB::zeros(d);
    for (std::size_t i = 0; i < plane; ++i) u.data()[i] = static_cast<float>(g.flat(k * plane + i));
    Tensor y = obs ? given[k] : problem.noise(problem.op.apply(u), seed * 7919 + k);
    list.pairs.push_back({std::move(y), std::move(u)});
  }
  return list;
}

}  // namespace eqr::experiments
