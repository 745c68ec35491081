// What Dictate and Toggle Dictation send for the microphone kept ready: the keypress (the command's launch) and the
// Keep Microphone Ready preference as the daemon's setting.
import type { DaemonStatus } from "../src/lib/daemon-connection";
import { keepReadyChange, launchTime } from "../src/lib/dictation-start";

const withSetting = (keepReadyMinutes?: number) =>
  ({ capture: { command: [], ...(keepReadyMinutes !== undefined && { keepReadyMinutes }) } }) as DaemonStatus;

test("the launch is the worker's time origin when it is this launch's, else the command's start", () => {
  expect(launchTime(1_000_000.4, 1_000_300)).toBe(1_000_000);
  expect(launchTime(1_000_000, 1_002_000)).toBe(1_000_000);
  expect(launchTime(1_000_000, 1_002_001)).toBe(1_002_001); // a worker kept from an earlier launch
});

test("Keep Microphone Ready sets the daemon's minutes only when they differ and the daemon has the setting", () => {
  expect(keepReadyChange("5", withSetting(0))).toBe(5);
  expect(keepReadyChange("0", withSetting(15))).toBe(0);
  expect(keepReadyChange("5", withSetting(5))).toBeNull();
  expect(keepReadyChange("", withSetting(5))).toBeNull(); // as config.json says
  expect(keepReadyChange(undefined, withSetting(5))).toBeNull();
  expect(keepReadyChange("5", withSetting())).toBeNull(); // a daemon from before the setting
});
