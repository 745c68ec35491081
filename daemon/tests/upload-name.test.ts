// The name an upload is stored under: always one file inside its own folder, whatever name its client sent.
import { storedUploadName } from "../src/service/upload-name";

test.each([
  [undefined, "audio"],
  ["", "audio"],
  [".", "audio"],
  ["..", "audio"],
  ["a/../..", "audio"],
  ["../../etc/passwd", "passwd"],
  ["C:\\Users\\me\\memo.m4a", "memo.m4a"],
  ["nul\0name.wav", "nul_name.wav"],
  ["line\nbreak.wav", "line_break.wav"],
  ["memo.m4a", "memo.m4a"],
  ["Grüße 🎙.wav", "Grüße 🎙.wav"],
])("%j is stored as %j", (name, stored) => {
  expect(storedUploadName(name)).toBe(stored);
});

test("a name longer than a file system takes is cut, whole characters only, its extension kept", () => {
  const stored = storedUploadName(`${"é".repeat(300)}.m4a`);
  expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(200);
  expect(stored).toMatch(/^é+\.m4a$/);
  expect(storedUploadName(`${"x".repeat(300)}.${"y".repeat(40)}`)).toBe("x".repeat(200));
});
