/// @file backends/cpu/detail/intrinsics.hpp
/// Includes the x86 intrinsics header while silencing GCC 12's false -Wmaybe-uninitialized warning in it.
///
/// GCC 12's `_mm512_undefined_ps()` initialises a variable with itself (GCC bug 105593, fixed in GCC 13);
/// once Eigen's AVX-512 GEMM packing is inlined (any build with -march=native on an AVX-512 machine) every
/// use is reported as "may be used uninitialized" (at -O3; "is used uninitialized" at -O2), which -Werror
/// turns into an error. GCC looks up the
/// diagnostic state at the warning's location inside <immintrin.h>'s family, so the suppression works when
/// this header is the first to include <immintrin.h> in a translation unit: the CPU backend's headers
/// include it first. Programs that include Eigen or oneTBB before any eqr header may still see the warning.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
