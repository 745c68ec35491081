// The first-run choice `verbatim doctor` and Raycast offer: every option a catalog model, its download said from the
// catalog's size.
import { DEFAULT_MODEL, findCatalogEntry } from "../src/models";
import { downloadPhrase } from "../src/models/byte-size";
import { FIRST_RUN_OPTIONS } from "../src/models/first-run-choice";

test("the default comes first, then Parakeet v3 and Nemotron Speech Streaming", () => {
  expect(FIRST_RUN_OPTIONS.map((option) => option.model)).toEqual([
    DEFAULT_MODEL,
    "parakeet-v3",
    "nemotron-streaming-en",
  ]);
});

test.each(FIRST_RUN_OPTIONS.map((option) => [option.model, option] as const))(
  "%s is a catalog model, and its download is the catalog's size",
  (_, option) => {
    const entry = findCatalogEntry(option.model);
    expect(entry?.name).toBe(option.model);
    const sizes = option.facts.filter((fact) => / GB\b/.test(fact));
    expect(sizes).toEqual([expect.stringContaining(downloadPhrase(entry!.downloadBytes))]);
  },
);

test.each([
  [463_000_000, "a download of about 0.46 GB"],
  [2_470_000_000, "a download of about 2.5 GB"],
  [2_000_000_000, "a download of about 2 GB"],
  [12_340_000_000, "a download of about 12 GB"],
])("%d bytes are %s", (bytes, phrase) => {
  expect(downloadPhrase(bytes)).toBe(phrase);
});
