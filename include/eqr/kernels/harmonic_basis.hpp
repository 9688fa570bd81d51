/// @file kernels/harmonic_basis.hpp
/// `HarmonicBasis`: e2cnn's default steerable kernel basis (Weiler & Cesa 2019), reproduced exactly —
/// Gaussian rings × circular harmonics that solve the kernel constraint (paper, Eq. 8) for each pair of irreps,
/// band-limited per ring, normalised and pruned as e2cnn does (DESIGN.md §5).
///
/// The construction, for one input representation ρ_in = Q_in (⊕ ψ_i) Q_inᵀ and one output ρ_out:
///   1. polar coordinates of the grid points (x, y) = (j − c, c − i), θ = atan2(y, x);
///   2. for each ring r_i (outer loop), each input irrep slot, each output irrep slot, each angular solution
///      (μ, γ, s) of the irrep pair (inner loops — e2cnn's element order), the block
///      exp(−(|x| − r_i)²/(2σ_i²)) · A_{μ,γ,s}(θ) of size d_out × d_in, kept only if |μ| ≤ fco(r_i);
///   3. normalised to energy d_out, dropped if its energy is then ≤ 1e-2;
///   4. taken to the fields' basis: K = Q_out · K_irreps · Q_inᵀ.
///
/// Element order.  Element i here is element i of e2cnn's basis for the same pair of representations (so a
/// coefficient vector trained in e2cnn expands to the same filter; `test_kernels_e2cnn_reference` compares
/// them element by element).  The order is fixed by: the loops of step 2; the irrep slots in the order of the
/// representation's `irreps()` — for a regular field e2cnn's irrep order (`irreps_of`: for D_M with M even,
/// ψ_{1,M/2} before ψ_{0,M/2}) with Q's columns in the same order; and the order of `angular_solutions`.
#pragma once

#include <array>
#include <cmath>
#include <functional>
#include <numbers>
#include <optional>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/kernels/sampled_basis.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/irreps.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The options of the harmonic basis: rings, their widths and the per-ring frequency cutoff.  Every option has
/// e2cnn's default (DESIGN.md §5); set the others with chained setters:
/// `HarmonicOptions{}.rings({0, 1, 2}).sigma(0.5).frequency_cutoff(1.5)`.
class HarmonicOptions {
 public:
  /// Ring radii r_i (default: 0, 1, …, (k−1)/2, i.e. e2cnn's `linspace(0, (k−1)//2, ceil(k/2))`).
  HarmonicOptions& rings(std::vector<double> radii) {
    rings_ = std::move(radii);
    return *this;
  }
  /// One Gaussian width per ring (default: 0.005 at radius 0, 0.6 for the other rings, 0.4 for the last).
  HarmonicOptions& sigma(std::vector<double> widths) {
    sigma_ = std::move(widths);
    same_sigma_ = false;
    return *this;
  }
  /// The same Gaussian width for every ring.
  HarmonicOptions& sigma(double width) {
    sigma_ = std::vector<double>{width};
    same_sigma_ = true;
    return *this;
  }
  /// A linear cutoff: frequencies |μ| ≤ factor·r on the ring of radius r (e2cnn's float `frequencies_cutoff`).
  HarmonicOptions& frequency_cutoff(double factor) {
    cutoff_ = [factor](double r, int) { return factor * r; };
    return *this;
  }
  /// A custom cutoff: the largest frequency allowed on a ring, as a function of (radius, kernel size).
  HarmonicOptions& frequency_cutoff(std::function<double(double, int)> cutoff) {
    cutoff_ = std::move(cutoff);
    return *this;
  }

  /// The ring radii used for kernel size k.
  std::vector<double> rings_for(int k) const {
    if (rings_) return *rings_;
    std::vector<double> r;
    for (int i = 0; i <= (k - 1) / 2; ++i) r.push_back(i);
    return r;
  }
  /// The Gaussian widths used for kernel size k (one per ring).
  std::vector<double> sigma_for(int k) const {
    const auto r = rings_for(k);
    if (sigma_) {
      if (same_sigma_) return std::vector<double>(r.size(), sigma_->front());
      return *sigma_;
    }
    std::vector<double> s(r.size(), 0.6);
    if (!s.empty()) s.back() = 0.4;
    for (std::size_t i = 0; i < r.size(); ++i)
      if (r[i] == 0.0) s[i] = 0.005;
    return s;
  }
  /// The largest frequency allowed on the ring of radius r for kernel size k.
  ///
  /// Default — e2cnn's "default1" rule with R = k/2 (integer division): fco(0) = 0; fco(R) = min(2R, 2);
  /// otherwise min(2r, 2r − ((r+1) mod 2)).
  double cutoff(double r, int k) const {
    if (cutoff_) return cutoff_(r, k);
    if (r == 0.0) return 0.0;
    const double max_radius = k / 2;
    const double mod = std::fmod(r + 1.0, 2.0);
    return std::min(2.0 * r, r == max_radius ? 2.0 : 2.0 * r - (mod < 0 ? mod + 2.0 : mod));
  }

