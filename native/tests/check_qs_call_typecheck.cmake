# ctest qs_call_typecheck: QS_CALL accepts a well-typed call and rejects,
# at compile time, a non-qs_head field, a head that is not the first
# member, and a callback of the wrong type.
#   cmake -DCC=<compiler> -DINCLUDE=<dir> -DSRC=<file> -P <this>
set(last_case 4)
foreach(case RANGE 0 ${last_case})
  execute_process(
    COMMAND ${CC} -std=c11 -Wall -Wextra -Werror -fsyntax-only
            -I${INCLUDE} -DCASE=${case} ${SRC}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(case EQUAL 0 AND NOT rc EQUAL 0)
    message(FATAL_ERROR "case 0 (well-typed) did not compile:\n${err}")
  elseif(NOT case EQUAL 0 AND rc EQUAL 0)
    message(FATAL_ERROR "case ${case} (ill-typed) compiled")
  endif()
endforeach()
message(STATUS "QS_CALL type checks: ${last_case} ill-typed cases rejected")
