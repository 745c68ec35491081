import {
  Action,
  ActionPanel,
  Detail,
  Icon,
  Keyboard,
  open,
  openExtensionPreferences,
  showToast,
  Toast,
} from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import { daemonService, daemonSocket } from "../host";
import { logFolder } from "../lib/daemon-connection";
import {
  FIRST_RUN_ACTIONS,
  INSTALL_COMMAND,
  setupScreen,
  STORE_URL,
  UPDATE_COMMAND,
  type SetupAction,
  type SetupProblem,
} from "../lib/daemon-setup";
import { startModelSwitch, switchModel, waitUntilAnswering } from "../lib/service-control";

/** Runs a daemon action with an animated toast, then `onDone` (the view checks again). */
async function withProgress(title: string, action: () => Promise<void>, onDone: () => void): Promise<void> {
  const toast = await showToast({ style: Toast.Style.Animated, title });
  try {
    await action();
    await toast.hide();
  } catch (error) {
    await toast.hide();
    await showFailureToast(error, { title: `${title.replace(/…$/, "")} Failed` });
  }
  onDone();
}

async function startAndWait(restart: boolean): Promise<void> {
  const service = daemonService();
  await (restart ? service.restart() : service.start());
  if (!(await waitUntilAnswering(daemonSocket()))) {
    throw new Error("The daemon did not answer within 15 s; Open Logs shows why.");
  }
}

function SetupActionItem({
  action,
  problem,
  onRetry,
}: {
  action: SetupAction;
  problem: SetupProblem;
  onRetry: () => void;
}) {
  switch (action) {
    case "copy-install-command":
      return <Action.CopyToClipboard title="Copy Install Command" content={INSTALL_COMMAND} />;
    case "copy-update-command":
      return <Action.CopyToClipboard title="Copy Update Command" content={UPDATE_COMMAND} />;
    case "start-daemon":
      return (
        <Action
          title="Start Daemon"
          icon={Icon.Play}
          onAction={() => withProgress("Starting Verbatim…", () => startAndWait(false), onRetry)}
        />
      );
    case "restart-daemon":
      return (
        <Action
          title="Restart Daemon"
          icon={Icon.RotateClockwise}
          onAction={() => withProgress("Restarting Verbatim…", () => startAndWait(true), onRetry)}
        />
      );
    case "retry-model": {
      if (problem.kind !== "model-failed") return null;
      const { model } = problem;
      return (
        <Action
          title="Try Again"
          icon={Icon.RotateClockwise}
          onAction={() => withProgress("Loading the Model…", () => switchModel(daemonSocket(), model), onRetry)}
        />
      );
    }
    case "choose-whisper":
    case "choose-parakeet":
    case "choose-nemotron": {
      const { model, title } = FIRST_RUN_ACTIONS[action];
      return (
        <Action
          title={`Use ${title.replace(/, the default$/, "")}`}
          icon={Icon.Download}
          onAction={() => withProgress("Choosing the Model…", () => startModelSwitch(daemonSocket(), model), onRetry)}
        />
      );
    }
    case "open-store":
      return <Action.OpenInBrowser title="Open in Raycast Store" url={STORE_URL} />;
    case "open-preferences":
      return <Action title="Open Extension Preferences" icon={Icon.Gear} onAction={openExtensionPreferences} />;
    case "open-logs":
      return <Action title="Open Logs" icon={Icon.Document} onAction={() => open(logFolder())} />;
    case "try-again":
      return (
        <Action
          title="Try Again"
          icon={Icon.RotateClockwise}
          shortcut={Keyboard.Shortcut.Common.Refresh}
          onAction={onRetry}
        />
      );
  }
}

/** The screen for a setup problem, with its actions (the first is Enter's). */
export function SetupView({ problem, onRetry }: { problem: SetupProblem; onRetry: () => void }) {
  const screen = setupScreen(problem);
  return (
    <Detail
      markdown={screen.markdown}
      actions={
        <ActionPanel>
          {screen.actions.map((action) => (
            <SetupActionItem key={action} action={action} problem={problem} onRetry={onRetry} />
          ))}
        </ActionPanel>
      }
    />
  );
}
