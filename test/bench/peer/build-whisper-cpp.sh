#!/usr/bin/env bash
# Builds the benchmark's peer, whisper.cpp, natively for this CPU from the sources that the npm package
# nodejs-whisper ships, together with our driver for it (whisper_cpp_bench), whisper-cli and whisper-quantize.
# Everything lands in the benchmark cache, $BENCH_CACHE or node_modules/.cache/verbatim-bench (ignored by git and
# the linters); a second run only rebuilds what changed.
# Prints the folder holding the three programs.
set -euo pipefail

package_version=0.3.1
here=$(cd "$(dirname "$0")" && pwd)
cache="${BENCH_CACHE:-$here/../../../node_modules/.cache/verbatim-bench}"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
package_dir="$cache/nodejs-whisper-$package_version"
source_dir="$package_dir/package/cpp/whisper.cpp"
build_dir="$cache/build-whisper-cpp"

if [ ! -f "$source_dir/CMakeLists.txt" ]; then
  mkdir -p "$package_dir"
  (cd "$package_dir" && npm pack --silent "nodejs-whisper@$package_version" >/dev/null)
  tar -xzf "$package_dir/nodejs-whisper-$package_version.tgz" -C "$package_dir"
fi

# Some virtual machines advertise AMX but fault when it is used; -march=native would then emit it.
extra_flags=""
if [ "$(uname -m)" = "x86_64" ]; then
  extra_flags="-mno-amx-int8 -mno-amx-tile -mno-amx-bf16"
fi

# whisper.cpp stamps ggml with the commit of the git repository around its sources; here that would be ours, and
# every commit of ours would rebuild ggml. Stop git's search at the package.
export GIT_CEILING_DIRECTORIES="$package_dir"

cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DWHISPER_CPP_DIR="$source_dir" \
  -DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$extra_flags" -DCMAKE_CXX_FLAGS="$extra_flags" \
  -DBUILD_SHARED_LIBS=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_BUILD_SERVER=OFF >&2
cmake --build "$build_dir" -j"${BENCH_JOBS:-2}" --target whisper_cpp_bench whisper-cli whisper-quantize >&2

echo "$build_dir/bin"
