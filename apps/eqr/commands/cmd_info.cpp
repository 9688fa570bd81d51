// `eqr info`: version, groups and kernel solvers compiled in, backends available, input formats, threads.
#include <iostream>

#include "models/backend_names.hpp"
#include "support/cli.hpp"
#include "support/json.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/config.hpp"
#include "eqr/groups/catalog.hpp"

namespace {

const std::vector<std::string> solvers = {"harmonic", "grid"};

/// The input formats `eqr dataset` reads in this build (DICOM, NIfTI and the HDF5 ones need their optional
/// libraries).
const std::vector<std::string> formats = {"npy", "npz",
#ifdef EQR_HAVE_DICOM
                                          "dicom",
#endif
#ifdef EQR_HAVE_NIFTI
                                          "nifti",
#endif
#ifdef EQR_HAVE_HDF5
                                          "fastmri", "lodopab",
#endif
};

std::string joined(const std::vector<std::string>& list) {
  std::string s;
  for (const auto& x : list) s += (s.empty() ? "" : " ") + x;
  return s;
}

int run(eqr::cli::Args& args) {
  const bool json = args.flag("json");
  args.finish();
  const int threads = eqr::cpu::max_threads();
  const auto groups = eqr::group_names();
  const auto backends = eqr::experiments::available_backends();
  if (json) {
    std::cout << eqr::cli::JsonObject{}
                     .add("version", eqr::version)
                     .add("groups", groups)
                     .add("solvers", solvers)
                     .add("backends", backends)
                     .add("formats", formats)
                     .add("threads", threads)
                     .str()
              << "\n";
  } else {
    std::cout << "eqr " << eqr::version << "\n"
              << "groups:   " << joined(groups) << " (any C_M, D_M through the library)\n"
              << "solvers:  " << joined(solvers) << "\n"
              << "backends: " << joined(backends) << "\n"
              << "formats:  " << joined(formats) << " (eqr dataset)\n"
              << "threads:  " << threads << "\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"info", "version, groups, solvers, backends, formats and threads", "[--json] [--threads N]\n\n"
     "Prints the library version, the groups and kernel-basis solvers compiled in, the backends this build\n"
     "can use on this machine (cpu; torch-cpu when built with LibTorch; torch-cuda with a CUDA device too) and\n"
     "the input formats `eqr dataset` reads (npy, npz; dicom, nifti, fastmri and lodopab where built with GDCM,\n"
     "nifticlib and libhdf5) and\n"
     "the number of worker threads. --json prints {\"version\", \"groups\", \"solvers\", \"backends\", \"formats\",\n"
     "\"threads\"}.",
     run});

}  // namespace
