// The vocabulary the daemon uses, and its edits through the protocol. config.json is the record: every request
// reads it again (so hand edits count from the next request), and an edit changes only the "vocabulary" member's
// text (other keys, entries the daemon cannot use and the file's formatting stay) and replaces the file atomically.
// Edits run one at a time, each on the file as the one before left it, so concurrent clients lose nothing; a hand
// edit saved while one is written makes it run again on the saved file (editConfigFile), so no person loses theirs.
import { DEFAULT_MODEL } from "../models";
import { ProtocolError, type ModelCapabilities, type VocabularyData, type VocabularyReplacement } from "../protocol";
import { ConfigFileError, editConfigFile, readConfigFile, type ConfigFileText } from "../config-file/config-file-edit";
import { setTopLevelMember } from "../config-file/json-member-edit";
import {
  boostStrengthProblem,
  MAX_ENTRIES,
  phraseProblem,
  quoted,
  readVocabulary,
  replacementProblem,
  sameText,
  type ReadVocabulary,
  type Vocabulary,
} from "./vocabulary";

/**
 * The loaded model as the vocabulary sees it: whether it has a decoder prompt or boosts terms, and which terms it
 * uses.
 */
export interface VocabularyModel {
  id: string;
  model: {
    capabilities: Pick<ModelCapabilities, "family" | "prompt" | "boosting">;
    promptTerms(terms: readonly string[]): string[];
    defaultBoostStrength?: number;
  };
}

/** The "vocabulary" member as written in the file, invalid entries included. */
interface Section {
  [key: string]: unknown;
  terms: unknown[];
  replacements: unknown[];
}

