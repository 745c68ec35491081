// Copied from daemon/src/plain-text.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Text that comes from outside Verbatim's own code (what a model writes, from the pieces of its vocabulary file; the
// names a client gives) as it may be shown in a terminal, kept in the history and sent to other clients: without the
// control characters a terminal obeys (colours, a cleared screen, a window title, the cursor moved back over what was
// written) and without the bidirectional embeddings, overrides and isolates, which reorder the text shown around
// them. A transcript keeps its tabs and line breaks; a name is one line.
import type { SegmentData } from "./protocol";

/** C0 controls but tab and line feed, DEL, C1 controls, and U+202A-U+202E and U+2066-U+2069. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** Those, tab and line feed, and Unicode's line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROLS_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text (a transcript's) without control and text-direction characters; tabs and line breaks stay. */
export function plainText(text: string): string {
  return text.replace(CONTROLS, "");
}

/** A name (a file's, an app's) as one line: without control and text-direction characters or line breaks. */
export function plainLine(text: string): string {
  return text.replace(CONTROLS_AND_BREAKS, "");
}

/** A segment with plain text, its words' too. */
export function plainSegment(segment: SegmentData): SegmentData {
  const plain: SegmentData = { ...segment, text: plainText(segment.text) };
  if (segment.words) plain.words = segment.words.map((word) => ({ ...word, word: plainText(word.word) }));
  return plain;
}
