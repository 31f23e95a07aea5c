# Short libFuzzer run for ctest: copy the committed seeds into a scratch
# corpus (so the fuzzer's additions stay out of the source tree) and fuzz
# for 20 seconds. Any crash, leak or failed invariant fails the test.
#   -DFUZZER=<binary> -DSEEDS=<dir> -DCORPUS=<scratch dir>
file(REMOVE_RECURSE ${CORPUS})
file(MAKE_DIRECTORY ${CORPUS})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${CORPUS})
execute_process(
  COMMAND ${FUZZER} -max_total_time=20 -timeout=30 -rss_limit_mb=2048
          -print_final_stats=1 ${CORPUS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "qs-fuzz-virtio-gpu failed (exit ${rc})")
endif()
