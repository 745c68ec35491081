# Homebrew formula for Verbatim, in the tap verbatim-app/homebrew-tap (`brew install verbatim-app/tap/verbatim`).
# The release workflow (.github/workflows/release.yml) renders it with the version and the checksums of the published
# npm tarball and of the test fixture it attaches to the GitHub release, and commits it to the tap as
# Formula/verbatim.rb. It installs the npm package verbatim-dictation with Homebrew's node; npm brings this platform's
# prebuilt engine (MLX and its Metal kernels included on Apple silicon), so nothing is compiled.
class Verbatim < Formula
  desc "Local, private dictation and transcription: a warm Whisper daemon and CLI"
  homepage "https://github.com/verbatim-app/verbatim"
  url "https://registry.npmjs.org/verbatim-dictation/-/verbatim-dictation-@VERSION@.tgz"
  sha256 "@SHA256@"
  license "MIT"

  depends_on "ffmpeg"
  depends_on "node"

  on_macos do
    # The oldest macOS the engine is built for (MINIMUM_MACOS in native/lib/macos.ts): Homebrew refuses older ones.
    depends_on macos: :sonoma
  end

  # The repository's small English test model and one held-out recording it transcribes exactly.
  resource "test-fixture" do
    url "https://github.com/verbatim-app/verbatim/releases/download/v@VERSION@/verbatim-test-fixture-@VERSION@.tar.gz"
    sha256 "@FIXTURE_SHA256@"
  end

  def install
    system "npm", "install", *std_npm_args
    bin.install_symlink libexec.glob("bin/*")
  end

  def caveats
    <<~EOS
      To start the daemon at login (and after an upgrade of node or verbatim), run:
        verbatim daemon install
      It keeps the model warm for the Raycast extension and the verbatim command. `verbatim doctor` checks the
      install. The login service names Homebrew's opt paths, so `brew upgrade` does not break it.
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/verbatim --version")
    resource("test-fixture").stage testpath
    ENV["VERBATIM_HOME"] = testpath/"verbatim"
    ENV["HF_HUB_OFFLINE"] = "1"
    text = shell_output("#{bin}/verbatim transcribe --no-daemon --model #{testpath}/verbatim-tiny-en " \
                        "#{testpath}/heldout-07.wav")
    assert_equal "The level far damage fund regular receive.", text.strip
  end
end
