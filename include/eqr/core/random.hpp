/// @file core/random.hpp
/// A seeded random source with fixed-algorithm transforms (uniform, normal, Poisson) whose output is the same
/// with every standard library: std::mt19937_64 is fully specified by the standard, the std::*_distribution
/// classes are not, so the transforms here are written out.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace eqr {

/// A reproducible random source: a std::mt19937_64 engine plus written-out transforms to the uniform, normal
/// and Poisson laws, so that a seed gives the same masks, noise and test vectors on every platform.
class Random {
 public:
  /// Creates the source from a 64-bit seed.
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  /// A uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// A uniform double in (0, 1] (safe to take the logarithm of).
  double uniform_open_low() { return 1.0 - uniform(); }

  /// A uniform integer in {0, …, n − 1} (n ≥ 1), by rejection so that every value is equally likely.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = n == 0 ? 0 : (~std::uint64_t{0} / n) * n;
    std::uint64_t r = engine_();
    while (r >= limit) r = engine_();
    return r % n;
  }

  /// A standard normal variate by the Box–Muller transform (the second variate of each pair is cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform_open_low()));
    const double phi = 2.0 * std::numbers::pi * uniform();
    spare_ = r * std::sin(phi);
    has_spare_ = true;
    return r * std::cos(phi);
  }

  /// A Poisson variate with mean `lambda` ≥ 0.  For λ < 30 by Knuth's product of uniforms (exact); above,
  /// by the PTRS transformed-rejection method of Hörmann (1993), which is also exact.
  double poisson(double lambda) {
    if (!(lambda > 0.0)) return 0.0;
    if (lambda < 30.0) {
      const double limit = std::exp(-lambda);
      double product = uniform_open_low();
      double k = 0.0;
      while (product > limit) {
        product *= uniform_open_low();
        k += 1.0;
      }
      return k;
    }
    // PTRS (W. Hörmann, "The transformed rejection method for generating Poisson random variables", 1993).
    const double slam = std::sqrt(lambda), loglam = std::log(lambda);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5;
      const double v = uniform_open_low();
      const double us = 0.5 - std::abs(u);
      const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0.0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
          -lambda + k * loglam - std::lgamma(k + 1.0))
        return k;
    }
  }

  /// The underlying engine (for callers that need raw 64-bit words).
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace eqr
