# Homebrew formula for Verbatim, rendered by the release workflow (.github/workflows/release.yml) with the version
# and the checksum of the published npm tarball, and attached to the GitHub release for the tap.
# It installs the npm package with Homebrew's node; npm brings this platform's prebuilt engine (MLX and its Metal
# kernels included on Apple silicon), so nothing is compiled.
class Verbatim < Formula
  desc "Local, private dictation and transcription: a warm Whisper daemon and CLI"
  homepage "https://github.com/verbatim-app/verbatim"
  url "https://registry.npmjs.org/verbatim/-/verbatim-@VERSION@.tgz"
  sha256 "@SHA256@"
  license "MIT"

  depends_on "ffmpeg"
  depends_on "node"

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
    ENV["VERBATIM_HOME"] = testpath/"verbatim"
    assert_match(/^ok +node/, shell_output("#{bin}/verbatim doctor || true"))
  end
end
