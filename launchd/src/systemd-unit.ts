// The systemd user unit that starts verbatimd at login and after a crash (Linux).
import { RESTART_THROTTLE_SECONDS, type ServiceSpec } from "./service-spec";

// systemd expands %-specifiers in ExecStart and Environment, and unquotes C-style escapes inside quotes.
const escapeSpecifiers = (text: string) => text.replace(/%/g, "%%");
const quote = (text: string) => `"${escapeSpecifiers(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export function systemdUnit(spec: ServiceSpec): string {
  const environment = Object.entries(spec.environment)
    .map(([name, value]) => `Environment=${quote(`${name}=${value}`)}`)
    .join("\n");
  return `[Unit]
Description=Verbatim transcription daemon (verbatimd)

[Service]
Type=simple
ExecStart=${quote(spec.nodePath)} ${quote(spec.daemonEntry)}
${environment}
Restart=on-failure
RestartSec=${RESTART_THROTTLE_SECONDS}

[Install]
WantedBy=default.target
`;
}
