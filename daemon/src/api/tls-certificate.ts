// The API's self-signed certificate for HTTPS and WSS: made once in the config folder (key 0600) for loopback (and
// host.docker.internal) and the address the API listens on, and made again when it expires soon, does not name that address, or its key does not
// parse or does not belong to it. Clients are told to trust this one certificate (NODE_EXTRA_CA_CERTS, a `ca`
// option, or the macOS keychain).
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { generate } from "selfsigned";

/** Apple's limit for TLS server certificates a user trusts by hand. */
const VALID_DAYS = 825;
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

export interface ApiCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** The certificate's file: what clients are told to trust. */
  certificateFile: string;
}

export function certificateFolder(configDir: string): string {
  return path.join(configDir, "api-tls");
}

export interface CertificateLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The certificate for an API listening on `host`, made (or made again) when needed; a key found readable by others
 * (a copy restored from a backup) is made private again, one that is not this certificate's key is replaced (logged).
 */
export async function ensureCertificate(configDir: string, host: string, log: CertificateLog): Promise<ApiCertificate> {
  const folder = certificateFolder(configDir);
  const certificateFile = path.join(folder, "certificate.pem");
  const keyFile = path.join(folder, "private-key.pem");
  const names = namesFor(host);
  if (existsSync(certificateFile) && existsSync(keyFile)) {
    chmodSync(keyFile, 0o600);
    const certificatePem = readFileSync(certificateFile, "utf8");
    const privateKeyPem = readFileSync(keyFile, "utf8");
    if (stillGood(certificatePem, names)) {
      if (keyOf(certificatePem, privateKeyPem)) return { certificatePem, privateKeyPem, certificateFile };
      log.warn("the API's TLS key is not a key of its certificate (or does not parse): both are made again", {
        key: keyFile,
      });
    }
  }
  const made = await generate([{ name: "commonName", value: "Verbatim local API" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + VALID_DAYS * 24 * 60 * 60 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...names.dns.map((value) => ({ type: 2 as const, value })),
          ...names.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  writePrivately(keyFile, made.private);
  writePrivately(certificateFile, made.cert);
  return { certificatePem: made.cert, privateKeyPem: made.private, certificateFile };
}

interface Names {
  dns: string[];
  ips: string[];
}

/**
 * Loopback always, with host.docker.internal (the name containers on the Mac give it, which the Host check takes);
 * the listening address (every interface's, for a wildcard one) besides. A certificate lacking one of them is made
 * again.
 */
function namesFor(host: string): Names {
  const names: Names = { dns: ["localhost", "host.docker.internal"], ips: ["127.0.0.1", "::1"] };
  const add = (name: string) => {
    const bare = name.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
    const list = isIP(bare) ? names.ips : names.dns;
    if (!list.includes(bare)) list.push(bare);
  };
  if (host === "0.0.0.0" || host === "::" || host === "[::]") {
    for (const addresses of Object.values(os.networkInterfaces())) for (const a of addresses ?? []) add(a.address);
    add(os.hostname());
    if (!os.hostname().endsWith(".local")) add(`${os.hostname()}.local`);
  } else add(host);
  return names;
}

function stillGood(pem: string, names: Names): boolean {
  try {
    const certificate = new X509Certificate(pem);
    if (Date.parse(certificate.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return (
      names.dns.every((name) => certificate.checkHost(name, { wildcards: false }) !== undefined) &&
      names.ips.every((ip) => certificate.checkIP(ip) !== undefined)
    );
  } catch {
    return false; // unreadable: make a new one
  }
}

/** Whether `keyPem` parses and is the private key of the certificate `certificatePem`. */
function keyOf(certificatePem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Writes `text` into a new file only its owner can read, whatever the umask, and puts it in place of `file`. */
function writePrivately(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    chmodSync(temporary, 0o600); // one left behind by a crash keeps the mode it was made with
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}
