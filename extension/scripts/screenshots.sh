#!/usr/bin/env bash
# The Store's screenshots (DEVELOPMENT.md, "Screenshots"), made on a Mac with Raycast's own Window Capture:
#   screenshots.sh prepare   sample data without personal data: a short recording (macOS `say`) transcribed into the
#                            history, and vocabulary terms and a replacement (the daemon must be running)
#   screenshots.sh take      opens each screen in Raycast in turn, says what to set up, waits for you to take it with
#                            Window Capture (Save to Metadata on), and checks the file it wrote
#   screenshots.sh check     checks metadata/: verbatim-1.png to verbatim-6.png, each a 2000 x 1250 PNG, nothing else
set -euo pipefail
extension="$(cd "$(dirname "$0")/.." && pwd)"
metadata="$extension/metadata"
samples="${TMPDIR:-/tmp}/verbatim-screenshots"

shots=(
  "dictate|Dictate: speak \"Let's move the design review to Thursday at ten and send the notes to the whole team\"; take it while the last words are still in italics"
  "transcribe-file|Transcribe File: pick $samples/Interview.m4a, wait for the text, then open the action panel (⌘K) on the save actions"
  "search-transcripts|Search Transcripts: type \"design review\"; the detail pane shows the transcript"
  "manage-modes|Manage Modes: the five built-in modes, Email selected, its detail (apps, finishing, instruction) shown"
  "manage-vocabulary|Manage Vocabulary: the terms and the replacement from 'prepare'"
  "dictate|Install Verbatim: run 'verbatim daemon uninstall' first (and 'verbatim daemon install' after)"
)

size_of() {
  # A PNG's width and height: big-endian 32-bit numbers at bytes 16 and 20 (its IHDR chunk).
  od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d x %d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

problem_of() {
  local file="$metadata/$1"
  if [[ ! -f "$file" ]]; then
    echo "missing: metadata/$1"
  elif [[ "$(head -c 8 "$file" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]]; then
    echo "not a PNG: metadata/$1"
  elif [[ "$(size_of "$file")" != "2000 x 1250" ]]; then
    echo "wrong size: metadata/$1 is $(size_of "$file"); the Store takes 2000 x 1250 (Raycast's Window Capture makes that)"
  fi
}

case "${1:-}" in
  prepare)
    command -v verbatim >/dev/null || { echo "verbatim is not installed: npm install -g verbatim-dictation && verbatim daemon install" >&2; exit 1; }
    mkdir -p "$samples"
    say -o "$samples/Interview.m4a" --file-format=m4af \
      "Thanks for joining. Let's start with the launch plan: the beta opens on Monday, and the design review moves to Thursday."
    verbatim transcribe "$samples/Interview.m4a" >/dev/null
    for term in Ximena Okonkwo Kubernetes; do verbatim vocabulary add "$term" >/dev/null; done
    verbatim vocabulary add --replace "see a" --with Xia >/dev/null
    echo "Sample data ready: $samples/Interview.m4a is in the history; vocabulary: Ximena, Okonkwo, Kubernetes, see a → Xia."
    echo "Dictate a line into Notes and one into Slack with Toggle Dictation, so the dropdown lists apps."
    ;;
  take)
    mkdir -p "$metadata"
    # raycast://extensions/AUTHOR/NAME/COMMAND opens one of the extension's commands.
    deeplink="raycast://extensions/$(node -p 'require(process.argv[1]).author' "$extension/package.json")/verbatim"
    for index in "${!shots[@]}"; do
      name="verbatim-$((index + 1)).png"
      command="${shots[$index]%%|*}"
      echo
      echo "$name: ${shots[$index]#*|}"
      open "$deeplink/$command"
      read -r -p "Set it up, press Raycast's Window Capture hotkey (Save to Metadata on), then Enter here… " _
      # Window Capture names its file after the command; give it the Store's name.
      newest="$(ls -t "$metadata"/*.png 2>/dev/null | head -1 || true)"
      if [[ -n "$newest" && "$(basename "$newest")" != verbatim-*.png ]]; then mv "$newest" "$metadata/$name"; fi
      problem_of "$name" || true
    done
    "$0" check
    ;;
  check)
    problems=()
    for index in "${!shots[@]}"; do
      problem="$(problem_of "verbatim-$((index + 1)).png")"
      [[ -z "$problem" ]] || problems+=("$problem")
    done
    for file in "$metadata"/*; do
      [[ -e "$file" ]] || continue
      name="$(basename "$file")"
      [[ "$name" =~ ^verbatim-[1-6]\.png$ ]] || problems+=("not in the list: metadata/$name (the Store shows verbatim-1.png to verbatim-6.png)")
    done
    if ((${#problems[@]} > 0)); then
      printf '%s\n' "${problems[@]}"
      echo "${#problems[@]} problem(s) in metadata/: 'scripts/screenshots.sh take' on a Mac makes the set" >&2
      exit 1
    fi
    echo "metadata/ holds the 6 screenshots, each 2000 x 1250."
    ;;
  *)
    echo "usage: $0 prepare|take|check" >&2
    exit 2
    ;;
esac
