import { readFileSync } from "node:fs";
import path from "node:path";
import { alignmentHeadsFor, identifyModel, type ModelDims } from "../lib";
import { referenceDir } from "../../test/support/fixtures";

const reference: { heads: Record<string, Array<[number, number]>> } = JSON.parse(
  readFileSync(path.join(referenceDir, "alignment-heads.json"), "utf8"),
);

function dims(nVocab: number, width: number, audioLayers: number, textLayers: number): ModelDims {
  const heads = width / 64;
  return {
    nMels: nVocab === 51866 ? 128 : 80,
    nAudioCtx: 1500,
    nAudioState: width,
    nAudioHead: heads,
    nAudioLayer: audioLayers,
    nVocab,
    nTextCtx: 448,
    nTextState: width,
    nTextHead: heads,
    nTextLayer: textLayers,
  };
}

const openaiModels: Record<string, ModelDims> = {
  "tiny.en": dims(51864, 384, 4, 4),
  tiny: dims(51865, 384, 4, 4),
  "base.en": dims(51864, 512, 6, 6),
  base: dims(51865, 512, 6, 6),
  "small.en": dims(51864, 768, 12, 12),
  small: dims(51865, 768, 12, 12),
  "medium.en": dims(51864, 1024, 24, 24),
  medium: dims(51865, 1024, 24, 24),
  "large-v2": dims(51865, 1280, 32, 32),
  "large-v3": dims(51866, 1280, 32, 32),
  "large-v3-turbo": dims(51866, 1280, 32, 4),
};

test.each(Object.entries(openaiModels))("%s is recognised from its dims and gets the curated heads", (name, d) => {
  expect(identifyModel(d)).toBe(name);
  expect(alignmentHeadsFor(d, [[0, 0]])).toEqual(reference.heads[name]);
});

test("other shapes keep the heads stored with their weights", () => {
  const custom = dims(51864, 128, 3, 4);
  expect(identifyModel(custom)).toBeNull();
  expect(alignmentHeadsFor(custom, [[3, 1]])).toEqual([[3, 1]]);
});
