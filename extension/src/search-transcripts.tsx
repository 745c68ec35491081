import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Detail,
  Icon,
  Keyboard,
  List,
  showHUD,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { showFailureToast, useCachedPromise, usePromise } from "@raycast/utils";
import { useState } from "react";
import { toastUnlessSetup } from "./components/daemon-failures";
import { SetupView } from "./components/setup-view";
import { TranscribeForm } from "./components/transcribe-form";
import { insertText, withDaemon } from "./host";
import { setupProblemOf } from "./lib/daemon-setup";
import {
  audioFileOf,
  deleteTranscript,
  emptyListView,
  findTranscripts,
  loadTranscript,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
  withoutEntry,
  type HistoryEntry,
} from "./lib/transcript-history";

const PAGE_SIZE = 50;

/** Asks before deleting; resolves true once deleted (the list already shows it gone while the request runs). */
type Delete = (entry: HistoryEntry) => Promise<boolean>;

export default function Command() {
  const [query, setQuery] = useState("");
  const { data, isLoading, error, pagination, mutate, revalidate } = useCachedPromise(
    (text: string) =>
      async ({ cursor }: { cursor?: number }) => {
        const page = await withDaemon((client) => findTranscripts(client, text, PAGE_SIZE, cursor));
        return { data: page.entries, hasMore: page.nextBeforeId !== null, cursor: page.nextBeforeId ?? undefined };
      },
    [query],
    { keepPreviousData: true, onError: toastUnlessSetup("Cannot Search Transcripts") },
  );

  const problem = error ? setupProblemOf(error) : null;
  if (problem) return <SetupView problem={problem} onRetry={revalidate} />;

  const remove: Delete = async (entry) => {
    const confirmed = await confirmAlert({
      title: "Delete This Transcript?",
      message: entry.recording ? "Its kept recording is deleted too." : undefined,
      primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
    });
    if (!confirmed) return false;
    try {
      await mutate(
        withDaemon((client) => deleteTranscript(client, entry.id)),
        { optimisticUpdate: (entries) => withoutEntry(entries ?? [], entry.id) },
      );
      await showToast({ style: Toast.Style.Success, title: "Transcript Deleted" });
      return true;
    } catch (failure) {
      await showFailureToast(failure, { title: "Not Deleted" });
      return false;
    }
  };

  const empty = emptyListView(query, isLoading);
  return (
    <List
      isLoading={isLoading}
      filtering={false}
      throttle
      pagination={pagination}
      onSearchTextChange={setQuery}
      searchBarPlaceholder="Search your transcripts"
    >
      {empty ? <List.EmptyView icon={Icon.Text} title={empty.title} description={empty.description} /> : null}
      {(data ?? []).map((entry) => {
        const row = transcriptRow(entry);
        return (
          <List.Item
            key={entry.id}
            title={row.title}
            subtitle={row.subtitle}
            accessories={[{ text: row.duration }, { date: row.createdAt }]}
            actions={<TranscriptActions entry={entry} onDelete={remove} showDetail />}
          />
        );
      })}
    </List>
  );
}

function TranscriptActions({
  entry,
  onDelete,
  showDetail,
}: {
  entry: HistoryEntry;
  onDelete: Delete;
  showDetail?: boolean;
}) {
  const { pop } = useNavigation();
  const audio = audioFileOf(entry);
  return (
    <ActionPanel>
      {showDetail && (
        <Action.Push
          title="Show Transcript"
          icon={Icon.Text}
          target={<TranscriptDetail entry={entry} onDelete={onDelete} />}
        />
      )}
      <Action
        title="Paste Text"
        icon={Icon.Clipboard}
        onAction={async () => {
          if ((await insertText(entry.text, "paste")) === "nothing") await showHUD("This transcript has no text");
        }}
      />
      <Action.CopyToClipboard title="Copy Text" content={entry.text} />
      {audio && (
        <Action.Push
          title="Transcribe Again"
          icon={Icon.Repeat}
          shortcut={{ modifiers: ["cmd"], key: "t" }}
          target={<TranscribeForm files={[audio]} />}
        />
      )}
      {audio && <Action.Open title="Open Audio File" target={audio} shortcut={Keyboard.Shortcut.Common.Open} />}
      {entry.recording && <Action.ShowInFinder title="Reveal Recording in Finder" path={entry.recording} />}
      <Action
        title="Delete Transcript"
        icon={Icon.Trash}
        style={Action.Style.Destructive}
        shortcut={Keyboard.Shortcut.Common.Remove}
        onAction={async () => {
          if ((await onDelete(entry)) && !showDetail) pop();
        }}
      />
    </ActionPanel>
  );
}

function TranscriptDetail({ entry, onDelete }: { entry: HistoryEntry; onDelete: Delete }) {
  const { data: detail, isLoading } = usePromise(
    (id: number) => withDaemon((client) => loadTranscript(client, id)),
    [entry.id],
    { onError: toastUnlessSetup("Cannot Load the Transcript") },
  );
  return (
    <Detail
      isLoading={isLoading}
      markdown={detail ? transcriptMarkdown(detail) : ""}
      metadata={
        detail && (
          <Detail.Metadata>
            {transcriptFacts(detail).map((fact) => (
              <Detail.Metadata.Label key={fact.label} title={fact.label} text={fact.text} />
            ))}
          </Detail.Metadata>
        )
      }
      actions={<TranscriptActions entry={entry} onDelete={onDelete} />}
    />
  );
}
