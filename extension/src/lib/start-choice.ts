// What "Transcribe File" opens with. The files just selected in Finder are what the user asked for; jobs still
// running from the command's last run are offered beside them, and followed only when nothing is selected.
export type Start =
  { kind: "transcribe"; files: string[]; earlierJobs: string[] } | { kind: "resume" } | { kind: "pick" };

export function chooseStart(selection: readonly string[], unfinishedJobs: readonly string[]): Start {
  if (selection.length > 0) return { kind: "transcribe", files: [...selection], earlierJobs: [...unfinishedJobs] };
  return unfinishedJobs.length > 0 ? { kind: "resume" } : { kind: "pick" };
}
