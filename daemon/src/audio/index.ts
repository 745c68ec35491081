export { AudioError } from "./audio-error";
export type { AudioErrorCode } from "./audio-error";
export { decodeAudioToFile, DEFAULT_MAX_SECONDS, loadAudio } from "./load-audio";
export type { DecodedAudioFile, LoadAudioOptions, LoadedAudio } from "./load-audio";
export { DEFAULT_DECODER_DIRECTORIES, findDecoder, TARGET_SAMPLE_RATE } from "./external-decoder";
export type { DecoderKind, ExternalDecoder } from "./external-decoder";
export { resample, Resampler } from "./resampler";
