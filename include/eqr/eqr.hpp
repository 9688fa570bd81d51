/// @file eqr.hpp
/// The umbrella header: everything in EquiRecon except the LibTorch adapter (backends/torch).
///
/// It needs the target eqr::cpu (xtensor, oneTBB, FFTW).  Code that uses only the math core — groups,
/// representations, kernel bases — and links eqr::eqr (Eigen only) includes eqr/core_math.hpp instead.
#pragma once

#include "eqr/config.hpp"
#include "eqr/core_math.hpp"

// Backends and the shared tensor vocabulary.
#include "eqr/backends/concepts.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/training.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"

// Layers and training machinery.
#include "eqr/layers/layers.hpp"
#include "eqr/nn/nn.hpp"

// Forward operators, data, metrics, I/O.
#include "eqr/data/datasets.hpp"
#include "eqr/data/phantoms.hpp"
#include "eqr/data/rotate.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/io/png.hpp"
#include "eqr/io/report.hpp"
#include "eqr/io/report_panel.hpp"
#include "eqr/io/svg_plot.hpp"
#include "eqr/io/training_log.hpp"
#include "eqr/metrics/equivariance.hpp"
#include "eqr/metrics/psnr.hpp"
#include "eqr/metrics/ssim.hpp"
#include "eqr/operators/operators.hpp"

// Reconstruction algorithms: classical and learned.
#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_model.hpp"
#include "eqr/algorithms/learned_primal_dual.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/pdhg_backend.hpp"
#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/prox_gradient_backend.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/algorithms/warm_start.hpp"
