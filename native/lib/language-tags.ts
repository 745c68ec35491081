// Nemotron 3.5's language tags. With its `auto` prompt the model writes the language it hears as a piece of its own
// vocabulary: a locale between angle brackets, "<de-DE>" (NVIDIA's tokenizer holds one per locale it was trained on).
// A tag is not speech: it becomes the transcript's language and shows in no text, live or final.

const TAG = /^<([a-z]{2,3})-[A-Za-z]{2,4}>$/;

export class LanguageTags {
  private readonly codes = new Map<number, string>();

  constructor(pieces: readonly string[]) {
    pieces.forEach((piece, id) => {
      const tag = TAG.exec(piece);
      if (tag) this.codes.set(id, tag[1]);
    });
  }

  /** The vocabulary with each tag written as nothing (what the texts are made of). */
  silenced(pieces: readonly string[]): string[] {
    return pieces.map((piece, id) => (this.codes.has(id) ? "" : piece));
  }

  /** The language code of the first tag among the tokens ("de" for "<de-DE>"), or null when none was written. */
  languageOf(ids: readonly number[]): string | null {
    for (const id of ids) {
      const code = this.codes.get(id);
      if (code !== undefined) return code;
    }
    return null;
  }
}
