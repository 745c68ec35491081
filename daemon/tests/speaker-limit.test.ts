// --speakers N on what the speaker model found: the N who speak longest kept, numbered again in the model's order.
import { keepSpeakers } from "../src/speakers/speaker-limit";

// The model numbers speakers in its own arrival order, which need not be the order of their segments' starts.
const speech = [
  { speaker: 0, start: 0, end: 1 }, // 0: 1 s
  { speaker: 2, start: 1, end: 4 }, // 2: 3 s
  { speaker: 1, start: 4, end: 6 }, // 1: 2 s + 1 s = 3 s
  { speaker: 1, start: 7, end: 8 },
  { speaker: 3, start: 6, end: 6.5 }, // 3: 0.5 s
];

test("auto keeps every speaker as numbered", () => {
  expect(keepSpeakers(speech, "auto")).toEqual(speech);
});

test("N keeps the N with the most speech (the lower-numbered on a tie), renumbered in the model's order", () => {
  expect(keepSpeakers(speech, 2)).toEqual([
    { speaker: 1, start: 1, end: 4 },
    { speaker: 0, start: 4, end: 6 },
    { speaker: 0, start: 7, end: 8 },
  ]);
  expect(keepSpeakers(speech, 1)).toEqual([
    { speaker: 0, start: 4, end: 6 },
    { speaker: 0, start: 7, end: 8 },
  ]);
  expect(keepSpeakers(speech, 3).map((segment) => segment.speaker)).toEqual([0, 2, 1, 1]);
});
