// `eqr basis`: builds the steerable kernel basis between one input and one output field, prints its size and the
// largest violation of the kernel constraint (paper, Eq. 8), and optionally saves the sampled basis as .npy.

// GCC 12 reports a false -Wmaybe-uninitialized inside <immintrin.h> once Eigen's AVX-512 code is inlined
// (-march=native; GCC bug 105593, fixed in GCC 13); the state must be set before the first include.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "support/cli.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/config.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"
#include "support/json.hpp"

namespace {

using eqr::cli::usage_error;

/// The field representation named on the command line: trivial, regular, irrep:K or irrep:J,K.
template <eqr::FiniteGroup G>
eqr::RepresentationData<G> parse_field(const std::string& flag, const std::string& text) {
  if (text == "trivial") return eqr::trivial_representation<G>();
  if (text == "regular") return eqr::regular_representation<G>();
  const std::string prefix = "irrep:";
  if (text.rfind(prefix, 0) != 0)
    throw usage_error("--" + flag + ": expected trivial, regular, irrep:K or irrep:J,K, found '" + text + "'");
  const std::string rest = text.substr(prefix.size());
  const auto comma = rest.find(',');
  eqr::IrrepId psi;
  if (comma == std::string::npos) {
    psi.k = static_cast<int>(eqr::cli::parse_integer(rest, "--" + flag + " irrep frequency"));
    const bool two_dimensional = psi.k > 0 && 2 * psi.k < G::rotation_order();
    if (eqr::is_dihedral_v<G>) {
      if (!two_dimensional)
        throw usage_error("--" + flag + ": the one-dimensional irreps of " + G::name() +
                          " come in pairs; expected irrep:J,K with the flip character J in {0,1}, found '" + text + "'");
      psi.j = 1;
    }
  } else {
    psi.j = static_cast<int>(eqr::cli::parse_integer(rest.substr(0, comma), "--" + flag + " flip character"));
    psi.k = static_cast<int>(eqr::cli::parse_integer(rest.substr(comma + 1), "--" + flag + " irrep frequency"));
  }
  if (!eqr::is_irrep<G>(psi))
    throw usage_error("--" + flag + ": '" + text + "' is not an irrep of " + G::name() + ": expected K in 0.." +
                      std::to_string(G::rotation_order() / 2) +
                      (eqr::is_dihedral_v<G> ? " and J in {0,1} (J = 1 for 0 < K < M/2)" : " (and J = 0)"));
  return eqr::irrep_representation<G>(psi);
}

/// The number of group elements that map the pixel grid onto itself (those the residual is measured over).
template <eqr::FiniteGroup G>
int grid_preserving_count() {
  int n = 0;
  for (int i = 0; i < G::order(); ++i) n += eqr::preserves_grid<G>(G::element_at(i));
  return n;
}

struct Request {
  std::string group, in, out, solver;
  int kernel = 0;
  bool json = false;
  std::optional<std::string> save;
};

/// Writes the basis as float64 (size, C_out, C_in, K, K), atomically (io/npy.hpp writes temp file + rename).
void save_basis(const std::string& path, const eqr::SampledBasis& basis) {
  const auto k = static_cast<std::size_t>(basis.kernel_size);
  eqr::io::NpyArray array(eqr::io::DType::float64, {static_cast<std::size_t>(basis.size()),
                                            static_cast<std::size_t>(basis.c_out),
                                            static_cast<std::size_t>(basis.c_in), k, k});
  auto& values = array.values<double>();
  std::copy(basis.matrix.data(), basis.matrix.data() + basis.matrix.size(), values.begin());
  eqr::io::write_npy(path, array);
}

template <eqr::FiniteGroup G>
int run_for(const Request& request) {
  const auto in = parse_field<G>("in", request.in);
  const auto out = parse_field<G>("out", request.out);
  const eqr::SampledBasis basis = request.solver == "grid" ? eqr::solve_grid_checked<G>(in, out, request.kernel)
                                                           : eqr::solve_harmonic<G>(in, out, request.kernel);
  const double residual = eqr::kernel_constraint_residual<G>(basis, in, out);
  if (request.save) save_basis(*request.save, basis);
  if (request.json) {
    std::cout << eqr::cli::JsonObject{}
                     .add("group", request.group)
                     .add("in", request.in)
                     .add("out", request.out)
                     .add("kernel", request.kernel)
                     .add("solver", request.solver)
                     .add("size", basis.size())
                     .add("constraint_residual", residual)
                     .str()
              << "\n";
  } else {
    std::cout << request.solver << " basis of " << request.group << " kernels " << request.kernel << "x"
              << request.kernel << ", " << request.in << " (" << in.size << " channels) -> " << request.out << " ("
              << out.size << " channels): " << basis.size() << " elements\n"
              << "largest constraint residual: " << residual << " (over the " << grid_preserving_count<G>()
              << " of " << G::order() << " group elements that map the pixel grid onto itself)\n";
    if (request.save) std::cout << "saved (" << basis.size() << ", " << out.size << ", " << in.size << ", "
                                << request.kernel << ", " << request.kernel << ") float64 to " << *request.save << "\n";
  }
  return 0;
}

int run(eqr::cli::Args& args) {
  Request request;
  request.group = args.required("group");
  request.in = args.required("in");
  request.out = args.required("out");
  const long kernel = args.integer("kernel", -1);
  if (kernel == -1) throw usage_error("--kernel: expected an odd kernel size such as 3, found none");
  if (kernel < 1 || kernel > 99)
    throw usage_error("--kernel: expected an odd kernel size between 1 and 99, found " + std::to_string(kernel));
  request.kernel = static_cast<int>(kernel);
  request.solver = args.value("solver").value_or("harmonic");
  if (request.solver != "harmonic" && request.solver != "grid")
    throw usage_error("--solver: expected harmonic or grid, found '" + request.solver + "'");
  request.json = args.flag("json");
  request.save = args.value("save");
  args.finish();

  if (!eqr::offers_group(request.group))
    throw usage_error("--group: expected one of " + eqr::group_names_joined() + ", found '" + request.group + "'");
  return eqr::visit_group(request.group, [&]<eqr::FiniteGroup G>() { return run_for<G>(request); });
}

const bool registered = eqr::cli::register_command(
    {"basis", "steerable kernel basis of one field pair: size and constraint residual",
     "--group G --in T --out T --kernel K [--solver harmonic|grid] [--json] [--save basis.npy]\n\n"
     "Builds the basis of the k x k kernels that satisfy the equivariance constraint\n"
     "k(g x) = rho_out(g) k(x) rho_in(g)^-1 (paper, Eq. 8) from one input field to one output field, and prints\n"
     "its size and the largest constraint residual.\n\n"
     "  --group G      a group of the catalogue (`eqr info` lists them: C1 … C16, D1 … D8)\n"
     "  --in/--out T   trivial | regular | irrep:K | irrep:J,K (J = flip character; dihedral groups)\n"
     "  --kernel K     odd kernel size (even sizes are refused: the basis needs a centre pixel)\n"
     "  --solver S     harmonic (default): e2cnn's steerable basis (Gaussian rings x circular harmonics);\n"
     "                 grid: the exact solution space on the pixel grid, only for C1 C2 C4 D1 D2 D4\n"
     "  --json         print {\"group\", \"in\", \"out\", \"kernel\", \"solver\", \"size\", \"constraint_residual\"}\n"
     "  --save FILE    write the basis as float64 .npy of shape (size, C_out, C_in, K, K), rows top to bottom\n\n"
     "The residual is max |k(g x) - rho_out(g) k(x) rho_in(g)^T| over all basis elements, all grid points and\n"
     "all group elements that map the pixel grid onto itself: rotations by multiples of 90 degrees (and the\n"
     "mirrors composed with them). For C8 that is the 4 rotations by multiples of 90 degrees (D8: those and\n"
     "their 4 mirrors), for C6 the rotations by 0 and 180 degrees, for C3 the identity only: the other\n"
     "rotations move grid points off the grid, and there the harmonic basis is only approximately equivariant.",
     run});

}  // namespace
