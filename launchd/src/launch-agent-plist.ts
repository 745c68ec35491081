// The LaunchAgent property list that starts verbatimd at login and after a crash.
import path from "node:path";
import { RESTART_THROTTLE_SECONDS, SERVICE_LABEL, type ServiceSpec } from "./service-spec";

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const key = (name: string) => `<key>${escapeXml(name)}</key>`;
const string = (value: string) => `<string>${escapeXml(value)}</string>`;

export function launchAgentLogFiles(logDir: string): { stdout: string; stderr: string } {
  return { stdout: path.join(logDir, "verbatimd.out.log"), stderr: path.join(logDir, "verbatimd.err.log") };
}

export function launchAgentPlist(spec: ServiceSpec): string {
  const logs = launchAgentLogFiles(spec.logDir);
  const environment = Object.entries(spec.environment)
    .map(([name, value]) => `\t\t${key(name)}\n\t\t${string(value)}`)
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t${key("Label")}
\t${string(SERVICE_LABEL)}
\t${key("ProgramArguments")}
\t<array>
\t\t${string(spec.nodePath)}
\t\t${string(spec.daemonEntry)}
\t</array>
\t${key("RunAtLoad")}
\t<true/>
\t${key("KeepAlive")}
\t<dict>
\t\t${key("SuccessfulExit")}
\t\t<false/>
\t</dict>
\t${key("ThrottleInterval")}
\t<integer>${RESTART_THROTTLE_SECONDS}</integer>
\t${key("ProcessType")}
\t${string("Interactive")}
\t${key("EnvironmentVariables")}
\t<dict>
${environment}
\t</dict>
\t${key("StandardOutPath")}
\t${string(logs.stdout)}
\t${key("StandardErrorPath")}
\t${string(logs.stderr)}
</dict>
</plist>
`;
}
