/**
 * A local HTTP server speaking the parts of the Hugging Face Hub API that model downloads use, for test
 * repositories built from folders on disk:
 *   GET  /api/models/<org>/<name>/revision/<rev>     model info with the commit sha
 *   GET  /api/models/<org>/<name>/tree/<rev>         file listing (oid, size, lfs {oid, size})
 *   HEAD|GET /<org>/<name>/resolve/<rev>/<path>      git files served directly with ETag = git blob sha1;
 *                                                   LFS files redirect to /cdn/<sha256> with X-Linked-Etag/-Size
 *   GET  /cdn/<sha256>                               LFS content, with Range support
 * Every answer carries X-Repo-Commit like the hub's. Requests are recorded; faults can be injected per file.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, mkdir, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  status: number;
  /** Body bytes actually sent. */
  bodyBytes: number;
}

export interface TestRepoFile {
  path: string;
  content: Buffer;
  size: number;
  /** sha256 of the content for LFS files, git blob sha1 for the others: the blob's name in the cache. */
  etag: string;
  lfs: boolean;
}

export interface TestRepo {
  repoId: string;
  commit: string;
  files: Map<string, TestRepoFile>;
}

/** How the next GET of a file's content misbehaves. */
export type ContentFault =
  | { kind: "corrupt" } // same length, different bytes
  | { kind: "truncate"; bytes: number } // a well-formed but short response
  | { kind: "stall"; bytes: number } // sends that many bytes, then holds the connection until dropStalled()
  | { kind: "trickle"; bytes: number; intervalMs: number }; // sends that many bytes at a time, pausing between

const LFS_EXTENSIONS = [".safetensors", ".npz", ".bin"];

export class TestHub {
  readonly requests: RecordedRequest[] = [];
  private readonly repos = new Map<string, TestRepo>();
  private readonly faults = new Map<string, ContentFault>();
  private readonly stalled: ServerResponse[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const hub = new TestHub(server, `http://127.0.0.1:${port}`);
    server.on("request", (request, response) => hub.handle(request, response));
    return hub;
  }

