# nifticlib (the NIfTI-1 library behind eqr::nifti) by its header and libraries. Debian's NIFTIConfig.cmake
# (libnifti2-dev) cannot be used: its targets point at /usr/lib/libznz.so.3.0.0 rather than the multiarch
# directory where the libraries are, and list nifticlib's tools, which no -dev package installs, so
# find_package(NIFTI) stops with a configure error; nor is there a pkg-config file. eqr_find_nifti(<ON|AUTO>)
# finds nifti1_io.h, libniftiio and libznz (Debian: libnifti2-dev) and zlib, sets EQR_NIFTI_FOUND and defines the
# imported targets eqr_nifticlib::niftiio (libniftiio, libznz, zlib) and ZLIB::ZLIB; ON makes a missing nifticlib
# an error.
# Used by CMakeLists.txt and the installed eqrConfig.cmake.
macro(eqr_find_nifti eqr_mode)
  find_path(EQR_NIFTI_INCLUDE_DIR nifti1_io.h PATH_SUFFIXES nifti)
  find_library(EQR_NIFTIIO_LIBRARY niftiio)
  find_library(EQR_ZNZ_LIBRARY znz)
  find_package(ZLIB QUIET)
  set(EQR_NIFTI_FOUND FALSE)
  if(EQR_NIFTI_INCLUDE_DIR AND EQR_NIFTIIO_LIBRARY AND EQR_ZNZ_LIBRARY AND ZLIB_FOUND)
    set(EQR_NIFTI_FOUND TRUE)
    if(NOT TARGET eqr_nifticlib::niftiio)
      add_library(eqr_nifticlib::znz UNKNOWN IMPORTED)
      set_target_properties(eqr_nifticlib::znz PROPERTIES IMPORTED_LOCATION "${EQR_ZNZ_LIBRARY}"
                            INTERFACE_INCLUDE_DIRECTORIES "${EQR_NIFTI_INCLUDE_DIR}"
                            INTERFACE_LINK_LIBRARIES ZLIB::ZLIB)
      add_library(eqr_nifticlib::niftiio UNKNOWN IMPORTED)
      set_target_properties(eqr_nifticlib::niftiio PROPERTIES IMPORTED_LOCATION "${EQR_NIFTIIO_LIBRARY}"
                            INTERFACE_INCLUDE_DIRECTORIES "${EQR_NIFTI_INCLUDE_DIR}"
                            INTERFACE_LINK_LIBRARIES eqr_nifticlib::znz)
    endif()
  endif()
  if(NOT EQR_NIFTI_FOUND AND "${eqr_mode}" STREQUAL "ON")
    message(FATAL_ERROR "eqr: EQR_WITH_NIFTI is ON but nifticlib was not found (Debian: apt-get install libnifti2-dev)")
  endif()
endmacro()
