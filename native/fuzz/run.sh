#!/usr/bin/env bash
# Builds the libFuzzer targets into native/fuzz/build and runs each for N seconds (default 60):
#   native/fuzz/run.sh [seconds]
# Needs clang with libFuzzer (Debian/Ubuntu: clang-14 and libclang-rt-14-dev; macOS: Homebrew llvm); set CXX to use
# another clang++.
# New interesting inputs go to build/corpus/<target>; crashes to build/crash-*. Seeds: corpus/<target>.
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
engine="$here/../src/engine"
build="$here/build"
cxx="${CXX:-clang++-14}"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$engine")
formats="$engine/formats"
sources=("$formats/json.cpp" "$formats/tensor_file.cpp" "$formats/safetensors_format.cpp" "$formats/npz_format.cpp"
         "$formats/mapped_file.cpp" "$formats/affine_quantize.cpp" "$engine/whisper/model_config.cpp"
         "$engine/parakeet/parakeet_weights.cpp")

mkdir -p "$build"
# A compiler without libFuzzer fails deep in the first build with a linker error: say what to install instead.
if ! command -v "$cxx" >/dev/null; then
  echo "$cxx was not found. Install clang with libFuzzer (Debian/Ubuntu: apt install clang-14 libclang-rt-14-dev;" \
       "macOS: brew install llvm, then CXX=\$(brew --prefix llvm)/bin/clang++), or set CXX to such a clang++." >&2
  exit 2
fi
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$build/probe.cpp"
if ! probe_errors="$("$cxx" "${flags[@]}" "$build/probe.cpp" -o "$build/probe" 2>&1)"; then
  echo "$probe_errors" | tail -n 3 >&2
  echo "$cxx cannot build a libFuzzer target (above). With clang-14 on Debian/Ubuntu, libFuzzer and the sanitizer" \
       "runtimes come in libclang-rt-14-dev: apt install libclang-rt-14-dev. GCC has no libFuzzer; on macOS use" \
       "Homebrew llvm's clang++ through CXX (Apple's has none)." >&2
  exit 2
fi

for target in tensor_file model_config; do
  echo "building ${target}_fuzzer"
  "$cxx" "${flags[@]}" "$here/${target}_fuzzer.cpp" "${sources[@]}" -o "$build/${target}_fuzzer"
done

for target in tensor_file model_config; do
  mkdir -p "$build/corpus/$target"
  echo "running ${target}_fuzzer for ${seconds}s"
  (cd "$build" && "./${target}_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
     -dict="$here/$target.dict" -print_final_stats=1 "corpus/$target" "$here/corpus/$target" 2>&1 |
     grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY|crash-|Done" || true)
  if compgen -G "$build/crash-*" >/dev/null || compgen -G "$build/leak-*" >/dev/null || compgen -G "$build/timeout-*" >/dev/null; then
    echo "${target}_fuzzer found a failing input: see $build" >&2
    exit 1
  fi
done
