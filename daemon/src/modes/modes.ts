// Modes (config key "modes"): per-app dictation settings and how their text is finished. Reading them from
// config.json keeps every valid mode and names each invalid one; a dictation takes the mode it names, else the first
// that lists its app, else the default mode (Plain).
import { MODE_FIELDS, modeProblem, ProtocolError, type DictationMode } from "../protocol";

/** The mode of dictations that name none and whose app no mode lists. */
export const DEFAULT_MODE = "Plain";

/** Plain as built in: what a dictation is when config.json has no mode of that name. */
const PLAIN: DictationMode = { name: DEFAULT_MODE, apps: [], finishing: "none", deliver: "paste" };

/**
 * The modes a user starts with. Finishing is off in each until the user picks an engine (Raycast AI, which is
 * Raycast's cloud service, or a local model), so nothing leaves the machine unasked.
 */
export const BUILT_IN_MODES: readonly DictationMode[] = [
  PLAIN,
  {
    name: "Message",
    apps: [
      "com.tinyspeck.slackmacgap",
      "com.apple.MobileSMS",
      "com.hnc.Discord",
      "net.whatsapp.WhatsApp",
      "ru.keepcoder.Telegram",
    ],
    finishing: "none",
    instruction:
      "Make it a short chat message: casual punctuation, no greeting or sign-off, the writer's own words and tone.",
    deliver: "paste",
  },
  {
    name: "Email",
    apps: ["com.apple.mail", "com.microsoft.Outlook", "com.readdle.smartemail-Mac"],
    finishing: "none",
    instruction:
      "Make it the body of an email: a greeting line, the text in short paragraphs, a sign-off without a name; " +
      "keep the writer's words and meaning.",
    deliver: "paste",
  },
  {
    name: "Note",
    apps: ["com.apple.Notes", "md.obsidian", "notion.id"],
    finishing: "none",
    instruction: "Make it a note: short bullet points (- at the start of each), one idea each, in the writer's words.",
    deliver: "paste",
  },
  {
    name: "Code",
    apps: [
      "com.apple.Terminal",
      "com.googlecode.iterm2",
      "com.mitchellh.ghostty",
      "dev.warp.Warp-Stable",
      "com.microsoft.VSCode",
      "com.apple.dt.Xcode",
    ],
    finishing: "none",
    instruction:
      "Make it a code comment or commit message: nothing but the text, plain, no markdown, no code fences, no quotes.",
    deliver: "paste",
  },
];

export interface ReadModes {
  modes: DictationMode[];
  /** Each mode not used, named by its place in the config ("modes[2]") with why. */
  problems: string[];
}

/** The usable modes of a config "modes" value (absent: the built-in ones). */
export function readModes(value: unknown): ReadModes {
  if (value === undefined) return { modes: BUILT_IN_MODES.map((mode) => ({ ...mode })), problems: [] };
  if (!Array.isArray(value)) {
    return { modes: [], problems: ['"modes" must be a list of modes; none is used (dictations are Plain)'] };
  }
  const modes: DictationMode[] = [];
  const problems: string[] = [];
  value.forEach((entry, index) => {
    const name = (entry as { name?: unknown } | null)?.name;
    const label = `"modes[${index}]"${typeof name === "string" ? ` (${JSON.stringify(name)})` : ""}`;
    const problem = modeProblem(entry);
    if (problem) problems.push(`${label} is not used: ${problem}`);
    else if (findMode(modes, name as string)) problems.push(`${label} is not used: an earlier mode has its name`);
    else modes.push(knownFields(entry as DictationMode, label, problems));
  });
  return { modes, problems };
}

/** The mode without the fields Verbatim does not know (a newer version's), each named in `problems`. */
function knownFields(mode: DictationMode, label: string, problems: string[]): DictationMode {
  const unknown = Object.keys(mode).filter((key) => !MODE_FIELDS.includes(key));
  if (unknown.length === 0) return mode;
  for (const key of unknown)
    problems.push(`${label}: "${key}" is not a field of a mode Verbatim knows; it is kept in the file but not used`);
  return Object.fromEntries(Object.entries(mode).filter(([key]) => MODE_FIELDS.includes(key))) as DictationMode;
}

export function findMode(modes: readonly DictationMode[], name: string): DictationMode | undefined {
  const wanted = name.trim().toLowerCase();
  return modes.find((mode) => mode.name.trim().toLowerCase() === wanted);
}

/**
 * The mode of a dictation: the one it names (not_found when there is none), else the first that lists its app, else
 * the default mode (Plain as built in when the user removed it).
 */
export function chooseMode(
  modes: readonly DictationMode[],
  asked: { mode?: string; appBundleId?: string; requestId: string },
): DictationMode {
  if (asked.mode !== undefined) {
    const named = findMode(modes, asked.mode);
    if (named) return named;
    throw new ProtocolError(
      "not_found",
      `there is no mode ${JSON.stringify(asked.mode)}; the modes are ${modes.map((mode) => mode.name).join(", ")} ` +
        "(verbatim modes list)",
      asked.requestId,
    );
  }
  const app = asked.appBundleId?.toLowerCase();
  const forApp = app ? modes.find((mode) => mode.apps.some((id) => id.toLowerCase() === app)) : undefined;
  return forApp ?? findMode(modes, DEFAULT_MODE) ?? PLAIN;
}
