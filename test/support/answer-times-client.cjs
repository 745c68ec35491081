// A client of its own process that asks the daemon GET /health (HTTP API) and `status` (socket) every 50 ms and keeps
// how long each answer took: a process apart from the test's, so that the test's own work (building and sending a
// 16 MiB event) never counts as the daemon's. Started by test/support/answer-times.ts with fork(); asked over IPC.
//   env: VERBATIM_SOCKET, ANSWER_TIMES_PORT (the API's plain HTTP port), ANSWER_TIMES_TOKEN (its token)
//   message "worst": replies { health, status }, the longest wait of each since the last "worst" (an answer still
//   awaited counts with its wait so far). It asks until it is killed.
const http = require("node:http");
const path = require("node:path");
const { DaemonClient } = require(path.join(__dirname, "..", "..", "daemon", "dist", "client.js"));

const EVERY_MS = 50;
const waits = { health: [], status: [] };
const pending = { health: null, status: null };
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function health() {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: "127.0.0.1",
        port: Number(process.env.ANSWER_TIMES_PORT),
        path: "/health",
        agent,
        headers: { authorization: `Bearer ${process.env.ANSWER_TIMES_TOKEN}` },
      },
      (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 200 ? resolve() : reject(new Error("not healthy"))));
      },
    );
    request.on("error", reject);
  });
}

async function loop(kind, ask) {
  for (;;) {
    const asked = performance.now();
    pending[kind] = asked;
    await ask();
    pending[kind] = null;
    waits[kind].push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
  }
}

function worst(kind) {
  const still = pending[kind] === null ? [] : [performance.now() - pending[kind]];
  const longest = Math.max(0, ...waits[kind], ...still);
  waits[kind].length = 0;
  return Math.round(longest);
}

async function main() {
  const client = await DaemonClient.connect(process.env.VERBATIM_SOCKET, { client: "answer-times" });
  process.on("message", (message) => {
    if (message === "worst") process.send({ health: worst("health"), status: worst("status") });
  });
  process.send("ready");
  await Promise.all([loop("health", health), loop("status", () => client.request({ type: "status" }))]);
}

main().catch((error) => {
  process.send({ error: String(error) });
  process.exit(1);
});
