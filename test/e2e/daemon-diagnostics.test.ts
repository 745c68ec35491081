// What the CLI and the socket tell a person about a daemon in trouble, on the real daemon: `verbatim status` tells a
// daemon that runs but does not answer (stopped with SIGSTOP here, as a saturated one looks) from one that is not
// running, and an upload that stalls is abandoned when the documented stall time is up, not up to a heartbeat later.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { encodeAudioFrame, type Event } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

const daemons: DaemonProcess[] = [];

afterAll(async () => {
  for (const daemon of daemons) await daemon.dispose();
});

test("verbatim status: running but not answering (pid N), not 'not running', while the daemon is stopped", async () => {
  const daemon = new DaemonProcess({ model: "/nonexistent/verbatim-test-model", threads: 1 });
  daemons.push(daemon);
  await daemon.start();
  const pid = daemon.child!.pid!;
  process.kill(pid, "SIGSTOP");
  try {
    const shown = await daemon.cli("status");
    expect(shown.code).toBe(5);
    expect(shown.stdout).toBe(
      `verbatimd is running (pid ${pid}) but not answering on ${daemon.socket}: it may be starting, overloaded or ` +
        "stopped (SIGSTOP). Try again in a moment; if it stays so, restart it: verbatim daemon restart\n",
    );
    const json = await daemon.cli("status", "--json");
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toEqual({ running: true, answering: false, pid, socket: daemon.socket });
  } finally {
    process.kill(pid, "SIGCONT");
  }
  expect((await daemon.cli("status")).stdout).toMatch(new RegExp(`^verbatimd \\S+ \\(pid ${pid}\\)`));

  await daemon.stop();
  const stopped = await daemon.cli("status");
  expect(stopped).toMatchObject({ code: 5, stdout: expect.stringMatching(/^verbatimd is not running \(socket /) });
  expect(JSON.parse((await daemon.cli("status", "--json")).stdout)).toEqual({ running: false, socket: daemon.socket });
});

test("a socket upload that stalls is abandoned once idleConnectionSeconds pass without a frame, not a heartbeat later", async () => {
  // 20 s: the daemon checks its connections every 10 s, so a check that waited for the next heartbeat would come
  // about 25 s after a frame sent 5 s into the connection.
  const STALL_S = 20;
  const daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 1, idleConnectionSeconds: STALL_S });
  daemons.push(daemon);
  const socket = new WebSocket(`ws+unix:${daemon.socket}:/`);
  const events: Event[] = [];
  socket.on("message", (data) => events.push(JSON.parse(String(data)) as Event));
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  try {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const id = "stalled";
    socket.send(JSON.stringify({ type: "transcribe", id, source: { kind: "upload", bytes: 100_000, name: "a.wav" } }));
    socket.send(encodeAudioFrame(id, new Uint8Array(1000).fill(1)));
    const lastFrame = performance.now();
    const abandoned = await new Promise<number>((resolve) => {
      const check = setInterval(() => {
        if (!events.some((event) => event.type === "error")) return;
        clearInterval(check);
        resolve((performance.now() - lastFrame) / 1000);
      }, 50);
    });
    expect(events).toContainEqual(expect.objectContaining({ type: "error", id, code: "timeout" }));
    // Not before the stall time; after it, within 3 s (timers on a loaded machine), well before a heartbeat's 10 s.
    expect(abandoned).toBeGreaterThan(STALL_S - 0.5);
    expect(abandoned).toBeLessThan(STALL_S + 3);
  } finally {
    socket.close();
  }
});
