# Builds and runs the small consumer project in tests/consumer/project against EquiRecon, either after
# installing EquiRecon to a private prefix (MODE=find_package) or by add_subdirectory (MODE=add_subdirectory).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()
set(consumer_args -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release -DEQR_MODE=${MODE})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S "${EQR_SOURCE}" -B "${WORK}/eqr-build" -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX}
      -DEQR_BUILD_TESTS=OFF -DEQR_BUILD_TOOLS=OFF -DEQR_BUILD_BENCHMARKS=OFF -DEQR_INSTALL=ON -DEQR_WITH_TORCH=OFF
      -DCMAKE_INSTALL_PREFIX=${WORK}/prefix)
  run(${CMAKE_COMMAND} --install "${WORK}/eqr-build")
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK}/prefix)
else()
  list(APPEND consumer_args -DEQR_SOURCE=${EQR_SOURCE})
endif()
run(${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/project" -B "${WORK}/build" ${consumer_args})
run(${CMAKE_COMMAND} --build "${WORK}/build")
run("${WORK}/build/consumer")
message(STATUS "consumer through ${MODE}: built and ran")
