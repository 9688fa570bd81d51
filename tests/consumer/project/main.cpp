// A consumer of the installed package: includes the umbrella header and checks one group fact at run time;
// with each optional reader the package was built with (eqr::dicom, eqr::nifti, eqr::hdf5), includes its
// header and calls it, so that its compile definitions, include paths and libraries reach a user's project.
#include <eqr/eqr.hpp>
#ifdef EQR_HAVE_DICOM
#include <eqr/io/dicom.hpp>
#endif
#ifdef EQR_HAVE_NIFTI
#include <eqr/io/nifti.hpp>
#endif
#ifdef EQR_HAVE_HDF5
#include <eqr/io/fastmri.hpp>
#endif

namespace {

/// Whether reading a missing file is refused with eqr's io_error.
template <class Read>
bool refuses_missing(Read read) {
  try {
    read("missing-file-of-the-consumer-test");
  } catch (const eqr::io_error&) {
    return true;
  }
  return false;
}

}  // namespace

int main() {
  bool ok = eqr::C4::order() == 4 && eqr::D4::order() == 8;
#ifdef EQR_HAVE_DICOM
  ok = ok && refuses_missing([](const char* p) { (void)eqr::io::read_dicom(p); });
#endif
#ifdef EQR_HAVE_NIFTI
  ok = ok && refuses_missing([](const char* p) { (void)eqr::io::read_nifti(std::string(p) + ".nii"); });
#endif
#ifdef EQR_HAVE_HDF5
  ok = ok && refuses_missing([](const char* p) { (void)eqr::io::read_fastmri(p); });
#endif
  return ok ? 0 : 1;
}
