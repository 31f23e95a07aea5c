# ctest qemu_call_rcu_typecheck(_cxx): call_rcu and g_free_rcu of
# <quiesce/qemu_compat.h> accept well-typed calls and reject, at compile
# time, a field that is not a struct rcu_head, a head that is not the
# first member, and a callback of the wrong type; in C and in C++.
#   cmake -DCC=<compiler> -DSTD=<c11|c++17> -DINCLUDE=<dir> -DSRC=<file> -P <this>
set(last_case 6)
set(lang_opt "")
if(STD MATCHES "\\+\\+")
  set(lang_opt -x c++)
endif()
foreach(case RANGE 0 ${last_case})
  execute_process(
    COMMAND ${CC} ${lang_opt} -std=${STD} -Wall -Wextra -Werror -fsyntax-only
            -I${INCLUDE} -DCASE=${case} ${SRC}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(case EQUAL 0 AND NOT rc EQUAL 0)
    message(FATAL_ERROR "case 0 (well-typed) did not compile:\n${err}")
  elseif(NOT case EQUAL 0 AND rc EQUAL 0)
    message(FATAL_ERROR "case ${case} (ill-typed) compiled")
  elseif(NOT case EQUAL 0 AND NOT err MATCHES "(call_rcu|g_free_rcu): ")
    message(FATAL_ERROR "case ${case} rejected, but not by the check:\n${err}")
  endif()
endforeach()
message(STATUS "call_rcu/g_free_rcu type checks (${STD}): ${last_case} ill-typed cases rejected")
