// What `verbatim capture` said, for the command that ran it: its own messages, without the lines the sound libraries
// under PvRecorder print straight to its stderr when a device cannot be opened (ALSA's "ALSA lib …", JACK's).
const LIBRARY_NOISE = /^(ALSA lib |Cannot connect to server|jack server is not running|JackShm|Jack: )/;

export function captureMessage(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => line.trim() !== "" && !LIBRARY_NOISE.test(line))
    .map((line) => line.replace(/^verbatim: /, ""))
    .join("\n");
}
