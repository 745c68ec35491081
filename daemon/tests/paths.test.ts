import os from "node:os";
import path from "node:path";
import { verbatimPaths } from "../src/paths";

const home = "/Users/ada";

test("macOS keeps the socket and config in Application Support and logs in Library/Logs", () => {
  const paths = verbatimPaths({}, "darwin", home);
  expect(paths.socket).toBe("/Users/ada/Library/Application Support/Verbatim/verbatimd.sock");
  expect(paths.configFile).toBe("/Users/ada/Library/Application Support/Verbatim/config.json");
  expect(paths.logDir).toBe("/Users/ada/Library/Logs/Verbatim");
});

test("Linux follows the XDG folders", () => {
  const paths = verbatimPaths(
    { XDG_RUNTIME_DIR: "/run/user/1000", XDG_CONFIG_HOME: "/cfg", XDG_STATE_HOME: "/state" },
    "linux",
    "/home/ada",
  );
  expect(paths.socket).toBe("/run/user/1000/verbatim/verbatimd.sock");
  expect(paths.configFile).toBe("/cfg/verbatim/config.json");
  expect(paths.logDir).toBe("/state/verbatim");
});

test("VERBATIM_HOME and VERBATIM_SOCKET override the folders and the socket", () => {
  const paths = verbatimPaths({ VERBATIM_HOME: "/tmp/v", VERBATIM_SOCKET: "/tmp/s.sock" }, "linux", home);
  expect(paths.socket).toBe("/tmp/s.sock");
  expect(paths.configFile).toBe("/tmp/v/config.json");
});

test("a socket path too long for a Unix socket is refused with a way out", () => {
  expect(() => verbatimPaths({ VERBATIM_SOCKET: "/" + "x".repeat(200) }, "linux", home)).toThrow(/VERBATIM_SOCKET/);
});

test("the socket folders the daemon must create private are those in a shared place, and only those", () => {
  const uid = os.userInfo().uid;
  const shared = path.join(os.tmpdir(), `verbatim-${uid}`);
  expect(verbatimPaths({}, "linux", "/home/ada").socketFolders).toEqual([shared, path.join(shared, "verbatim")]);
  expect(verbatimPaths({ XDG_RUNTIME_DIR: "/run/user/1000" }, "linux", home).socketFolders).toEqual([
    "/run/user/1000/verbatim",
  ]);
  expect(verbatimPaths({ VERBATIM_SOCKET: "/tmp/s.sock" }, "linux", home).socketFolders).toEqual([]);
  expect(verbatimPaths({}, "darwin", home).socketFolders).toEqual([]);
});
