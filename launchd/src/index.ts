// Starting verbatimd at login: the service definitions and the managers that install them.
export { execRunner, ServiceCommandError, type CommandOutcome, type CommandRunner } from "./command-runner";
export { launchAgentLogFiles, launchAgentPlist } from "./launch-agent-plist";
export {
  AgentSwitchedOffError,
  LAUNCHCTL,
  LAUNCHD_TIMING,
  LaunchAgentManager,
  type LaunchAgentState,
  type LaunchdTiming,
  serviceManagerFor,
  SYSTEMCTL,
  SystemdUserManager,
  type InstallOutcome,
  type ServiceHost,
  type ServiceManager,
  type UninstallOutcome,
  UserManagerUnavailableError,
} from "./service-manager";
export {
  LOGIN_SERVICE_VARIABLE,
  RESTART_THROTTLE_SECONDS,
  SERVICE_LABEL,
  serviceEnvironment,
  servicePath,
  SYSTEMD_UNIT,
  type ServiceSpec,
} from "./service-spec";
export { systemdUnit } from "./systemd-unit";
export { upgradeProofPath, versionedPathProblem } from "./upgrade-proof-path";
