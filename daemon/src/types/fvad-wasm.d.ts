// The parts of @echogarden/fvad-wasm (libfvad, WebRTC's voice activity detector, compiled by Emscripten) we use.
declare module "@echogarden/fvad-wasm" {
  interface FvadModule {
    _fvad_new(): number;
    _fvad_free(instance: number): void;
    _fvad_reset(instance: number): void;
    /** 0 (least aggressive about calling audio speech) to 3; returns 0, or -1 for a bad mode. */
    _fvad_set_mode(instance: number, mode: number): number;
    _fvad_set_sample_rate(instance: number, rate: number): number;
    /** 1 speech, 0 not, -1 for a bad frame length (10, 20 or 30 ms). */
    _fvad_process(instance: number, samples: number, length: number): number;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    HEAP16: Int16Array;
  }
  const createFvad: () => Promise<FvadModule>;
  export default createFvad;
}
