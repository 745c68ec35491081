import { Detail } from "@raycast/api";

const notYet = `# Transcribe File

Verbatim's transcription daemon is not part of this build yet, so this command cannot transcribe anything.

It will take the files selected in Finder, send them to the Verbatim daemon on this Mac, and show the text as it is recognised.`;

export default function Command() {
  return <Detail markdown={notYet} />;
}