  /// Throws `value_error` unless the options are usable for kernel size k: rings non-empty, non-negative and
  /// inside the grid's largest radius, one positive width per ring.
  void validate(int k) const {
    const auto r = rings_for(k);
    const auto s = sigma_for(k);
    EQR_EXPECTS(!r.empty(), value_error, "harmonic basis: expected at least one ring, found none");
    EQR_EXPECTS(r.size() == s.size(), value_error, "harmonic basis: expected one Gaussian width per ring (",
                r.size(), " rings), found ", s.size(), " widths");
    const double max_radius = std::sqrt(2.0) * (k - 1) / 2.0;
    for (std::size_t i = 0; i < r.size(); ++i) {
      EQR_EXPECTS(r[i] >= 0 && r[i] <= max_radius + 1e-12, value_error, "harmonic basis: expected ring radii in [0, ",
                  max_radius, "] for a ", k, "x", k, " kernel, found ", r[i]);
      EQR_EXPECTS(s[i] > 0 && std::isfinite(s[i]), value_error, "harmonic basis: expected positive finite ring "
                  "widths, found ", s[i]);
    }
  }

 private:
  std::optional<std::vector<double>> rings_;
  std::optional<std::vector<double>> sigma_;
  bool same_sigma_ = false;
  std::function<double(double, int)> cutoff_;
};

/// One angular solution between a pair of irreps: the block A(θ) built from cos/sin of μθ' + γ, where
/// θ' = θ − θ_axis (θ_axis = π/2 for dihedral groups, 0 for cyclic), and for 2-D ↔ 2-D pairs the reflection
/// s ∈ {0, 1} of ψ(μθ'+γ)·diag(1, (−1)^s).
struct AngularSolution {
  int frequency = 0;
  double phase = 0;
  int reflection = 0;
};

namespace detail {
/// ⌈a/b⌉ and ⌊a/b⌋ for integers, b > 0.
inline int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
inline int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// The aliases μ = base + t·N with min ≤ μ ≤ max_frequency, t ascending (e2cnn's `offset_iterator`);
/// min = 0 if `non_negative`, else −max_frequency.
inline std::vector<int> aliased_frequencies(int base, int n, int max_frequency, bool non_negative) {
  const int lowest = non_negative ? 0 : -max_frequency;
  std::vector<int> out;
  for (int t = ceil_div(lowest - base, n); t <= floor_div(max_frequency - base, n); ++t) out.push_back(base + t * n);
  return out;
}
}  // namespace detail

