// `verbatim mcp` driven by the MCP SDK's own client over stdio, against the real daemon with the fixture model:
// it lists its tools, searches and reads the history (a dictation among it), and transcribes a file, which the
// history then keeps under the assistant's name. Lines that are not JSON-RPC get the errors JSON-RPC 2.0 asks for.
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation } from "../support/dictation";
import { cliEntry, DaemonProcess } from "../support/daemon-process";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { connectMcp, toolText } from "../support/mcp";
import { within } from "../support/within";

jest.setTimeout(180_000);

const speakerModelFolder = path.join(repoRoot, "test", "fixtures", "models", "diarization-tiny");
let daemon: DaemonProcess;
let mcp: Client;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2, speakerModel: speakerModelFolder });
  const client = await daemon.connect();
  const following = await startDictation(client, "stream", { app: "Notes" });
  sendPcm(client, following.session, await pcmOf(heldoutWav("heldout-07.wav")));
  await stopDictation(client, following.session);
  await client.transcribeFile(heldoutWav("heldout-03.wav")).promise;
  client.close();

  mcp = await connectMcp(daemon);
});

afterAll(async () => {
  await mcp?.close();
  await daemon?.dispose();
});

test("lists its tools, each with an input schema", async () => {
  const { tools } = await mcp.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([
    "get_transcript",
    "list_transcripts",
    "search_transcripts",
    "transcribe_file",
  ]);
  const search = tools.find((tool) => tool.name === "search_transcripts")!;
  expect(search.inputSchema.required).toEqual(["query"]);
  expect(search.annotations?.readOnlyHint).toBe(true);
});

test("searches the history, lists it and reads one transcript in full", async () => {
  const found = toolText(await mcp.callTool({ name: "search_transcripts", arguments: { query: "damage fun" } }));
  expect(found).toMatch(/^- #1 · .* · dictation, from Notes · 3 s\n {2}.*damage fund/);
  expect(toolText(await mcp.callTool({ name: "search_transcripts", arguments: { query: "zebra" } }))).toBe(
    "No transcript has all of: zebra",
  );

  const listed = toolText(await mcp.callTool({ name: "list_transcripts", arguments: { limit: 1 } }));
  expect(listed).toContain("#2 · ");
  expect(listed).toContain(`file ${heldoutWav("heldout-03.wav")} · 4 s`);
  expect(listed).toContain("(more: list_transcripts with before_id 2)");

  const read = toolText(await mcp.callTool({ name: "get_transcript", arguments: { id: 1, timings: true } }));
  expect(read).toMatch(
    /language en · model .*verbatim-tiny-en\n\n\[0:00\.0 → 0:02\.\d\] The level far damage fund regular receive\.$/,
  );
  const missing = await mcp.callTool({ name: "get_transcript", arguments: { id: 99 } });
  expect(missing.isError).toBe(true);
  // In the words of this client: its own tools, never the daemon's requests.
  expect(toolText(missing)).toBe(
    "No transcript #99 is kept (it may have been deleted); list_transcripts and search_transcripts give the ids there are",
  );
});

test("its instructions name the machine it runs on", () => {
  const machine = { darwin: "this Mac", linux: "this Linux machine" }[process.platform as string] ?? "this computer";
  expect(mcp.getInstructions()).toContain(`recordings on ${machine}.`);
  if (process.platform !== "darwin") expect(mcp.getInstructions()).not.toContain("Mac");
});

test("transcribes a file, and the history keeps it under the assistant's name", async () => {
  const file = heldoutWav("heldout-07.wav");
  const result = await mcp.callTool({ name: "transcribe_file", arguments: { path: file } });
  expect(result.isError).toBeFalsy();
  expect(toolText(result)).toMatch(/^The level far damage fund regular receive\.\n\n\(language en, 3 s, model /);
  const latest = toolText(await mcp.callTool({ name: "list_transcripts", arguments: { limit: 1 } }));
  expect(latest).toContain(`file ${file}, from e2e-assistant (MCP)`);

  const relative = await mcp.callTool({ name: "transcribe_file", arguments: { path: path.basename(file) } });
  expect(relative.isError).toBe(true);
  expect(toolText(relative)).toContain("absolute path");
  const invalid = await mcp.callTool({ name: "search_transcripts", arguments: {} });
  expect(invalid.isError).toBe(true);

  // The language is checked as the HTTP API and the socket check it, and one the model cannot do is refused.
  const klingon = await mcp.callTool({ name: "transcribe_file", arguments: { path: file, language: "klingon" } });
  expect(klingon.isError).toBe(true);
  expect(toolText(klingon)).toContain('"klingon" is not a language Whisper knows: give an ISO-639-1 code such as "en"');
  const german = await mcp.callTool({ name: "transcribe_file", arguments: { path: file, language: "de" } });
  expect(german.isError).toBe(true);
  expect(toolText(german)).toContain('is an English-only model and cannot transcribe "de" (German)');
});

test("transcribe_file with speakers: one line per turn, as verbatim transcribe --speakers prints them", async () => {
  const file = path.join(repoRoot, "test", "fixtures", "conversations", "test-2spk-000.wav");
  const printed = await daemon.cli("transcribe", "--speakers", "auto", file);
  expect(printed.code).toBe(0);
  expect(printed.stdout).toMatch(/^Speaker 1: /);
  const result = await mcp.callTool({ name: "transcribe_file", arguments: { path: file, speakers: "auto" } });
  expect(result.isError).toBeFalsy();
  const expected = `${printed.stdout.trimEnd()}\n\n(language en, `;
  expect(toolText(result).slice(0, expected.length)).toBe(expected);
  const refused = await mcp.callTool({ name: "transcribe_file", arguments: { path: file, speakers: 9 } });
  expect(refused.isError).toBe(true);
});

test("search_transcripts pages as it says: the next page with before_id", async () => {
  // Two entries say "damage": the dictation (#1) and the file the assistant transcribed (#3).
  const first = toolText(await mcp.callTool({ name: "search_transcripts", arguments: { query: "damage", limit: 1 } }));
  expect(first).toMatch(/^- #3 · /);
  expect(first).toContain("(more: search_transcripts with the same query and before_id 3)");
  const next = toolText(
    await mcp.callTool({ name: "search_transcripts", arguments: { query: "damage", limit: 1, before_id: 3 } }),
  );
  expect(next).toMatch(/^- #1 · .* · dictation, from Notes/);
  expect(next).not.toContain("(more:");
  expect(
    toolText(await mcp.callTool({ name: "search_transcripts", arguments: { query: "damage", before_id: 1 } })),
  ).toBe("No older transcript has all of: damage");
});

test("a line that is not JSON gets -32700 Parse error, one that is not JSON-RPC -32600, and it goes on", async () => {
  const child = spawn(process.execPath, [cliEntry, "mcp"], { env: daemon.env, stdio: ["pipe", "pipe", "ignore"] });
  const replies = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const reply = async () => JSON.parse((await within(30_000, "a reply", replies.next())).value as string) as unknown;
  try {
    child.stdin.write("{not json\n");
    expect(await reply()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: expect.stringMatching(/^Parse error: the line is not JSON/) },
    });
    child.stdin.write('{"hello": "world"}\n');
    expect(await reply()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "Invalid Request: the line is not a JSON-RPC 2.0 message" },
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" })}\n`);
    expect(await reply()).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
  } finally {
    child.kill();
  }
});