export class VocabularyStore {
  private read: ReadVocabulary;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly configFile: string,
    initial: ReadVocabulary,
    /** The loaded model, to tell which terms fit its decoder prompt (if it has one); null while none is loaded. */
    private readonly model: () => VocabularyModel | null,
    /** A new config.json (none was there) holds these settings besides the vocabulary. */
    private readonly defaults: Record<string, unknown>,
  ) {
    this.read = initial;
  }

  /** The vocabulary new jobs and dictations use. */
  get current(): Vocabulary {
    return this.read.vocabulary;
  }

  list(): Promise<VocabularyData> {
    return this.serially(async () => {
      const file = await this.readFile("the daemon goes on with the vocabulary it read before");
      this.read = readVocabulary(file?.values.vocabulary);
      return this.data();
    });
  }

  /** Adds a term at the end (most recent); one that is already there in any case moves there, as now spelt. */
  async addTerm(term: string): Promise<VocabularyData> {
    const problem = phraseProblem(term);
    if (problem) throw new ProtocolError("bad_message", `the term ${quoted(term)} cannot be used: ${problem}`);
    return this.edit((section) => {
      const others = section.terms.filter((t) => typeof t !== "string" || !sameText(t, term));
      if (others.length >= MAX_ENTRIES) throw full("terms");
      section.terms = [...others, term.trim()];
    });
  }

  /** Adds a replacement at the end; one with the same `from` (in any case) is replaced where it stands. */
  async addReplacement(replacement: VocabularyReplacement): Promise<VocabularyData> {
    const problem = replacementProblem(replacement);
    if (problem) throw new ProtocolError("bad_message", `the replacement cannot be used: ${problem}`);
    const entry: VocabularyReplacement = { from: replacement.from.trim(), to: replacement.to.trim() };
    if (replacement.case) entry.case = replacement.case;
    return this.edit((section) => {
      const at = section.replacements.findIndex((r) => hasFrom(r, entry.from));
      if (at >= 0) {
        section.replacements = section.replacements
          .map((r, i) => (i === at ? entry : r))
          .filter((r, i) => i <= at || !hasFrom(r, entry.from));
        return;
      }
      if (section.replacements.length >= MAX_ENTRIES) throw full("replacements");
      section.replacements = [...section.replacements, entry];
    });
  }

  /** Sets how strongly terms are boosted; null: back to the default (the setting removed). */
  setBoostStrength(boostStrength: number | null): Promise<VocabularyData> {
    if (boostStrength !== null) {
      const problem = boostStrengthProblem(boostStrength);
      if (problem)
        throw new ProtocolError(
          "bad_message",
          `the boost strength ${quoted(boostStrength)} cannot be used: ${problem}`,
        );
    }
    return this.edit((section) => {
      if (boostStrength === null) delete section.boostStrength;
      else section.boostStrength = boostStrength;
    });
  }

  removeTerm(term: string): Promise<VocabularyData> {
    return this.edit((section) => {
      const kept = section.terms.filter((t) => typeof t !== "string" || !sameText(t, term));
      if (kept.length === section.terms.length) {
        throw new ProtocolError("not_found", `the vocabulary has no term ${quoted(term)} (list it to see)`);
      }
      section.terms = kept;
    });
  }

  removeReplacement(from: string): Promise<VocabularyData> {
    return this.edit((section) => {
      const kept = section.replacements.filter((r) => !hasFrom(r, from));
      if (kept.length === section.replacements.length) {
        throw new ProtocolError("not_found", `the vocabulary has no replacement of ${quoted(from)} (list it to see)`);
      }
      section.replacements = kept;
    });
  }

  /**
   * Sets another top-level member of config.json (the HTTP API's settings), in turn with vocabulary edits so that
   * neither loses the other's change; only that member's text is rewritten.
   */
  setMember(key: string, value: unknown): Promise<void> {
    return this.serially(() =>
      this.saving("the setting was not saved", (file) => ({
        text: file
          ? setTopLevelMember(file.text, key, value)
          : JSON.stringify({ ...this.defaults, [key]: value }, null, 2) + "\n",
        result: undefined,
      })),
    );
  }

  private data(): VocabularyData {
    const loaded = this.model();
    return {
      terms: this.read.vocabulary.terms,
      replacements: this.read.vocabulary.replacements,
      promptTerms: loaded ? loaded.model.promptTerms(this.read.vocabulary.terms) : null,
      problems: this.read.problems,
      boostStrength: this.read.vocabulary.boostStrength ?? null,
      ...(loaded && termsUseOf(loaded)),
    };
  }

  private edit(change: (section: Section) => void): Promise<VocabularyData> {
    return this.serially(async () => {
      const section = await this.saving(UNCHANGED, (file) => {
        const section = sectionOf(file?.values.vocabulary, this.configFile);
        change(section);
        const text = file
          ? setTopLevelMember(file.text, "vocabulary", section)
          : JSON.stringify({ ...this.defaults, vocabulary: section }, null, 2) + "\n";
        return { text, result: section };
      });
      this.read = readVocabulary(section);
      return this.data();
    });
  }

  /** editConfigFile, its failures as `config` errors ending with `outcome`. */
  private async saving<T>(
    outcome: string,
    build: (file: ConfigFileText | null) => { text: string; result: T },
  ): Promise<T> {
    try {
      return await editConfigFile(this.configFile, build);
    } catch (error) {
      if (error instanceof ConfigFileError) throw configError(error.message, outcome);
      throw error;
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The config file's text and values; null when there is none. */
  private async readFile(outcome: string): Promise<ConfigFileText | null> {
    try {
      return await readConfigFile(this.configFile);
    } catch (error) {
      if (error instanceof ConfigFileError) throw configError(error.message, outcome);
      throw error;
    }
  }
}

/** How the loaded model uses the terms, or (taking none) a notice saying so and which model does. */
function termsUseOf(
  loaded: VocabularyModel,
): Pick<VocabularyData, "termsUse" | "termsNotice" | "defaultBoostStrength"> {
  const { capabilities } = loaded.model;
  if (capabilities.prompt) return { termsUse: "prompt" };
  if (capabilities.boosting) {
    return { termsUse: "boosting", defaultBoostStrength: loaded.model.defaultBoostStrength };
  }
  return { termsNotice: termsNotUsed(loaded) };
}

/** Says that the loaded model takes no terms, and which model does. */
export function termsNotUsed(loaded: VocabularyModel): string {
  const family = loaded.model.capabilities.family;
  return (
    `${loaded.id} is a ${family[0].toUpperCase()}${family.slice(1)} model, which neither has a decoder prompt nor ` +
    `boosts terms: vocabulary terms are not used with it (replacements are). Terms help a Whisper model, such as ` +
    `${DEFAULT_MODEL}, and a Parakeet model.`
  );
}

function sectionOf(value: unknown, file: string): Section {
  if (value === undefined || value === null) return { terms: [], replacements: [] };
  if (typeof value !== "object" || Array.isArray(value)) {
    throw configError(`"vocabulary" in ${file} is not an object: fix or remove it, then try again`);
  }
  const section = { ...(value as Record<string, unknown>) };
  for (const key of ["terms", "replacements"]) {
    if (section[key] === undefined) section[key] = [];
    else if (!Array.isArray(section[key])) {
      throw configError(`"vocabulary.${key}" in ${file} is not a list: fix or remove it, then try again`);
    }
  }
  return section as Section;
}

function hasFrom(entry: unknown, from: string): boolean {
  if (typeof entry !== "object" || entry === null) return false;
  const value = (entry as Record<string, unknown>).from;
  return typeof value === "string" && sameText(value, from);
}

function full(list: "terms" | "replacements"): ProtocolError {
  return new ProtocolError(
    "bad_message",
    `the vocabulary already holds ${MAX_ENTRIES} ${list}, the most it keeps: remove some first`,
  );
}

const UNCHANGED = "the vocabulary was not changed";

function configError(message: string, outcome = UNCHANGED): ProtocolError {
  return new ProtocolError("config", `${message}; ${outcome}`);
}
