import { Action, Icon, Keyboard, launchCommand, LaunchType, open, openExtensionPreferences } from "@raycast/api";
import { logFolder } from "../lib/daemon-connection";
import { MICROPHONE_SETTINGS_URL } from "../lib/dictation-view";
import { STATE_ACTIONS, STATE_ACTION_TITLES, type StateAction, type ViewState } from "../lib/state-actions";

/** What the view does for its own actions; the rest (logs, preferences, other commands) are the same everywhere. */
export type StateHandlers = Partial<Record<StateAction, () => void>>;

const ICONS: Record<StateAction, Icon> = {
  "try-again": Icon.RotateClockwise,
  "open-logs": Icon.Document,
  "open-preferences": Icon.Gear,
  "pick-files": Icon.Finder,
  "stop-dictation": Icon.Stop,
  "cancel-dictation": Icon.XMarkCircle,
  "open-microphone-settings": Icon.Microphone,
  "add-term": Icon.Plus,
  "add-replacement": Icon.Replace,
  "clear-search": Icon.XMarkCircle,
  dictate: Icon.Microphone,
  "transcribe-file": Icon.Waveform,
};

const SHORTCUTS: Partial<Record<StateAction, Keyboard.Shortcut>> = {
  "try-again": Keyboard.Shortcut.Common.Refresh,
  "add-term": Keyboard.Shortcut.Common.New,
  "add-replacement": { modifiers: ["cmd", "shift"], key: "n" },
  "cancel-dictation": { modifiers: ["cmd"], key: "backspace" },
};

const SHARED: StateHandlers = {
  "open-logs": () => void open(logFolder()),
  "open-preferences": () => void openExtensionPreferences(),
  "open-microphone-settings": () => void open(MICROPHONE_SETTINGS_URL),
  dictate: () => void launchCommand({ name: "dictate", type: LaunchType.UserInitiated }),
  "transcribe-file": () => void launchCommand({ name: "transcribe-file", type: LaunchType.UserInitiated }),
};

/** The state's actions (state-actions.ts), in its order; `handlers` gives the view's own. */
export function StateActions({ state, handlers }: { state: ViewState; handlers: StateHandlers }) {
  return (
    <>
      {STATE_ACTIONS[state].map((action) => {
        const onAction = handlers[action] ?? SHARED[action];
        if (!onAction) return null;
        return (
          <Action
            key={action}
            title={STATE_ACTION_TITLES[action]}
            icon={ICONS[action]}
            shortcut={SHORTCUTS[action]}
            style={action === "cancel-dictation" ? Action.Style.Destructive : Action.Style.Regular}
            onAction={onAction}
          />
        );
      })}
    </>
  );
}