/// The angular solutions of the kernel constraint (paper, Eq. 8) between two irreps of G, with |μ| ≤
/// `max_frequency`, in e2cnn's order.  Input irrep ψ_{j_i, n}, output ψ_{j_o, m}, N = rotation order.
///
/// Cyclic C_N (θ' = θ).  A rotation by φ = 2πr/N shifts θ by φ and acts by ψ_n(φ), ψ_m(φ):
/// - 1-D → 1-D: cos(μθ' + γ), μ = m − n + tN ≥ 0, γ ∈ {0, π/2} (sin 0θ dropped);
/// - 2-D → 1-D: [cos, sin](μθ' + γ), μ = n + m + tN; 1-D → 2-D: the transposed column; γ ∈ {0, π/2};
/// - 2-D → 2-D: ψ(μθ' + γ)·diag(1, (−1)^s), μ = m − (−1)^s n + tN, γ ∈ {0, π/2}, s ∈ {0, 1}.
/// Order (e2cnn's `R2DiscreteRotationsSolution`): γ outer, then s, then t ascending.
///
/// Dihedral D_N — derivation for THIS action, F: (x, y) ↦ (−x, y), i.e. θ ↦ π − θ, and the irreps
/// ψ_{j,k}(f, r) = R(kθ_r)·diag(1, −1)^f (2-D), (−1)^{jf} cos(kθ_r) (1-D).  With θ' = θ − π/2 the mirror is
/// θ' ↦ −θ', and the rotations still shift θ' by φ; so the rotation constraint is the cyclic one, and the
/// mirror constraint A(−θ') = ψ_m(F) A(θ') ψ_n(F)ᵀ keeps half of the cyclic solutions:
/// - 1-D → 1-D: A must be even (cos) if j_i = j_o and odd (sin) otherwise: γ = ((j_i + j_o) mod 2)·π/2;
/// - 2-D → 1-D: A(−θ') = [cos, sin](−μθ'+γ) must equal ψ_out(F) A(θ') ψ_in(F)ᵀ = (−1)^{j_o}[cos, −sin](μθ'+γ),
///   which holds for γ = 0 if j_o = 0 and for γ = π/2 if j_o = 1: γ = j_o·π/2; 1-D → 2-D likewise γ = j_i·π/2;
/// - 2-D → 2-D: A(−θ') = ψ(−μθ'+γ) S must equal D ψ(μθ'+γ) S D = ψ(−μθ'−γ) S (D = diag(1,−1) = ψ(F),
///   S = diag(1,(−1)^s) commutes with D): γ = 0, both s.
/// Order (e2cnn's `R2FlipsDiscreteRotationsSolution`): s outer (2-D → 2-D), then t ascending; one γ per pair.
/// This is e2cnn's dihedral basis with its default reflection axis π/2; `test_kernels_harmonic` proves the
/// constraint for every grid-preserving element.
template <FiniteGroup G>
std::vector<AngularSolution> angular_solutions(IrrepId in, IrrepId out, int max_frequency) {
  const int n_rot = G::rotation_order();
  const int n = in.k, m = out.k;
  const int d_in = irrep_size<G>(in), d_out = irrep_size<G>(out);
  constexpr double half_pi = std::numbers::pi / 2;
  std::vector<AngularSolution> sols;
  const auto add_all = [&](int base, bool non_negative, double gamma, int s, bool drop_sin_zero) {
    for (int mu : detail::aliased_frequencies(base, n_rot, max_frequency, non_negative))
      if (!drop_sin_zero || mu > 0 || gamma == 0.0) sols.push_back({mu, gamma, s});
  };
  if constexpr (is_dihedral_v<G>) {
    if (d_in == 2 && d_out == 2) {
      for (int s = 0; s < 2; ++s) add_all(s == 0 ? m - n : m + n, false, 0.0, s, false);
    } else if (d_in == 2) {
      add_all(n + m, false, out.j * half_pi, 0, false);
    } else if (d_out == 2) {
      add_all(n + m, false, in.j * half_pi, 0, false);
    } else {
      add_all(m - n, true, ((in.j + out.j) % 2) * half_pi, 0, true);
    }
  } else {
    for (double gamma : {0.0, half_pi}) {
      if (d_in == 2 && d_out == 2) {
        for (int s = 0; s < 2; ++s) add_all(s == 0 ? m - n : m + n, false, gamma, s, false);
      } else if (d_in == 2 || d_out == 2) {
        add_all(n + m, false, gamma, 0, false);
      } else {
        add_all(m - n, true, gamma, 0, true);
      }
    }
  }
  return sols;
}

/// The angular block A(θ) of one solution at the math angle θ (counter-clockwise from the x axis), as the
/// d_out × d_in entries in row-major order (unused entries 0).  With t = μ(θ − θ_axis) + γ:
/// 1 × 1: cos t;  1 × 2: [cos t, sin t];  2 × 1: [cos t; sin t];  2 × 2: [[cos t, −σ sin t], [sin t, σ cos t]],
/// σ = (−1)^s.  θ_axis = π/2 (the mirror axis of x ↦ −x) for dihedral groups, 0 for cyclic groups.
template <FiniteGroup G>
std::array<double, 4> angular_block(const AngularSolution& sol, IrrepId in, IrrepId out, double theta) {
  const double axis = is_dihedral_v<G> ? std::numbers::pi / 2 : 0.0;
  const double t = sol.frequency * (theta - axis) + sol.phase;
  const double c = std::cos(t), s = std::sin(t), sign = sol.reflection ? -1.0 : 1.0;
  const int d_in = irrep_size<G>(in), d_out = irrep_size<G>(out);
  if (d_in == 1 && d_out == 1) return {c, 0, 0, 0};
  if (d_in == 1 || d_out == 1) return {c, s, 0, 0};  // the row [cos, sin] or the column [cos; sin]
  return {c, -sign * s, s, sign * c};
}

