# Finds an installed MLX for the MLX backend: MLX_DIR (a -D or environment variable naming the folder with
# MLXConfig.cmake, or an install prefix), Homebrew's prefixes, or a pip-installed MLX's CMake directory.
# On a Mac with Apple silicon MLX is how Verbatim uses the GPU, so it is required there; elsewhere it is optional.

set(_verbatim_mlx_hints "")
if(DEFINED ENV{MLX_DIR})
  list(APPEND _verbatim_mlx_hints "$ENV{MLX_DIR}")
endif()
execute_process(COMMAND python3 -m mlx --cmake-dir
  OUTPUT_VARIABLE _verbatim_pip_mlx OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _verbatim_pip_status ERROR_QUIET)
if(_verbatim_pip_status EQUAL 0 AND _verbatim_pip_mlx)
  list(APPEND _verbatim_mlx_hints "${_verbatim_pip_mlx}")
endif()

find_package(MLX CONFIG QUIET HINTS ${_verbatim_mlx_hints} PATHS /opt/homebrew /usr/local)

if(MLX_FOUND AND MLX_VERSION VERSION_LESS 0.31)
  # mx::device_info, which says why MLX has no GPU (mlx_backend.cpp), arrived in MLX 0.31.
  message(FATAL_ERROR "MLX ${MLX_VERSION} (in ${MLX_DIR}) is older than 0.31, which Verbatim needs: upgrade it "
    "(brew upgrade mlx, or pip install -U mlx) and run `npm install` again.")
elseif(MLX_FOUND)
  message(STATUS "MLX ${MLX_VERSION} found in ${MLX_DIR}: building the MLX backend and the portable CPU backend")
elseif(APPLE AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(arm64|aarch64)$")
  message(FATAL_ERROR "MLX was not found. Verbatim runs Whisper on the Apple GPU through MLX. Install it:\n"
    "  brew install mlx\n"
    "then run `npm install` again (or set MLX_DIR to the folder holding an MLX install's MLXConfig.cmake).")
else()
  message(STATUS "MLX not found: building the portable CPU backend only (set MLX_DIR to build the MLX backend too)")
endif()
