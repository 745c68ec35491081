import {
  Clipboard,
  Color,
  Icon,
  launchCommand,
  LaunchType,
  MenuBarExtra,
  open,
  openExtensionPreferences,
  showHUD,
} from "@raycast/api";
import { showFailureToast, useCachedPromise } from "@raycast/utils";
import { insertTranscript } from "./components/dictation-delivery";
import { daemonService, daemonSocket, insertText, jobStore, withDaemon } from "./host";
import { logFolder } from "./lib/daemon-connection";
import { INSTALL_COMMAND, STORE_URL, UPDATE_COMMAND } from "./lib/daemon-setup";
import { wordsIn } from "./lib/dictation-view";
import { IDLE_UNLOAD_CHOICES, loadMenuBar, UNKNOWN_MENU_BAR, type DaemonState } from "./lib/menu-bar-model";
import { setIdleUnload, stopDaemon, switchModel, waitUntilAnswering } from "./lib/service-control";

const ICONS: Record<DaemonState, { source: Icon; tintColor: Color }> = {
  unknown: { source: Icon.Microphone, tintColor: Color.PrimaryText },
  down: { source: Icon.Microphone, tintColor: Color.SecondaryText },
  loading: { source: Icon.Microphone, tintColor: Color.Yellow },
  ready: { source: Icon.Microphone, tintColor: Color.PrimaryText },
  busy: { source: Icon.Microphone, tintColor: Color.Blue },
  failed: { source: Icon.Microphone, tintColor: Color.Red },
  recording: { source: Icon.Waveform, tintColor: Color.Red },
};

async function stopAndInsert(session: string): Promise<void> {
  const event = await withDaemon((client) => client.request({ type: "dictation.stop", session }));
  const transcript = event.type === "done" ? event.transcript : undefined;
  if (!transcript?.text.trim()) throw new Error("No speech detected");
  await insertTranscript(transcript, session);
}

