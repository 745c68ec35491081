# Sourced by the peers' build scripts: whisper.cpp 1.9.1's sources (and so its ggml) as the npm package nodejs-whisper
# ships them, unpacked once into the benchmark cache, $BENCH_CACHE or node_modules/.cache/verbatim-bench (ignored by
# git and the linters), and the compiler flags this CPU needs. Sets: here, cache, package_dir, whisper_dir,
# extra_flags; exports GIT_CEILING_DIRECTORIES.
package_version=0.3.1
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
cache="${BENCH_CACHE:-$here/../../../node_modules/.cache/verbatim-bench}"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
package_dir="$cache/nodejs-whisper-$package_version"
whisper_dir="$package_dir/package/cpp/whisper.cpp"

if [ ! -f "$whisper_dir/CMakeLists.txt" ]; then
  mkdir -p "$package_dir"
  (cd "$package_dir" && npm pack --silent "nodejs-whisper@$package_version" >/dev/null)
  tar -xzf "$package_dir/nodejs-whisper-$package_version.tgz" -C "$package_dir"
fi

# Some virtual machines advertise AMX but fault when it is used; -march=native would then emit it.
extra_flags=""
if [ "$(uname -m)" = "x86_64" ]; then
  extra_flags="-mno-amx-int8 -mno-amx-tile -mno-amx-bf16"
fi

# ggml stamps itself with the commit of the git repository around its sources; here that would be ours, and every
# commit of ours would rebuild it. Stop git's search at the package.
export GIT_CEILING_DIRECTORIES="$package_dir"
