export { AudioError } from "./audioError";
export type { AudioErrorCode } from "./audioError";
export { DEFAULT_MAX_SECONDS, loadAudio } from "./loadAudio";
export type { LoadAudioOptions, LoadedAudio } from "./loadAudio";
export { DEFAULT_DECODER_DIRECTORIES, findDecoder, TARGET_SAMPLE_RATE } from "./externalDecoder";
export type { DecoderKind, ExternalDecoder } from "./externalDecoder";
export { resample, Resampler } from "./resampler";
