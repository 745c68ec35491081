import {
  Clipboard,
  Color,
  Icon,
  launchCommand,
  LaunchType,
  MenuBarExtra,
  open,
  showHUD,
  showToast,
  Toast,
} from "@raycast/api";
import os from "node:os";
import { useEffect, useState } from "react";
import { daemonSocket, insertText, jobStore, preferences, withDaemon } from "./host";
import { connect, logFolder, pingDaemon, type DictationInfo } from "./lib/daemon-connection";
import { runningDictation } from "./lib/dictation-session";
import { wordCount } from "./lib/dictation-view";
import { menuBarModel, type DaemonState, type MenuBarModel } from "./lib/menu-bar-model";
import { DaemonService, execRunner, stopDaemon, switchModel } from "./lib/service-control";

const ICONS: Record<DaemonState, { source: Icon; tintColor: Color }> = {
  down: { source: Icon.Microphone, tintColor: Color.SecondaryText },
  loading: { source: Icon.Microphone, tintColor: Color.Yellow },
  ready: { source: Icon.Microphone, tintColor: Color.PrimaryText },
  busy: { source: Icon.Microphone, tintColor: Color.Blue },
  failed: { source: Icon.Microphone, tintColor: Color.Red },
  recording: { source: Icon.Waveform, tintColor: Color.Red },
};

/** One status ping over the socket (short timeout, no processes), the cached models and the remembered jobs. */
async function loadModel(): Promise<MenuBarModel> {
  const socket = daemonSocket();
  const status = await pingDaemon(socket);
  let cached: string[] = [];
  let dictation: DictationInfo | null = null;
  if (status) {
    const client = await connect(socket, 1000);
    try {
      cached = (await client.listModels()).filter((model) => model.complete).map((model) => model.repoId);
      dictation = await runningDictation(client);
    } finally {
      client.close();
    }
  }
  return menuBarModel(status, cached, await jobStore().list(), undefined, dictation);
}

async function stopAndInsert(session: string): Promise<void> {
  const event = await withDaemon((client) => client.request({ type: "dictation.stop", session }));
  const text = event.type === "done" ? (event.transcript?.text.trim() ?? "") : "";
  if (!text) throw new Error("No speech detected");
  await insertText(text, preferences().finishedText === "both" ? "both" : "paste");
  const words = wordCount(text);
  await showHUD(`Inserted ${words} word${words === 1 ? "" : "s"}`);
}

async function run(title: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
    await showHUD(title);
  } catch (error) {
    await showToast({ style: Toast.Style.Failure, title: "Verbatim", message: (error as Error).message });
  }
}

export default function Command() {
  const [model, setModel] = useState<MenuBarModel | null>(null);
  useEffect(() => {
    loadModel()
      .catch(() => menuBarModel(null, [], []))
      .then(setModel);
  }, []);
  const service = new DaemonService(os.userInfo().uid, execRunner);
  const state = model?.state ?? "down";
  return (
    <MenuBarExtra
      isLoading={model === null}
      icon={ICONS[state]}
      title={model?.title || undefined}
      tooltip={model?.tooltip ?? "Verbatim"}
    >
      {model?.dictation ? (
        <MenuBarExtra.Section title="Dictation">
          <MenuBarExtra.Item
            title="Stop and Insert"
            icon={Icon.Stop}
            onAction={() => stopAndInsert(model.dictation!.session).catch((error: Error) => showHUD(error.message))}
          />
          <MenuBarExtra.Item
            title="Cancel Dictation"
            icon={Icon.XMarkCircle}
            onAction={() =>
              run("Dictation cancelled", () =>
                withDaemon(async (client) => {
                  await client.request({ type: "dictation.cancel", session: model.dictation!.session });
                }),
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
        {(model?.details ?? []).map((line) => (
          <MenuBarExtra.Item key={line} title={line} />
        ))}
      </MenuBarExtra.Section>
      <MenuBarExtra.Section>
        {state === "down" ? (
          <MenuBarExtra.Item
            title="Start Daemon"
            icon={Icon.Play}
            onAction={() => run("Verbatim started", () => service.start())}
          />
        ) : (
          <MenuBarExtra.Item
            title="Stop Daemon"
            icon={Icon.Stop}
            onAction={() => run("Verbatim stopped", () => stopDaemon(daemonSocket()))}
          />
        )}
        <MenuBarExtra.Item
          title="Restart Daemon"
          icon={Icon.RotateClockwise}
          onAction={() => run("Verbatim restarted", () => service.restart())}
        />
        {model && model.models.length > 0 ? (
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
        <MenuBarExtra.Item title="Open Logs" icon={Icon.Document} onAction={() => open(logFolder())} />
        {model?.dictation ? null : (
          <MenuBarExtra.Item
            title="Dictate"
            icon={Icon.Microphone}
            onAction={() => launchCommand({ name: "dictate", type: LaunchType.UserInitiated })}
          />
        )}
        <MenuBarExtra.Item
          title="Transcribe File"
          icon={Icon.Waveform}
          onAction={() => launchCommand({ name: "transcribe-file", type: LaunchType.UserInitiated })}
        />
      </MenuBarExtra.Section>
      {model && model.recent.length > 0 ? (
        <MenuBarExtra.Section title="Recent Transcripts">
          {model.recent.map((entry) => (
            <MenuBarExtra.Item
              key={entry.id}
              title={entry.title}
              tooltip="Copy the transcript"
              onAction={() => run("Copied transcript", () => Clipboard.copy(entry.text))}
            />
          ))}
        </MenuBarExtra.Section>
      ) : null}
    </MenuBarExtra>
  );
}
