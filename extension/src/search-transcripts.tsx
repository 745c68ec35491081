import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Detail,
  Icon,
  Keyboard,
  List,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { useCallback, useEffect, useState } from "react";
import { TranscribeForm } from "./components/transcribe-form";
import { withDaemon } from "./host";
import { DaemonUnreachableError } from "./lib/daemon-connection";
import { setupStepsMarkdown } from "./lib/setup-steps";
import {
  audioFileOf,
  deleteTranscript,
  findTranscripts,
  loadTranscript,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
  type HistoryEntry,
  type HistoryEntryDetail,
  type HistoryPage,
} from "./lib/transcript-history";

export default function Command() {
  const [query, setQuery] = useState("");
  const [page, setPage] = useState<HistoryPage | null>(null);
  const [loading, setLoading] = useState(true);
  const [unreachable, setUnreachable] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);

  useEffect(() => {
    let current = true;
    setLoading(true);
    withDaemon((client) => findTranscripts(client, query))
      .then(
        (found) => current && setPage(found),
        (error: Error) => {
          if (!current) return;
          if (error instanceof DaemonUnreachableError) setUnreachable(error.message);
          else showToast({ style: Toast.Style.Failure, title: "Cannot Search Transcripts", message: error.message });
        },
      )
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [query, generation]);

  if (unreachable) return <Detail markdown={setupStepsMarkdown(unreachable)} />;
  return (
    <List
      isLoading={loading}
      filtering={false}
      throttle
      onSearchTextChange={setQuery}
      searchBarPlaceholder="Search your transcripts"
    >
      <List.EmptyView
        icon={Icon.Text}
        title={query ? "No Transcripts Match" : "No Transcripts Yet"}
        description={
          query
            ? "Every word must occur; the last one may be the start of a word."
            : "Dictations and transcribed files appear here once they finish."
        }
      />
      {page?.entries.map((entry) => {
        const row = transcriptRow(entry);
        return (
          <List.Item
            key={entry.id}
            title={row.title}
            subtitle={row.subtitle}
            accessories={[{ text: row.duration }, { date: row.createdAt }]}
            actions={<TranscriptActions entry={entry} onDeleted={reload} showDetail />}
          />
        );
      })}
    </List>
  );
}

function TranscriptActions({
  entry,
  onDeleted,
  showDetail,
}: {
  entry: HistoryEntry;
  onDeleted: () => void;
  showDetail?: boolean;
}) {
  const { pop } = useNavigation();
  const audio = audioFileOf(entry);
  const remove = async () => {
    const confirmed = await confirmAlert({
      title: "Delete This Transcript?",
      message: entry.recording ? "Its kept recording is deleted too." : undefined,
      primaryAction: { title: "Delete", style: Alert.ActionStyle.Destructive },
    });
    if (!confirmed) return;
    try {
      await withDaemon((client) => deleteTranscript(client, entry.id));
      await showToast({ style: Toast.Style.Success, title: "Transcript Deleted" });
      if (!showDetail) pop();
      onDeleted();
    } catch (error) {
      await showToast({ style: Toast.Style.Failure, title: "Not Deleted", message: (error as Error).message });
    }
  };
  return (
    <ActionPanel>
      {showDetail && (
        <Action.Push
          title="Show Transcript"
          icon={Icon.Text}
          target={<TranscriptDetail entry={entry} onDeleted={onDeleted} />}
        />
      )}
      <Action.Paste title="Paste Text" content={entry.text} />
      <Action.CopyToClipboard title="Copy Text" content={entry.text} />
      {audio && <Action.Open title="Open Audio File" target={audio} shortcut={Keyboard.Shortcut.Common.Open} />}
      {entry.recording && <Action.ShowInFinder title="Reveal Recording in Finder" path={entry.recording} />}
      {audio && (
        <Action.Push
          title="Transcribe Again with Another Model"
          icon={Icon.Repeat}
          target={<TranscribeForm files={[audio]} />}
        />
      )}
      <Action
        title="Delete Transcript"
        icon={Icon.Trash}
        style={Action.Style.Destructive}
        shortcut={Keyboard.Shortcut.Common.Remove}
        onAction={remove}
      />
    </ActionPanel>
  );
}

function TranscriptDetail({ entry, onDeleted }: { entry: HistoryEntry; onDeleted: () => void }) {
  const [detail, setDetail] = useState<HistoryEntryDetail | null>(null);
  useEffect(() => {
    withDaemon((client) => loadTranscript(client, entry.id)).then(setDetail, (error: Error) =>
      showToast({ style: Toast.Style.Failure, title: "Cannot Load the Transcript", message: error.message }),
    );
  }, [entry.id]);
  return (
    <Detail
      isLoading={!detail}
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
      actions={<TranscriptActions entry={entry} onDeleted={onDeleted} />}
    />
  );
}
