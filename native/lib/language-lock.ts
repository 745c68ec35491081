// A language lock for a multilingual transducer (Parakeet v3): the pieces of the model's own vocabulary that a
// language cannot write, which the engine then never emits (its suppressTokens, transducer/token_mask.h). A language
// writes its letters (CLDR's exemplar characters, main and auxiliary: language-letters.ts) with their diacritics, and
// every language shares punctuation, digits, symbols, spaces and the word mark "▁". So a piece is locked out when any
// of its letters (or combining marks) is not the language's, even where its other letters are: "▁für" is not English.
// Special pieces ("<unk>", "<pad>", …) stay. A byte piece ("<0xNN>") is judged as its character when it is ASCII; a
// byte of a multi-byte character could spell a letter of any script, so those are locked out (a multilingual
// vocabulary holds its languages' letters as pieces of their own).
import { InvalidArgumentError } from "./errors";
import { LANGUAGE_LETTERS } from "./language-letters";

const WORD_MARK = "\u2581";
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const SPECIAL_PIECE = /^<[^<>]+>$/;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;

/** The language codes a lock knows the letters of: Parakeet v3's 25 languages. */
export const LOCK_LANGUAGES: readonly string[] = Object.keys(LANGUAGE_LETTERS).sort();

const letterSets = new Map<string, ReadonlySet<string>>();

/** The letters and combining marks `language` writes, lowercase, each as written alone and decomposed. */
function lettersOf(language: string): ReadonlySet<string> {
  let letters = letterSets.get(language);
  if (!letters) {
    const sets = LANGUAGE_LETTERS[language];
    if (!sets) {
      throw new InvalidArgumentError(
        `No language lock for "${language}": the lock knows the letters of ${LOCK_LANGUAGES.join(", ")}`,
        "ERR_INVALID_ARGUMENT",
      );
    }
    const written = (sets.main + sets.auxiliary).replace(/[[\]{}\s]/gu, "").toLowerCase();
    letters = new Set([...written.normalize("NFC"), ...written.normalize("NFD")]);
    letterSets.set(language, letters);
  }
  return letters;
}

/** Whether `language` (its `letters`) can write the piece. */
function writes(piece: string, letters: ReadonlySet<string>): boolean {
  const byte = BYTE_PIECE.exec(piece);
  if (byte) {
    const value = parseInt(byte[1], 16);
    return value < 0x80 && writes(String.fromCharCode(value), letters);
  }
  if (SPECIAL_PIECE.test(piece)) return true;
  const text = piece.split(WORD_MARK).join(" ").normalize("NFC").toLowerCase();
  return [...text].every((char) => !LETTER_OR_MARK.test(char) || letters.has(char));
}

/**
 * The ids of the pieces a model locked to `language` may not emit (ascending). Throws InvalidArgumentError for a
 * language the lock does not know (LOCK_LANGUAGES).
 */
export function lockedOutPieces(pieces: readonly string[], language: string): number[] {
  const letters = lettersOf(language);
  return pieces.flatMap((piece, id) => (writes(piece, letters) ? [] : [id]));
}

/** The scripts whose letters the vocabulary's pieces write, of Latin, Cyrillic and Greek (Parakeet v3's three). */
export function vocabularyScripts(pieces: readonly string[]): Set<"Latin" | "Cyrillic" | "Greek"> {
  const scripts = new Set<"Latin" | "Cyrillic" | "Greek">();
  for (const piece of pieces) {
    if (/\p{Script=Latin}/u.test(piece)) scripts.add("Latin");
    if (/\p{Script=Cyrillic}/u.test(piece)) scripts.add("Cyrillic");
    if (/\p{Script=Greek}/u.test(piece)) scripts.add("Greek");
  }
  return scripts;
}
