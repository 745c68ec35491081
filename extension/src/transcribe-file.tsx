import { Detail, getSelectedFinderItems } from "@raycast/api";
import { useEffect, useState } from "react";
import { TranscribeForm } from "./components/transcribe-form";
import { TranscriptionDetail, type TranscriptionRequest } from "./components/transcription-detail";
import { jobStore } from "./host";

type Start = { kind: "transcribe"; request: TranscriptionRequest } | { kind: "pick" };

/** Jobs still running from the last time the command closed come first; then Finder's selection; else a picker. */
async function decideStart(): Promise<Start> {
  if ((await jobStore().unfinished()).length > 0) return { kind: "transcribe", request: {} };
  try {
    const items = await getSelectedFinderItems();
    if (items.length > 0) return { kind: "transcribe", request: { files: items.map((item) => item.path) } };
  } catch {
    // Finder is not frontmost: fall through to the picker.
  }
  return { kind: "pick" };
}

export default function Command() {
  const [start, setStart] = useState<Start | null>(null);
  useEffect(() => {
    decideStart().then(setStart);
  }, []);
  if (!start) return <Detail isLoading markdown="" />;
  if (start.kind === "pick") return <TranscribeForm />;
  return <TranscriptionDetail request={start.request} />;
}
