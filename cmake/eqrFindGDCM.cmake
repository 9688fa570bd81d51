# GDCM (the DICOM library behind eqr::dicom) through its CMake package, without its noise: Debian's
# GDCMTargets.cmake also lists GDCM's command-line tools (gdcmdump, gdcmconv, …), which libgdcm-dev does not
# install, and reports each missing one in a STATUS message. eqr_find_gdcm(<ON|AUTO>) finds GDCM with those
# messages hidden and sets GDCM_FOUND; ON makes a missing GDCM an error. eqr::dicom links GDCM's imported
# target gdcmMSFF (which brings gdcmDSED, gdcmCommon, …). Used by CMakeLists.txt and the installed eqrConfig.cmake.
macro(eqr_find_gdcm eqr_mode)
  if(DEFINED CMAKE_MESSAGE_LOG_LEVEL)
    set(eqr_saved_log_level "${CMAKE_MESSAGE_LOG_LEVEL}")
  else()
    unset(eqr_saved_log_level)
  endif()
  set(CMAKE_MESSAGE_LOG_LEVEL NOTICE)
  find_package(GDCM QUIET)
  if(DEFINED eqr_saved_log_level)
    set(CMAKE_MESSAGE_LOG_LEVEL "${eqr_saved_log_level}")
  else()
    unset(CMAKE_MESSAGE_LOG_LEVEL)
  endif()
  if(NOT GDCM_FOUND AND "${eqr_mode}" STREQUAL "ON")
    message(FATAL_ERROR "eqr: EQR_WITH_DICOM is ON but GDCM was not found (Debian: apt-get install libgdcm-dev)")
  endif()
endmacro()
