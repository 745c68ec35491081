#!/usr/bin/env bash
# Builds the benchmark's peer, whisper.cpp, natively for this CPU from the sources that the npm package
# nodejs-whisper ships, together with our driver for it (whisper_cpp_bench), whisper-cli and whisper-quantize.
# Everything lands in the benchmark cache, $BENCH_CACHE or node_modules/.cache/verbatim-bench (ignored by git and
# the linters); a second run only rebuilds what changed.
# Prints the folder holding the three programs.
set -euo pipefail

# shellcheck source=whisper-cpp-sources.sh
source "$(dirname "$0")/whisper-cpp-sources.sh"
source_dir="$whisper_dir"
build_dir="$cache/build-whisper-cpp"

cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DWHISPER_CPP_DIR="$source_dir" \
  -DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$extra_flags" -DCMAKE_CXX_FLAGS="$extra_flags" \
  -DBUILD_SHARED_LIBS=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_BUILD_SERVER=OFF >&2
cmake --build "$build_dir" -j"${BENCH_JOBS:-2}" --target whisper_cpp_bench whisper-cli whisper-quantize >&2

echo "$build_dir/bin"
