// The HTTP API's settings (config.json's "api" member): off by default, on loopback, a port of its own.
import { isOrigin } from "../protocol";

export interface ApiSettings {
  enabled: boolean;
  port: number;
  /** The address it listens on: loopback unless the user names another. */
  host: string;
  /**
   * Serve HTTPS and WSS too, with a self-signed certificate (the Realtime client of the `openai` package dials wss://),
   * on a port of its own beside plain HTTP, which keeps working.
   */
  tls: boolean;
  /** The HTTPS port; absent: the plain port + 1. */
  tlsPort?: number;
  /**
   * Origins whose pages may read the answers (CORS), such as Obsidian's app://obsidian.md; none by default, so web
   * pages cannot.
   */
  allowOrigins: string[];
}

export const DEFAULT_API_SETTINGS: ApiSettings = {
  enabled: false,
  port: 8178,
  host: "127.0.0.1",
  tls: false,
  allowOrigins: [],
};

/** An origin as browsers send it: scheme://host[:port], nothing after. */
const RULES: { [K in keyof ApiSettings]-?: (value: unknown) => boolean } = {
  enabled: (v) => typeof v === "boolean",
  port: (v) => isPort(v),
  tlsPort: (v) => isPort(v),
  host: (v) => typeof v === "string" && v.trim().length > 0 && v.length <= 253,
  tls: (v) => typeof v === "boolean",
  allowOrigins: (v) => Array.isArray(v) && v.every(isOrigin),
};

export const API_SETTINGS_EXPECTED =
  'an object {"enabled": true or false, "port": 1-65535, "host": an address, "tls": true or false, "tlsPort": ' +
  '1-65535, "allowOrigins": ["scheme://host", …]} (any may be left out)';

/** Whether `value` is an "api" member the daemon can use (missing fields take their defaults). */
export function validApiSettings(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = value as Record<string, unknown>;
  return (Object.keys(RULES) as (keyof ApiSettings)[]).every(
    (key) => fields[key] === undefined || RULES[key](fields[key]),
  );
}

/** The settings of a valid "api" member, with defaults for what it leaves out. */
export function apiSettingsOf(value: unknown): ApiSettings {
  const fields = validApiSettings(value) ? (value as Partial<ApiSettings>) : {};
  return {
    enabled: fields.enabled ?? DEFAULT_API_SETTINGS.enabled,
    port: fields.port ?? DEFAULT_API_SETTINGS.port,
    host: fields.host?.trim() ?? DEFAULT_API_SETTINGS.host,
    tls: fields.tls ?? DEFAULT_API_SETTINGS.tls,
    ...(fields.tlsPort !== undefined && { tlsPort: fields.tlsPort }),
    allowOrigins: fields.allowOrigins ?? DEFAULT_API_SETTINGS.allowOrigins,
  };
}

/** The port HTTPS listens on (with tls): its own setting, else the plain port + 1. */
export function tlsPortOf(settings: ApiSettings): number {
  return settings.tlsPort ?? (settings.port === 65535 ? 65534 : settings.port + 1);
}

function isPort(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
}
