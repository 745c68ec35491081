import { Detail, getSelectedFinderItems } from "@raycast/api";
import { usePromise } from "@raycast/utils";
import { TranscribeForm } from "./components/transcribe-form";
import { TranscriptionDetail } from "./components/transcription-detail";
import { jobStore } from "./host";
import { chooseStart, type Start } from "./lib/start-choice";

/** Finder's selection first, with the jobs left running from the last run offered beside it; else those jobs. */
async function decideStart(): Promise<Start> {
  let selection: string[] = [];
  try {
    selection = (await getSelectedFinderItems()).map((item) => item.path);
  } catch {
    // Finder is not frontmost: no selection.
  }
  return chooseStart(
    selection,
    (await jobStore().unfinished()).map((job) => job.id),
  );
}

export default function Command() {
  const { data: start } = usePromise(decideStart);
  if (!start) return <Detail isLoading markdown="" />;
  if (start.kind === "pick") return <TranscribeForm />;
  if (start.kind === "resume") return <TranscriptionDetail request={{}} />;
  return <TranscriptionDetail request={{ files: start.files }} earlierJobs={start.earlierJobs} />;
}
