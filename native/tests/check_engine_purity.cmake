# ctest engine_purity: the GP engine (native/engine/*.c) must not depend
# on threads, futexes, clocks or system calls. Fails on any mention of
# them, so a stray include cannot slip in behind a comment either.
#   cmake -DENGINE_DIR=<dir> -P check_engine_purity.cmake
if(NOT ENGINE_DIR)
  message(FATAL_ERROR "ENGINE_DIR not set")
endif()
file(GLOB sources ${ENGINE_DIR}/*.c ${ENGINE_DIR}/*.h)
if(NOT sources)
  message(FATAL_ERROR "no engine sources in ${ENGINE_DIR}")
endif()
set(bad "")
foreach(src IN LISTS sources)
  file(STRINGS ${src} lines REGEX "pthread|futex|time\\.h|unistd|syscall")
  foreach(line IN LISTS lines)
    list(APPEND bad "${src}: ${line}")
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "engine purity violated:\n  ${text}")
endif()
list(LENGTH sources n)
message(STATUS "engine purity: ${n} files clean")
