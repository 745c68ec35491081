#!/usr/bin/env bash
# Builds the Nemotron bench's peer, nemotron-asr.cpp (m1el/nemotron-asr.cpp, GGML), natively for this CPU, with our
# driver for it (nemotron_asr_cpp_bench), and prints the folder holding the driver and (linked) its weight converter,
# convert_to_gguf.py. Everything lands in the benchmark cache, $BENCH_CACHE or node_modules/.cache/verbatim-bench
# (ignored by git and the linters); a second run only rebuilds what changed.
#
# Its sources: a clone of $NEMOTRON_ASR_CPP_GIT (default GitHub's) at the commit pinned below. Its ggml is a git
# submodule (ggml v0.17.0, 9be3133) that we do not fetch; it builds unchanged on the ggml whisper.cpp 1.9.1 ships
# (v0.15.1), taken from the npm package nodejs-whisper as build-whisper-cpp.sh takes it. Only its ASR sources are
# built (the diarization ones need Eigen). One patch (nemotron-asr-cpp/decoder-width.patch): its prediction network's
# width is read from the model instead of fixed at the 0.6B models' 640, so that it also runs the trained fixture
# (width 96), where tokens are words and its text can be compared with ours.
set -euo pipefail

nemotron_commit=4a863ff578803aa1489c0c673c0b3d305df5375b
nemotron_git="${NEMOTRON_ASR_CPP_GIT:-https://github.com/m1el/nemotron-asr.cpp.git}"
# shellcheck source=whisper-cpp-sources.sh
source "$(dirname "$0")/whisper-cpp-sources.sh"
ggml_dir="$whisper_dir/ggml"
source_dir="$cache/nemotron-asr.cpp-${nemotron_commit:0:7}-decoder-width"
build_dir="$cache/build-nemotron-asr-cpp"

if [ ! -f "$source_dir/src/nemo-stream.cpp" ]; then
  rm -rf "$source_dir.partial"
  git clone --quiet --no-checkout "$nemotron_git" "$source_dir.partial" >&2
  git -C "$source_dir.partial" -c advice.detachedHead=false checkout --quiet "$nemotron_commit" >&2
  git -C "$source_dir.partial" apply "$here/nemotron-asr-cpp/decoder-width.patch" >&2
  mv "$source_dir.partial" "$source_dir"
fi

cmake -S "$here/nemotron-asr-cpp" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_DIR="$ggml_dir" -DNEMOTRON_ASR_CPP_DIR="$source_dir" \
  -DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$extra_flags" -DCMAKE_CXX_FLAGS="$extra_flags" \
  -DBUILD_SHARED_LIBS=OFF -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF >&2
cmake --build "$build_dir" -j"${BENCH_JOBS:-2}" --target nemotron_asr_cpp_bench >&2
ln -sf "$source_dir/scripts/convert_to_gguf.py" "$build_dir/bin/convert_to_gguf.py"

echo "$build_dir/bin"
