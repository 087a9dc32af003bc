# Writes bench_commit.hpp with the commit the bench binaries are built from (run on every build, so a bench
# run quotes HEAD, not the commit of configure time). "-dirty" marks uncommitted changes.
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(commit STREQUAL "")
  set(commit "unknown")
elseif(NOT dirty STREQUAL "")
  string(APPEND commit "-dirty")
endif()
file(WRITE ${OUT}.tmp "#pragma once\n#define DYNOSIM_GIT_COMMIT \"${commit}\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