export default function Command() {
  // The last refresh's menu is cached and shown at once; each refresh asks the daemon on one connection.
  const { data, isLoading, revalidate } = useCachedPromise(
    async () => loadMenuBar(daemonSocket(), await jobStore().list()),
    [],
    { failureToastOptions: { title: "Verbatim's Menu Could Not Refresh" } },
  );
  const model = data ?? UNKNOWN_MENU_BAR;

  const run = async (title: string, action: () => Promise<unknown>) => {
    try {
      await action();
      await showHUD(title);
    } catch (error) {
      await showFailureToast(error, { title: "Verbatim" });
    }
    revalidate();
  };
  const startDaemon = async () => {
    await daemonService().start();
    if (!(await waitUntilAnswering(daemonSocket()))) throw new Error("The daemon did not answer within 15 s");
  };

  return (
    <MenuBarExtra
      isLoading={isLoading}
      icon={ICONS[model.state]}
      title={model.title || undefined}
      tooltip={model.tooltip}
    >
      {model.meeting ? (
        <MenuBarExtra.Section title="Meeting">
          <MenuBarExtra.Item
            title={model.meeting.transcribing ? "Meeting: transcribing" : `Meeting recording ${model.meeting.elapsed}`}
          />
          {model.meeting.transcribing ? null : (
            <MenuBarExtra.Item
              title="Stop Meeting"
              icon={Icon.Stop}
              onAction={() =>
                launchCommand({ name: "record-meeting", type: LaunchType.UserInitiated, context: { stop: true } })
              }
            />
          )}
          <MenuBarExtra.Item
            title="Open Record Meeting"
            icon={Icon.Person}
            onAction={() => launchCommand({ name: "record-meeting", type: LaunchType.UserInitiated })}
          />
        </MenuBarExtra.Section>
      ) : null}
      {model.dictation ? (
        <MenuBarExtra.Section title="Dictation">
          <MenuBarExtra.Item
            title="Stop and Insert"
            icon={Icon.Stop}
            onAction={() =>
              stopAndInsert(model.dictation!.session).catch((error: unknown) =>
                showFailureToast(error, { title: "Not Inserted" }),
              )
            }
          />
          <MenuBarExtra.Item
            title="Cancel Dictation"
            icon={Icon.XMarkCircle}
            onAction={() =>
              run("Dictation canceled", () =>
                withDaemon((client) => client.request({ type: "dictation.cancel", session: model.dictation!.session })),
              )
            }
          />
          <MenuBarExtra.Item
            title="Show Live Text"
            icon={Icon.Text}
            onAction={() => launchCommand({ name: "dictate", type: LaunchType.UserInitiated })}
          />
        </MenuBarExtra.Section>
      ) : null}
      <MenuBarExtra.Section title="Daemon">
        {model.details.map((line) => (
          <MenuBarExtra.Item key={line} title={line} />
        ))}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section>
        {model.setup === "not-installed" ? (
          <MenuBarExtra.Item
            title="Copy Install Command"
            icon={Icon.Clipboard}
            onAction={() => run("Copied; paste it in Terminal", () => Clipboard.copy(INSTALL_COMMAND))}
          />
        ) : null}
        {model.setup === "stopped" ? (
          <MenuBarExtra.Item
            title="Start Daemon"
            icon={Icon.Play}
            onAction={() => run("Verbatim started", startDaemon)}
          />
        ) : null}
        {model.setup === "update-daemon" ? (
          <MenuBarExtra.Item
            title="Copy Update Command"
            icon={Icon.Clipboard}
            onAction={() => run("Copied; paste it in Terminal", () => Clipboard.copy(UPDATE_COMMAND))}
          />
        ) : null}
        {model.setup === "update-extension" ? (
          <MenuBarExtra.Item title="Open in Raycast Store" icon={Icon.Download} onAction={() => open(STORE_URL)} />
        ) : null}
        {model.state !== "down" && model.state !== "unknown" ? (
          <MenuBarExtra.Item
            title="Stop Daemon"
            icon={Icon.Stop}
            onAction={() => run("Verbatim stopped", () => stopDaemon(daemonSocket()))}
          />
        ) : null}
        {model.setup !== "not-installed" ? (
          <MenuBarExtra.Item
            title="Restart Daemon"
            icon={Icon.RotateClockwise}
            onAction={() =>
              run("Verbatim restarted", async () => {
                await daemonService().restart();
                await waitUntilAnswering(daemonSocket());
              })
            }
          />
        ) : null}
        {model.models.length > 0 ? (
          <MenuBarExtra.Submenu title="Switch Model" icon={Icon.Switch}>
            {model.models.map((entry) => (
              <MenuBarExtra.Item
                key={entry.id}
                title={entry.id}
                icon={entry.current ? Icon.Checkmark : undefined}
                onAction={() => run(`Switched to ${entry.id}`, () => switchModel(daemonSocket(), entry.id))}
              />
            ))}
          </MenuBarExtra.Submenu>
        ) : null}
        {model.idleUnload ? (
          <MenuBarExtra.Submenu title="When Idle" icon={Icon.Moon}>
            {model.idleUnload.tradeOff ? <MenuBarExtra.Item title={model.idleUnload.tradeOff} /> : null}
            {IDLE_UNLOAD_CHOICES.map((minutes) => (
              <MenuBarExtra.Item
                key={minutes}
                title={minutes === 0 ? "Keep the Model Loaded" : `Unload the Model After ${minutes} Minutes`}
                icon={model.idleUnload?.minutes === minutes ? Icon.Checkmark : undefined}
                onAction={() =>
                  run(
                    minutes === 0 ? "The model stays loaded" : `The model unloads after ${minutes} idle minutes`,
                    () => setIdleUnload(daemonSocket(), minutes),
                  )
                }
              />
            ))}
          </MenuBarExtra.Submenu>
        ) : null}
        <MenuBarExtra.Item title="Open Logs" icon={Icon.Document} onAction={() => open(logFolder())} />
        {model.dictation ? null : (
          <MenuBarExtra.Item
            title="Toggle Dictation"
            icon={Icon.Microphone}
            tooltip="Start dictating; choose it again to insert the text into the frontmost app"
            onAction={() => launchCommand({ name: "toggle-dictation", type: LaunchType.UserInitiated })}
          />
        )}
        {model.dictation ? null : (
          <MenuBarExtra.Item
            title="Dictate"
            icon={Icon.Text}
            onAction={() => launchCommand({ name: "dictate", type: LaunchType.UserInitiated })}
          />
        )}
        {model.dictation || model.meeting ? null : (
          <MenuBarExtra.Item
            title="Record Meeting"
            icon={Icon.Person}
            onAction={() => launchCommand({ name: "record-meeting", type: LaunchType.UserInitiated })}
          />
        )}
        <MenuBarExtra.Item
          title="Transcribe File"
          icon={Icon.Waveform}
          onAction={() => launchCommand({ name: "transcribe-file", type: LaunchType.UserInitiated })}
        />
      </MenuBarExtra.Section>
      {model.recent.length > 0 ? (
        <MenuBarExtra.Section title="Recent Transcripts">
          {model.recent.map((entry) => (
            <MenuBarExtra.Item
              key={entry.id}
              title={entry.title}
              tooltip="Paste into the frontmost app; hold ⌥ to copy"
              onAction={() => run(`Pasted ${wordsIn(entry.text)}`, () => insertText(entry.text, "paste"))}
              alternate={
                <MenuBarExtra.Item
                  title={`Copy: ${entry.title}`}
                  icon={Icon.CopyClipboard}
                  onAction={() => run("Copied transcript", () => Clipboard.copy(entry.text))}
                />
              }
            />
          ))}
        </MenuBarExtra.Section>
      ) : null}
      <MenuBarExtra.Section>
        <MenuBarExtra.Item title="Open Extension Preferences" icon={Icon.Gear} onAction={openExtensionPreferences} />
      </MenuBarExtra.Section>
    </MenuBarExtra>
  );
}
