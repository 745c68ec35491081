// The dates history.delete and history.count take (and `verbatim history rm --before`): only dates that exist, never
// rolled over into another day, each naming the moment Date.parse gives it.
import { parseIsoDate } from "../src/protocol";

test("dates and times that exist name the moment Date.parse gives them", () => {
  for (const text of [
    "2026-01-31",
    "2024-02-29",
    "2000-02-29",
    "2026-12-31T23:59:59.999Z",
    "2026-01-31T18:30",
    "2026-01-31T18:30:05",
    "2026-01-31T18:30:05.5+02:00",
    "2026-06-30T00:00:00-09:30",
  ]) {
    expect(parseIsoDate(text)?.getTime()).toBe(Date.parse(text));
  }
  // A space for the T, an offset without its colon, more than milliseconds.
  expect(parseIsoDate("2026-01-31 18:30Z")?.toISOString()).toBe("2026-01-31T18:30:00.000Z");
  expect(parseIsoDate("2026-01-31T18:30+0130")?.toISOString()).toBe("2026-01-31T17:00:00.000Z");
  expect(parseIsoDate("2026-01-31T18:30:00.123456Z")?.toISOString()).toBe("2026-01-31T18:30:00.123Z");
});

test("a date or time that does not exist is null, however Date.parse would roll it over", () => {
  for (const text of [
    "2026-13-45",
    "2026-11-31",
    "2026-02-30",
    "2025-02-29",
    "1900-02-29",
    "2026-00-10",
    "2026-04-00",
    "2026-01-31T24:00",
    "2026-01-31T18:60",
    "2026-01-31T18:30:60",
    "2026-01-31T18:30+24:00",
    "2026-1-31",
    "2026-01-31T18",
    "tomorrow",
    "",
  ]) {
    expect(parseIsoDate(text)).toBeNull();
  }
});
