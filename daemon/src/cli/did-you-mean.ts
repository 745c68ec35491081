// "Did you mean …?" for a mistyped option, command or action: the one candidate it most likely meant, if any.

/**
 * Edits from `a` to `b`: letters inserted, deleted, replaced, or two neighbours swapped (the optimal string alignment
 * distance), so that the common slip "--fromat" is one edit from "--format", not two as from "--prompt".
 */
export function typoDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const replace = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

/**
 * The candidate `given` is nearest to, when close enough to be a typo (at most a third of its letters off, two for a
 * short word, as config.json's keys are judged) or the only one it begins: null when none is, or two are as near.
 */
export function nearest(given: string, candidates: readonly string[]): string | null {
  if (given === "") return null;
  const begun = candidates.filter((candidate) => candidate.startsWith(given));
  if (begun.length === 1) return begun[0];
  const near = candidates
    .map((candidate) => ({ candidate, edits: typoDistance(given, candidate) }))
    .filter(({ edits }) => edits <= Math.max(2, given.length / 3))
    .sort((x, y) => x.edits - y.edits);
  if (near.length === 0 || (near.length > 1 && near[1].edits === near[0].edits)) return null;
  return near[0].candidate;
}

/** " (did you mean X?)" for `given` among `candidates`, or "" when none is close. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  const found = nearest(given, candidates);
  return found === null ? "" : ` (did you mean ${found}?)`;
}

/**
 * What a command needs when its action is missing or unknown: "daemon needs one of: start, stop, …", led by the
 * unknown action given and the one it most likely meant. `listing` words the actions (default: their names).
 */
export function needsOneOf(
  command: string,
  given: string | undefined,
  actions: readonly string[],
  listing = actions.join(", "),
): string {
  const unknown = given === undefined ? "" : `unknown ${command} action "${given}"${didYouMean(given, actions)}; `;
  return `${unknown}${command} needs one of: ${listing}`;
}
