// Sets one member of a JSON file's top-level object by editing only that member's text, so the rest of a file a
// person wrote (other keys, their order, spacing and line breaks) stays exactly as it was.

interface Member {
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

interface TopLevelObject {
  members: Map<string, Member>;
  lastValueEnd: number | null;
  closingBrace: number;
}

/** `text` with the top-level member `key` set to `value` (added at the end when absent). `text` must be valid JSON. */
export function setTopLevelMember(text: string, key: string, value: unknown): string {
  const object = scanTopLevel(text);
  const multiline = text.slice(0, object.closingBrace).includes("\n");
  const member = object.members.get(key);
  if (member) {
    const indent = multiline ? lineIndent(text, member.keyStart) : "";
    return text.slice(0, member.valueStart) + format(value, indent, multiline) + text.slice(member.valueEnd);
  }
  if (object.lastValueEnd === null) {
    const body = multiline
      ? `\n  ${JSON.stringify(key)}: ${format(value, "  ", true)}\n`
      : `${JSON.stringify(key)}:${format(value, "", false)}`;
    const open = text.lastIndexOf("{", object.closingBrace);
    return text.slice(0, open + 1) + body + text.slice(object.closingBrace);
  }
  const last = [...object.members.values()].find((m) => m.valueEnd === object.lastValueEnd)!;
  const indent = multiline ? lineIndent(text, last.keyStart) : "";
  const added = multiline
    ? `,\n${indent}${JSON.stringify(key)}: ${format(value, indent, true)}`
    : `,${JSON.stringify(key)}:${format(value, "", false)}`;
  return text.slice(0, object.lastValueEnd) + added + text.slice(object.lastValueEnd);
}

/** `text` without the top-level member `key` (and the comma that joined it to another); unchanged when absent. */
export function removeTopLevelMember(text: string, key: string): string {
  const object = scanTopLevel(text);
  const member = object.members.get(key);
  if (!member) return text;
  const members = [...object.members.values()];
  const at = members.indexOf(member);
  const next = members[at + 1];
  if (next) return text.slice(0, member.keyStart) + text.slice(next.keyStart);
  const previous = members[at - 1];
  if (previous) return text.slice(0, previous.valueEnd) + text.slice(member.valueEnd);
  return text.slice(0, text.lastIndexOf("{", member.keyStart) + 1) + text.slice(object.closingBrace);
}

function format(value: unknown, indent: string, multiline: boolean): string {
  if (!multiline) return JSON.stringify(value);
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

/** The spaces before position `at` on its line, when only spaces precede it there. */
function lineIndent(text: string, at: number): string {
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const before = text.slice(lineStart, at);
  return /^[ \t]*$/.test(before) ? before : "  ";
}

function scanTopLevel(text: string): TopLevelObject {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") throw new Error("the file does not hold a JSON object");
  i = skipSpace(text, i + 1);
  const members = new Map<string, Member>();
  let lastValueEnd: number | null = null;
  while (text[i] !== "}") {
    const keyStart = i;
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    const valueStart = i;
    const valueEnd = skipValue(text, i);
    members.set(key, { keyStart, valueStart, valueEnd });
    lastValueEnd = valueEnd;
    i = skipSpace(text, valueEnd);
    if (text[i] === ",") i = skipSpace(text, i + 1);
  }
  return { members, lastValueEnd, closingBrace: i };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && " \t\r\n".includes(text[i])) i++;
  return i;
}

/** The position after the string starting at `i`. */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new Error("unterminated string in JSON");
}

function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] === "{" || text[i] === "[") {
    let depth = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i);
        continue;
      }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
      i++;
      if (depth === 0) return i;
    }
    throw new Error("unterminated object or list in JSON");
  }
  while (i < text.length && !",}] \t\r\n".includes(text[i])) i++;
  return i;
}
