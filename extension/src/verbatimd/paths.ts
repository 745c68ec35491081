// Copied from daemon/src/paths.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Where Verbatim keeps its socket, config, logs and models on this machine (ARCHITECTURE.md, "Where things live").
import os from "node:os";
import path from "node:path";

export interface VerbatimPaths {
  socket: string;
  /**
   * Folders Verbatim makes for the socket where others could make them first (outermost first): the daemon creates
   * them private or refuses ones that are not (service/socket-folders.ts). Empty where the user's own folders or the
   * user's explicit choice hold the socket.
   */
  socketFolders: string[];
  configDir: string;
  configFile: string;
  logDir: string;
  /** Verbatim's own state (recent results, live dictation recordings). */
  stateDir: string;
}

type Env = Record<string, string | undefined>;

// Unix socket paths are limited to sizeof(sockaddr_un.sun_path) - 1 bytes: 103 on macOS, 107 on Linux.
const maxSocketPathBytes = process.platform === "darwin" ? 103 : 107;

export function verbatimPaths(env: Env = process.env, platform = process.platform, home = os.homedir()): VerbatimPaths {
  let paths: Omit<VerbatimPaths, "configFile">;
  if (env.VERBATIM_HOME) {
    const root = path.resolve(env.VERBATIM_HOME);
    paths = {
      socket: path.join(root, "verbatimd.sock"),
      configDir: root,
      logDir: path.join(root, "logs"),
      stateDir: path.join(root, "state"),
      socketFolders: [],
    };
  } else if (platform === "darwin") {
    const support = path.join(home, "Library", "Application Support", "Verbatim");
    paths = {
      socket: path.join(support, "verbatimd.sock"),
      configDir: support,
      logDir: path.join(home, "Library", "Logs", "Verbatim"),
      stateDir: support,
      socketFolders: [],
    };
  } else {
    const runtime = env.XDG_RUNTIME_DIR ?? path.join(os.tmpdir(), `verbatim-${os.userInfo().uid}`);
    const socketFolder = path.join(runtime, "verbatim");
    const state = path.join(env.XDG_STATE_HOME ?? path.join(home, ".local", "state"), "verbatim");
    paths = {
      socket: path.join(socketFolder, "verbatimd.sock"),
      configDir: path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "verbatim"),
      logDir: state,
      stateDir: state,
      socketFolders: env.XDG_RUNTIME_DIR ? [socketFolder] : [runtime, socketFolder],
    };
  }
  if (env.VERBATIM_SOCKET) {
    paths.socket = path.resolve(env.VERBATIM_SOCKET);
    paths.socketFolders = [];
  }
  if (Buffer.byteLength(paths.socket) > maxSocketPathBytes) {
    throw new Error(
      `The socket path ${paths.socket} is longer than the ${maxSocketPathBytes} bytes a Unix socket allows. ` +
        "Set VERBATIM_SOCKET to a shorter path.",
    );
  }
  return { ...paths, configFile: path.join(paths.configDir, "config.json") };
}
