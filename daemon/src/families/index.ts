// The daemon's model families: one folder each (whisper/, parakeet/, nemotron/) behind one interface (family.ts), listed once
// (registry.ts), and a job's options checked once against the loaded model's capabilities (job-options.ts).
export * from "./family";
export { audioTokensPerSecond, familyNamed, loadFamilyModel } from "./registry";
export { checkJobOptions, checkStreaming, type ModelUnderCheck } from "./job-options";
