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
import { daemonSocket, jobStore } from "./host";
import { connect, logFolder, pingDaemon } from "./lib/daemon-connection";
import { menuBarModel, type DaemonState, type MenuBarModel } from "./lib/menu-bar-model";
import { DaemonService, execRunner, stopDaemon, switchModel } from "./lib/service-control";

const ICONS: Record<DaemonState, { source: Icon; tintColor: Color }> = {
  down: { source: Icon.Microphone, tintColor: Color.SecondaryText },
  loading: { source: Icon.Microphone, tintColor: Color.Yellow },
  ready: { source: Icon.Microphone, tintColor: Color.PrimaryText },
  busy: { source: Icon.Microphone, tintColor: Color.Blue },
  failed: { source: Icon.Microphone, tintColor: Color.Red },
};

/** One status ping over the socket (short timeout, no processes), the cached models and the remembered jobs. */
async function loadModel(): Promise<MenuBarModel> {
  const socket = daemonSocket();
  const status = await pingDaemon(socket);
  let cached: string[] = [];
  if (status) {
    const client = await connect(socket, 1000);
    try {
      cached = (await client.listModels()).filter((model) => model.complete).map((model) => model.repoId);
    } finally {
      client.close();
    }
  }
  return menuBarModel(status, cached, await jobStore().list());
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