  async close(): Promise<void> {
    this.dropStalled();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Publishes a folder's files as a repository; *.safetensors, *.npz and *.bin are stored as LFS files. */
  async addRepoFromFolder(repoId: string, folder: string): Promise<TestRepo> {
    const files = new Map<string, TestRepoFile>();
    for (const name of (await readdir(folder)).sort()) {
      const content = await readFile(join(folder, name));
      const lfs = LFS_EXTENSIONS.some((extension) => name.endsWith(extension));
      const etag = lfs ? sha256(content) : gitBlobId(content);
      files.set(name, { path: name, content, size: content.length, etag, lfs });
    }
    const commit = createHash("sha1")
      .update(repoId)
      .update([...files.values()].map((file) => `${file.path}:${file.etag}`).join("\n"))
      .digest("hex");
    const repo = { repoId, commit, files };
    this.repos.set(repoId, repo);
    return repo;
  }

  injectFault(repoId: string, path: string, fault: ContentFault): void {
    this.faults.set(this.fileKey(repoId, path), fault);
  }

  /** Cuts the connections held by "stall" faults, as a dropped network would. */
  dropStalled(): void {
    for (const response of this.stalled.splice(0)) response.socket?.destroy();
  }

  /** Requests for a file's content (not the 1-byte probes the client makes first). */
  contentRequests(file: TestRepoFile): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        request.method === "GET" &&
        request.range !== "bytes=0-0" &&
        (request.path === `/cdn/${file.etag}` || request.path.endsWith(`/resolve/${file.path}`)),
    );
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", this.url);
    const segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
    const record: RecordedRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      range: request.headers.range,
      status: 0,
      bodyBytes: 0,
    };
    this.requests.push(record);
    response.on("finish", () => (record.status = response.statusCode));
    response.on("close", () => (record.status ||= response.statusCode));

    if (segments[0] === "api" && segments[1] === "models") {
      this.handleApi(segments.slice(2), response, record);
    } else if (segments[0] === "cdn") {
      const file = this.findLfsBlob(segments[1]);
      if (!file) return this.notFound(response, record, "EntryNotFound");
      this.sendContent(request, response, record, file.repo, file.file, { ETag: `"${file.file.etag}"` });
    } else if (segments[2] === "resolve") {
      this.handleResolve(request, segments, response, record);
    } else {
      this.notFound(response, record, "RepoNotFound");
    }
  }

  private handleApi(segments: string[], response: ServerResponse, record: RecordedRequest): void {
    const [org, name, endpoint, revision] = segments;
    const repo = this.repos.get(`${org}/${name}`);
    if (!repo) return this.notFound(response, record, "RepoNotFound");
    if (!this.knowsRevision(repo, revision)) return this.notFound(response, record, "RevisionNotFound");
    if (endpoint === "revision") {
      return this.sendJson(response, record, repo, {
        _id: repo.commit.slice(0, 24),
        id: repo.repoId,
        sha: repo.commit,
        private: false,
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: "2025-01-01T00:00:00.000Z",
        siblings: [...repo.files.keys()].map((path) => ({ rfilename: path })),
      });
    }
    if (endpoint === "tree") {
      return this.sendJson(
        response,
        record,
        repo,
        [...repo.files.values()].map((file) => ({
          type: "file",
          path: file.path,
          size: file.size,
          oid: file.lfs ? gitBlobId(Buffer.from(`lfs pointer ${file.etag}`)) : file.etag,
          ...(file.lfs && { lfs: { oid: file.etag, size: file.size, pointerSize: 134 } }),
        })),
      );
    }
    this.notFound(response, record, "EntryNotFound");
  }

  private handleResolve(
    request: IncomingMessage,
    segments: string[],
    response: ServerResponse,
    record: RecordedRequest,
  ): void {
    const repo = this.repos.get(`${segments[0]}/${segments[1]}`);
    if (!repo) return this.notFound(response, record, "RepoNotFound");
    if (!this.knowsRevision(repo, segments[3])) return this.notFound(response, record, "RevisionNotFound");
    const file = repo.files.get(segments.slice(4).join("/"));
    if (!file) return this.notFound(response, record, "EntryNotFound");
    if (file.lfs) {
      response.writeHead(302, {
        Location: `/cdn/${file.etag}`,
        "X-Repo-Commit": repo.commit,
        "X-Linked-Etag": `"${file.etag}"`,
        "X-Linked-Size": String(file.size),
        ETag: `"${gitBlobId(Buffer.from(`lfs pointer ${file.etag}`))}"`,
      });
      response.end();
      return;
    }
    this.sendContent(request, response, record, repo, file, { ETag: `"${file.etag}"` });
  }

  private sendContent(
    request: IncomingMessage,
    response: ServerResponse,
    record: RecordedRequest,
    repo: TestRepo,
    file: TestRepoFile,
    headers: Record<string, string>,
  ): void {
    const isProbe = request.headers.range === "bytes=0-0";
    const fault = isProbe || request.method !== "GET" ? undefined : this.takeFault(repo, file);
    let content = file.content;
    if (fault?.kind === "corrupt") content = Buffer.from(content.map((byte) => byte ^ 0xff));
    if (fault?.kind === "truncate") content = content.subarray(0, fault.bytes);

    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
    if (start > end && content.length > 0) {
      response.writeHead(416, { "Content-Range": `bytes */${content.length}`, "X-Repo-Commit": repo.commit });
      response.end();
      return;
    }
    const body = content.subarray(start, end + 1);
    response.writeHead(range ? 206 : 200, {
      ...headers,
      "X-Repo-Commit": repo.commit,
      "Accept-Ranges": "bytes",
      "Content-Type": "application/octet-stream",
      "Content-Length": String(body.length),
      ...(range && { "Content-Range": `bytes ${start}-${end}/${content.length}` }),
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    if (fault?.kind === "stall") {
      const sent = body.subarray(0, fault.bytes);
      record.bodyBytes = sent.length;
      response.write(sent);
      this.stalled.push(response);
      return;
    }
    if (fault?.kind === "trickle") {
      trickle(response, record, body, fault.bytes, fault.intervalMs);
      return;
    }
    record.bodyBytes = body.length;
    response.end(body);
  }

  private sendJson(response: ServerResponse, record: RecordedRequest, repo: TestRepo, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    record.bodyBytes = body.length;
    response.writeHead(200, { "Content-Type": "application/json", "X-Repo-Commit": repo.commit });
    response.end(body);
  }

  private notFound(response: ServerResponse, record: RecordedRequest, errorCode: string): void {
    const body = Buffer.from(JSON.stringify({ error: `${errorCode}: not found` }));
    record.bodyBytes = body.length;
    response.writeHead(404, { "Content-Type": "application/json", "X-Error-Code": errorCode });
    response.end(body);
  }

  private knowsRevision(repo: TestRepo, revision: string | undefined): boolean {
    return revision === "main" || revision === "HEAD" || revision === repo.commit;
  }

  private findLfsBlob(etag: string | undefined): { repo: TestRepo; file: TestRepoFile } | undefined {
    for (const repo of this.repos.values()) {
      for (const file of repo.files.values()) if (file.lfs && file.etag === etag) return { repo, file };
    }
    return undefined;
  }

  private takeFault(repo: TestRepo, file: TestRepoFile): ContentFault | undefined {
    const key = this.fileKey(repo.repoId, file.path);
    const fault = this.faults.get(key);
    this.faults.delete(key);
    return fault;
  }

  private fileKey(repoId: string, path: string): string {
    return `${repoId}:${path}`;
  }
}

function trickle(
  response: ServerResponse,
  record: RecordedRequest,
  body: Buffer,
  bytes: number,
  intervalMs: number,
): void {
  const sendNext = (offset: number): void => {
    if (response.destroyed) return;
    const piece = body.subarray(offset, offset + bytes);
    record.bodyBytes += piece.length;
    if (offset + bytes >= body.length) {
      response.end(piece);
      return;
    }
    response.write(piece);
    setTimeout(() => sendNext(offset + bytes), intervalMs);
  };
  sendNext(0);
}

/**
 * Writes a model folder: a Whisper config.json, weights of random bytes (in a valid safetensors file when the name
 * says safetensors), and the files a hub repo also has.
 */
export async function writeTestModelFolder(
  folder: string,
  options: { weightsFile?: string; weightsBytes?: number; withConfig?: boolean; config?: object } = {},
): Promise<void> {
  await mkdir(folder, { recursive: true });
  if (options.withConfig ?? true) {
    const config = options.config ?? { model_type: "whisper", n_mels: 80, n_audio_state: 384, seed: randomHex(8) };
    await writeFile(join(folder, "config.json"), JSON.stringify(config, null, 2));
  }
  const weightsFile = options.weightsFile ?? "weights.safetensors";
  const tensorBytes = randomBytes(options.weightsBytes ?? 300_000);
  await writeFile(
    join(folder, weightsFile),
    weightsFile.endsWith(".safetensors") ? safetensors(tensorBytes) : tensorBytes,
  );
  await writeFile(join(folder, "README.md"), "# test model\n");
}

/** A safetensors file holding the bytes as one tensor, so its declared length can be checked like a real one. */
function safetensors(tensor: Buffer): Buffer {
  const header = Buffer.from(
    JSON.stringify({ weights: { dtype: "U8", shape: [tensor.length], data_offsets: [0, tensor.length] } }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, tensor]);
}

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export function gitBlobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}
