// Audio with no speech in it, and speech with pauses around it, made by sox at test time. Implemented in
// no-speech.cjs, which the benches share.
export { makeNoSpeechSet, surround } from "./no-speech.cjs";
export type { NoSpeechFile } from "./no-speech.cjs";
