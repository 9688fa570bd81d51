/// @file tests/support/finite_differences.hpp
/// Central finite differences in double, the slow reference for every reverse-mode test: the numeric
/// gradient of a scalar loss with respect to a vector of values, and a checker that compares analytic
/// derivatives entry by entry and keeps the worst error.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace eqr::testing {

/// The numeric gradient (L(v + ε eᵢ) − L(v − ε eᵢ)) / 2ε for every entry i of v, where `loss()` reads v;
/// each entry is restored after use.
template <class Loss>
std::vector<double> central_differences(std::vector<double>& v, Loss&& loss, double eps) {
  std::vector<double> d(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double keep = v[i];
    v[i] = keep + eps;
    const double up = loss();
    v[i] = keep - eps;
    const double down = loss();
    v[i] = keep;
    d[i] = (up - down) / (2 * eps);
  }
  return d;
}

/// A checker of reverse-mode derivatives against central differences (L(v + ε) − L(v − ε)) / 2ε in double:
/// `check(analytic, entry, loss)` perturbs `entry` in place, restores it, and keeps the worst error
/// |numeric − analytic| / max(1, |numeric|) over all checked entries in `worst`.
struct CentralDifferenceCheck {
  double eps = 1e-6;
  double worst = 0.0;
  int count = 0;

  template <class Loss>
  void check(double analytic, double& entry, Loss&& loss) {
    const double saved = entry;
    entry = saved + eps;
    const double lp = loss();
    entry = saved - eps;
    const double lm = loss();
    entry = saved;
    const double numeric = (lp - lm) / (2 * eps);
    worst = std::max(worst, std::abs(numeric - analytic) / std::max(1.0, std::abs(numeric)));
    ++count;
  }
};

}  // namespace eqr::testing
