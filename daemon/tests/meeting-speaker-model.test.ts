// A meeting's live speakers use the speaker model only from disk: the trained speaker fixture published on a local
// hub, a meeting's stream (SpeakerHost.streaming through SpeakerFeed) before, while and after a job with speakers
// downloads it.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RecordingWriter } from "../src/dictation/recordings";
import { SpeakerFeed } from "../src/meetings/speaker-feed";
import { ModelStore } from "../src/models";
import { Logger } from "../src/service/logger";
import { SpeakerHost } from "../src/service/speaker-host";
import { TestHub } from "./support/hub-server";

const fixture = path.join(__dirname, "..", "..", "test", "fixtures", "models", "diarization-trained");
const REPO = "verbatim-test/diarization-trained";

let hub: TestHub;
let folder: string;
let host: SpeakerHost;

beforeAll(async () => {
  hub = await TestHub.start();
  await hub.addRepoFromFolder(REPO, fixture);
  folder = mkdtempSync(path.join(os.tmpdir(), "meeting-speakers-"));
  const store = new ModelStore({ hubUrl: hub.url, cacheDir: path.join(folder, "hub"), offline: false }, "daemon");
  const log = new Logger(path.join(folder, "logs"), { echo: null });
  host = new SpeakerHost(REPO, store, { backend: "cpu", threads: 2, idleUnloadMinutes: () => 0 }, log);
});

afterAll(async () => {
  host.close();
  await hub.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A meeting's feed of a second of silence on a system track, and what it said went wrong. */
async function feedSilence(name: string): Promise<{ feed: SpeakerFeed; failures: string[] }> {
  const failures: string[] = [];
  const track = new RecordingWriter(name, path.join(folder, `${name}.wav`));
  track.append(new Uint8Array(2 * 16_000 * 3));
  track.close();
  const feed = new SpeakerFeed(
    track.file,
    (work) => host.streaming(work),
    (why) => failures.push(why),
  );
  feed.holds(track.samples);
  await feed.window(0, 1, 0, 10_000);
  return { feed, failures };
}

test("a meeting downloads no speaker model: its feed says why and what to do, and the hub is not asked", async () => {
  const { feed, failures } = await feedSilence("before");
  expect(hub.requests).toEqual([]);
  expect(failures).toEqual([feed.problem]);
  expect(feed.problem).toMatch(
    /is not downloaded, and a meeting downloads none .*: verbatim models pull verbatim-test\/diarization-trained$/,
  );
  await feed.stop();
});

test("a job with speakers that asks while a meeting looks on disk downloads it; the next meeting streams it", async () => {
  const during = feedSilence("during");
  await host.use(
    () => {},
    new AbortController().signal,
    async () => {},
  );
  expect(hub.requests.length).toBeGreaterThan(0);
  await (await during).feed.stop();
  const asked = hub.requests.length;
  host.unload("the next meeting loads it again, from disk");
  const { feed, failures } = await feedSilence("after");
  expect(failures).toEqual([]);
  expect(feed.problem).toBeNull();
  expect(await feed.window(0, 1, 0, 10_000)).toMatchObject({ first: 0, speakers: expect.any(Number) });
  await feed.stop();
  expect(hub.requests.length).toBe(asked);
});
