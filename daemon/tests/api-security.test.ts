// The HTTP API's defences: the Host check against DNS rebinding, the bearer token's file and comparison, and the
// self-signed certificate for --tls (names, key file mode, kept until it no longer fits).
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { allowedHostNames, hostAllowed, isLoopback } from "../src/api/host-check";
import { ensureCertificate } from "../src/api/tls-certificate";
import { ensureToken, readToken, rotateToken, tokenFile, tokenMatches } from "../src/api/token";

const folder = () => mkdtempSync(path.join(os.tmpdir(), "verbatim-api-"));

test("on loopback, only loopback names with the API's port pass the Host check", () => {
  const names = allowedHostNames("127.0.0.1");
  const allowed = (host: string | undefined) => hostAllowed(host, names, 8178, false);
  expect(
    ["127.0.0.1:8178", "localhost:8178", "LOCALHOST:8178", "[::1]:8178", "host.docker.internal:8178"].map(allowed),
  ).toEqual([true, true, true, true, true]);
  expect(
    [undefined, "", "attacker.example:8178", "127.0.0.1:8179", "127.0.0.1", "localhost.attacker.example:8178"].map(
      allowed,
    ),
  ).toEqual([false, false, false, false, false, false]);
  // The scheme's default port when the header has none.
  expect(hostAllowed("localhost", allowedHostNames("localhost"), 443, true)).toBe(true);
  expect(hostAllowed("localhost", allowedHostNames("localhost"), 8178, true)).toBe(false);
});

test("on another address, that address (and for a wildcard, this machine's own names) pass", () => {
  expect(hostAllowed("192.168.1.20:8178", allowedHostNames("192.168.1.20"), 8178, false)).toBe(true);
  expect(hostAllowed("localhost:8178", allowedHostNames("192.168.1.20"), 8178, false)).toBe(false);
  const wildcard = allowedHostNames("0.0.0.0");
  expect(hostAllowed(`${os.hostname()}:8178`, wildcard, 8178, false)).toBe(true);
  expect(hostAllowed("127.0.0.1:8178", wildcard, 8178, false)).toBe(true);
  expect(hostAllowed("attacker.example:8178", wildcard, 8178, false)).toBe(false);
  expect([isLoopback("127.0.0.1"), isLoopback("::1"), isLoopback("0.0.0.0"), isLoopback("10.0.0.1")]).toEqual([
    true,
    true,
    false,
    false,
  ]);
});

test("the token is made once, 0600, compared whole, and a rotation replaces it", () => {
  const file = tokenFile(folder());
  expect(readToken(file)).toBeNull();
  const token = ensureToken(file);
  expect(token).toMatch(/^vbt-[\w-]{43}$/);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(ensureToken(file)).toBe(token);
  expect(tokenMatches(token, token)).toBe(true);
  expect(tokenMatches(token, token.slice(0, -1))).toBe(false);
  expect(tokenMatches(token, `${token}x`)).toBe(false);
  const rotated = rotateToken(file);
  expect(rotated).not.toBe(token);
  expect(readToken(file)).toBe(rotated);
  expect(statSync(file).mode & 0o777).toBe(0o600);
});

test("the certificate names loopback and the API's address, keeps its key private, and is made again when it must be", async () => {
  const configDir = folder();
  const first = await ensureCertificate(configDir, "127.0.0.1");
  const certificate = new X509Certificate(first.certificatePem);
  expect(certificate.checkIP("127.0.0.1")).toBe("127.0.0.1");
  expect(certificate.checkIP("::1")).toBeDefined();
  expect(certificate.checkHost("localhost")).toBe("localhost");
  expect(certificate.checkHost("attacker.example")).toBeUndefined();
  expect(certificate.verify(certificate.publicKey)).toBe(true); // self-signed
  expect(statSync(path.join(configDir, "api-tls", "private-key.pem")).mode & 0o777).toBe(0o600);
  expect(readFileSync(first.certificateFile, "utf8")).toBe(first.certificatePem);

  expect((await ensureCertificate(configDir, "localhost")).certificatePem).toBe(first.certificatePem); // still fits
  const other = await ensureCertificate(configDir, "192.168.1.20"); // not named in the old one
  expect(other.certificatePem).not.toBe(first.certificatePem);
  expect(new X509Certificate(other.certificatePem).checkIP("192.168.1.20")).toBe("192.168.1.20");
  writeFileSync(other.certificateFile, "not a certificate");
  expect((await ensureCertificate(configDir, "192.168.1.20")).certificatePem).toContain("BEGIN CERTIFICATE");
});