/// The harmonic basis between two representations given at run time (see the file comment for the steps).
/// Throws `value_error` for an even or non-positive kernel size or unusable options.  May return an empty
/// basis (size 0), e.g. when the band-limit allows no solution for a pair of irreps.
template <FiniteGroup G>
SampledBasis solve_harmonic(const RepresentationData<G>& in, const RepresentationData<G>& out, int k,
                            const HarmonicOptions& options = {}) {
  check_kernel_size(k);
  options.validate(k);
  const auto rings = options.rings_for(k);
  const auto sigma = options.sigma_for(k);
  double max_cutoff = 0;
  for (double r : rings) max_cutoff = std::max(max_cutoff, options.cutoff(r, k));
  const int max_frequency = static_cast<int>(max_cutoff);  // e2cnn: int(max(fco(r) for r in rings))
  const int points = k * k;

  // Polar coordinates of the grid points; the origin has no angle (e2cnn: NaN → 0, non-zero μ vanish there).
  std::vector<double> radius(points), angle(points);
  std::vector<bool> origin(points);
  for (int p = 0; p < points; ++p) {
    const Point2 x = kernel_grid_point(k, p / k, p % k);
    radius[p] = std::sqrt(x.x * x.x + x.y * x.y);
    origin[p] = radius[p] < 1e-9;
    angle[p] = origin[p] ? 0.0 : std::atan2(x.y, x.x);
  }

  const auto in_offsets = irrep_offsets<G>(in.irreps), out_offsets = irrep_offsets<G>(out.irreps);
  SampledBasis basis{out.size, in.size, k, {}, {}};
  std::vector<std::vector<double>> rows;
  std::vector<double> block, full(static_cast<std::size_t>(out.size * in.size * points));
  for (std::size_t ring = 0; ring < rings.size(); ++ring) {
    const double fco = options.cutoff(rings[ring], k);
    std::vector<double> profile(points);
    for (int p = 0; p < points; ++p)
      profile[p] = std::exp(-0.5 * (radius[p] - rings[ring]) * (radius[p] - rings[ring]) / (sigma[ring] * sigma[ring]));
    for (std::size_t ii = 0; ii < in.irreps.size(); ++ii) {
      for (std::size_t oo = 0; oo < out.irreps.size(); ++oo) {
        const IrrepId psi_in = in.irreps[ii], psi_out = out.irreps[oo];
        const int d_in = irrep_size<G>(psi_in), d_out = irrep_size<G>(psi_out);
        for (const auto& sol : angular_solutions<G>(psi_in, psi_out, max_frequency)) {
          if (std::abs(sol.frequency) > fco) continue;  // band-limit of this ring
          block.assign(static_cast<std::size_t>(d_out * d_in * points), 0.0);
          const int entries = d_out * d_in;
          for (int p = 0; p < points; ++p) {
            if (origin[p] && sol.frequency != 0) continue;
            const auto a = angular_block<G>(sol, psi_in, psi_out, angle[p]);
            for (int e = 0; e < entries; ++e) block[e * points + p] = a[e] * profile[p];
          }
          // e2cnn's normalize_basis: energy per output dimension; then drop what is (near) zero on the grid.
          double energy = 0;
          for (double v : block) energy += v * v;
          double variance = energy / d_out;
          if (variance < 1e-15) variance = 0;
          double norm = std::sqrt(variance);
          if (norm < 1e-6) norm = 1;
          if (energy / (norm * norm) <= 1e-2) continue;
          for (double& v : block) v /= norm;
          change_to_field_basis(out.change_of_basis, out_offsets[oo], d_out, in.change_of_basis, in_offsets[ii], d_in,
                                points, block, full);
          rows.push_back(full);
          basis.info.push_back({static_cast<int>(ii), static_cast<int>(oo), psi_in, psi_out, rings[ring],
                                sol.frequency, sol.phase, sol.reflection});
        }
      }
    }
  }
  basis.matrix.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(full.size()));
  for (std::size_t e = 0; e < rows.size(); ++e)
    basis.matrix.row(static_cast<Eigen::Index>(e)) =
        Eigen::Map<const Eigen::RowVectorXd>(rows[e].data(), static_cast<Eigen::Index>(rows[e].size()));
  return basis;
}

/// The harmonic solver policy (a `KernelSolverFor<HarmonicSolver, G>` for every finite group G).
struct HarmonicSolver {
  HarmonicOptions options{};
  static constexpr const char* name() { return "harmonic"; }
  template <FiniteGroup G>
  SampledBasis solve(const RepresentationData<G>& in, const RepresentationData<G>& out, int k) const {
    return solve_harmonic<G>(in, out, k, options);
  }
};

/// e2cnn's steerable basis from the field type Rin to the field type Rout (a `KernelBasisFor<·, Rin, Rout>`).
/// Example: `HarmonicBasis<Regular<C4>, Regular<C4>> b(3);  // b.size() == 24`.
template <Representation Rin, Representation Rout>
class HarmonicBasis {
  static_assert(std::same_as<typename Rin::group, typename Rout::group>,
                "HarmonicBasis<Rin, Rout> needs input and output representations of the same group.");

 public:
  using group = typename Rin::group;
  using in_representation = Rin;
  using out_representation = Rout;

  /// Builds the basis for an odd kernel size k (throws `value_error` for an even k).
  explicit HarmonicBasis(int k, const HarmonicOptions& options = {})
      : basis_(solve_harmonic<group>(describe<Rin>(), describe<Rout>(), k, options)) {}

  int size() const { return basis_.size(); }
  int kernel_size() const { return basis_.kernel_size; }
  const BasisMatrix& matrix() const { return basis_.matrix; }
  const SampledBasis& sampled() const { return basis_; }

 private:
  SampledBasis basis_;
};

}  // namespace eqr
