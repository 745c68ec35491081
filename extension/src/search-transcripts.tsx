import {
  Action,
  ActionPanel,
  Alert,
  Clipboard,
  confirmAlert,
  Detail,
  Icon,
  Keyboard,
  List,
  showHUD,
  showInFinder,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { showFailureToast, useCachedPromise, usePromise } from "@raycast/utils";
import os from "node:os";
import path from "node:path";
import { useState, type ReactNode } from "react";
import { toastUnlessSetup } from "./components/daemon-failures";
import { SetupView } from "./components/setup-view";
import { COPY_AS_SHORTCUT, COPY_SHORTCUT, DELETE_ALL_SHORTCUT, DELETE_SHORTCUT } from "./components/shortcuts";
import { StateActions } from "./components/state-actions";
import { TranscribeForm } from "./components/transcribe-form";
import { insertText, withDaemon } from "./host";
import { setupProblemOf } from "./lib/daemon-setup";
import { writeNewFile } from "./lib/outputs";
import { loadFailure } from "./lib/state-actions";
import {
  ALL_TRANSCRIPTS,
  appFilters,
  deletedTitle,
  deleteShownPrompt,
  filtered,
  KIND_FILTERS,
  type TranscriptFilter,
} from "./lib/transcript-filter";
import {
  audioFileOf,
  deleteTranscript,
  deleteTranscripts,
  emptyListView,
  deliveredText,
  exportFile,
  exportHistory,
  findTranscripts,
  loadTranscript,
  previewMarkdown,
  spokenTextOf,
  transcriptAs,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
  withoutEntry,
  type ExportFormat,
  type HistoryEntry,
} from "./lib/transcript-history";

const PAGE_SIZE = 50;

/** Asks before deleting; resolves true once deleted (the list already shows it gone while the request runs). */
type Delete = (entry: HistoryEntry) => Promise<boolean>;

/** Copies the transcript as SubRip or WebVTT, from its timed segments (asked of the daemon). */
async function copyAs(entry: HistoryEntry, format: "srt" | "vtt"): Promise<void> {
  try {
    const detail = await withDaemon((client) => loadTranscript(client, entry.id));
    await Clipboard.copy(transcriptAs(format, detail));
    await showHUD(`Copied as ${format === "srt" ? "SRT" : "WebVTT"} subtitles`);
  } catch (error) {
    await showFailureToast(error, { title: "Not Copied" });
  }
}

/** Writes the whole history to ~/Downloads (never over a file), with Show in Finder on the toast. */
async function exportAll(format: ExportFormat): Promise<void> {
  const toast = await showToast({ style: Toast.Style.Animated, title: "Exporting Transcripts…" });
  try {
    const content = await withDaemon((client) => exportHistory(client, format));
    const file = await writeNewFile(exportFile(path.join(os.homedir(), "Downloads"), format), content);
    toast.style = Toast.Style.Success;
    toast.title = `Exported to ${path.basename(file)}`;
    toast.primaryAction = { title: "Show in Finder", onAction: () => void showInFinder(file) };
  } catch (error) {
    await toast.hide();
    await showFailureToast(error, { title: "Not Exported" });
  }
}

export default function Command() {
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<TranscriptFilter>(ALL_TRANSCRIPTS);
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

  const shown = filtered(data ?? [], filter);
  const removeShown = async () => {
    const ids = shown.map((entry) => entry.id);
    const prompt = deleteShownPrompt(ids.length, filter, query);
    const confirmed = await confirmAlert({
      ...prompt,
      primaryAction: { title: `Delete ${ids.length}`, style: Alert.ActionStyle.Destructive },
    });
    if (!confirmed) return;
    const gone = new Set(ids);
    try {
      const deleted = await mutate(
        withDaemon((client) => deleteTranscripts(client, ids)),
        { optimisticUpdate: (entries) => (entries ?? []).filter((entry) => !gone.has(entry.id)) },
      );
      await showToast({ style: Toast.Style.Success, title: deletedTitle(deleted.length) });
    } catch (failure) {
      await showFailureToast(failure, { title: "Not All Deleted" });
    }
  };

  const listActions = (
    <>
      <ActionPanel.Section>
        {shown.length > 0 ? (
          <Action
            title={`Delete All Shown (${shown.length})…`}
            icon={Icon.Trash}
            style={Action.Style.Destructive}
            shortcut={DELETE_ALL_SHORTCUT}
            onAction={removeShown}
          />
        ) : null}
      </ActionPanel.Section>
      <ActionPanel.Section title="Export All Transcripts">
        <Action title="Export as Markdown" icon={Icon.Download} onAction={() => exportAll("markdown")} />
        <Action title="Export as JSON" icon={Icon.Download} onAction={() => exportAll("json")} />
      </ActionPanel.Section>
    </>
  );

  const empty = emptyListView(query, isLoading);
  const failed = error && !isLoading ? loadFailure("Transcripts", error) : null;
  return (
    <List
      isLoading={isLoading}
      filtering={false}
      throttle
      isShowingDetail={shown.length > 0}
      pagination={pagination}
      searchText={query}
      onSearchTextChange={setQuery}
      searchBarPlaceholder="Search your transcripts"
      searchBarAccessory={
        <List.Dropdown tooltip="Show" value={filter} onChange={setFilter}>
          <List.Dropdown.Section>
            {KIND_FILTERS.map((option) => (
              <List.Dropdown.Item key={option.value} value={option.value} title={option.title} />
            ))}
          </List.Dropdown.Section>
          <List.Dropdown.Section title="Apps">
            {appFilters(data ?? [], filter).map((option) => (
              <List.Dropdown.Item key={option.value} value={option.value} title={option.title} />
            ))}
          </List.Dropdown.Section>
        </List.Dropdown>
      }
    >
      {failed ? (
        <List.EmptyView
          icon={Icon.Warning}
          {...failed}
          actions={
            <ActionPanel>
              <StateActions state="transcripts-failed" handlers={{ "try-again": revalidate }} />
            </ActionPanel>
          }
        />
      ) : empty || (!isLoading && shown.length === 0) ? (
        <List.EmptyView
          icon={Icon.Text}
          title={empty?.title ?? "No Transcripts of This Kind"}
          description={empty?.description ?? "Choose All Transcripts in the dropdown to see the others."}
          actions={
            <ActionPanel>
              <StateActions
                state={query.trim() ? "transcripts-no-match" : "transcripts-empty"}
                handlers={{ "clear-search": () => setQuery("") }}
              />
            </ActionPanel>
          }
        />
      ) : null}
      {shown.map((entry) => {
        const row = transcriptRow(entry);
        return (
          <List.Item
            key={entry.id}
            title={row.title}
            subtitle={row.subtitle}
            accessories={[{ date: row.createdAt }]}
            detail={
              <List.Item.Detail
                markdown={previewMarkdown(entry)}
                metadata={
                  <List.Item.Detail.Metadata>
                    {transcriptFacts(entry).map((fact) => (
                      <List.Item.Detail.Metadata.Label key={fact.label} title={fact.label} text={fact.text} />
                    ))}
                  </List.Item.Detail.Metadata>
                }
              />
            }
            actions={<TranscriptActions entry={entry} onDelete={remove} showDetail more={listActions} />}
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
  more,
}: {
  entry: HistoryEntry;
  onDelete: Delete;
  showDetail?: boolean;
  more?: ReactNode;
}) {
  const { pop } = useNavigation();
  const audio = audioFileOf(entry);
  const spoken = spokenTextOf(entry);
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
          if ((await insertText(deliveredText(entry), "paste")) === "nothing")
            await showHUD("This transcript has no text");
        }}
      />
      <Action.CopyToClipboard title="Copy Text" content={deliveredText(entry)} shortcut={COPY_SHORTCUT} />
      {spoken !== null && (
        <>
          <Action
            title="Paste Spoken Text"
            icon={Icon.SpeechBubble}
            shortcut={{ modifiers: ["cmd", "shift"], key: "v" }}
            onAction={() => insertText(spoken, "paste")}
          />
          <Action.CopyToClipboard
            title="Copy Spoken Text"
            content={spoken}
            shortcut={{ modifiers: ["cmd", "opt", "shift"], key: "c" }}
          />
        </>
      )}
      <ActionPanel.Submenu title="Copy as…" icon={Icon.CopyClipboard} shortcut={COPY_AS_SHORTCUT}>
        <Action title="SRT Subtitles" onAction={() => copyAs(entry, "srt")} />
        <Action title="WebVTT Subtitles" onAction={() => copyAs(entry, "vtt")} />
      </ActionPanel.Submenu>
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
      {entry.kind === "meeting" && entry.sourceFile && (
        <Action.ShowInFinder title="Reveal Meeting Folder in Finder" path={entry.sourceFile} />
      )}
      <Action
        title="Delete Transcript"
        icon={Icon.Trash}
        style={Action.Style.Destructive}
        shortcut={DELETE_SHORTCUT}
        onAction={async () => {
          if ((await onDelete(entry)) && !showDetail) pop();
        }}
      />
      {more}
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
