# Sanitizer and fuzzing builds (docs/explanation/safety.md, "Fuzzing and sanitizers").
#
# LAKEINFRA_SANITIZE: a -fsanitize= list ("address,undefined") applied to every target; any
#   UBSan finding aborts (-fno-sanitize-recover). `make test-sanitize` uses it.
# LAKEINFRA_FUZZ: builds the libFuzzer targets of tests/fuzz (clang only). Every library is
#   instrumented for coverage and ASan/UBSan; the fuzz executables link libFuzzer's main.
set(LAKEINFRA_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined")
option(LAKEINFRA_FUZZ "Build the libFuzzer targets of tests/fuzz (requires clang)" OFF)

if(LAKEINFRA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LAKEINFRA_FUZZ=ON needs clang (e.g. CXX=clang++-14), not "
                        "${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT LAKEINFRA_SANITIZE)
    set(LAKEINFRA_SANITIZE "address,undefined")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(LAKEINFRA_SANITIZE)
  add_compile_options(-fsanitize=${LAKEINFRA_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${LAKEINFRA_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's flow analysis sees the sanitizer checks and warns falsely inside libstdc++ (<regex>,
    # std::function); the GCC manual warns of exactly this. Normal builds keep the warning.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
