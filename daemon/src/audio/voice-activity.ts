// Voice activity detectors: how likely each short frame of audio is speech. Live dictation gives the decoder only
// speech and ends utterances at pauses by them; `transcribe --vad` skips what is not speech in files.
// Silero VAD (v4, through ONNX Runtime) is the detector: on the held-out speech mixed with noise it found every
// sentence end down to 5 dB SNR, where WebRTC's VAD heard speech throughout (test/bench/vad.mjs). ONNX Runtime runs
// as WebAssembly (onnxruntime-web), the same on every platform and Node version, with nothing to compile (why this
// runtime: daemon/README.md). WebRTC's VAD (libfvad, also WebAssembly) stands in if it cannot be loaded, and says so.
import path from "node:path";
import v8 from "node:v8";
import type createFvad from "@echogarden/fvad-wasm";
import type { InferenceSession, Tensor } from "onnxruntime-web";

const SAMPLE_RATE = 16_000;
const SILERO_MODEL = path.join(__dirname, "..", "..", "assets", "vad", "silero_vad_v4.onnx");

export interface VoiceActivityDetector {
  readonly name: string;
  /** Samples each speechProbability() call takes. */
  readonly frameSamples: number;
  /** How likely the frame is speech, 0 to 1. Detectors keep state from frame to frame: give them a stream's frames in order. */
  speechProbability(frame: Int16Array): Promise<number>;
}

type OnnxRuntime = typeof import("onnxruntime-web");
let onnxRuntime: OnnxRuntime | null = null;

/** ONNX Runtime's WebAssembly build, loaded on first use (not at the top: the daemon must start without it). */
function loadOnnxRuntime(): OnnxRuntime {
  if (!onnxRuntime) {
    // V8 compiles hot WebAssembly a second time with its optimizing tier: for this 14 MB module that costs about
    // 170 MB of memory for the life of the daemon and no speed on Silero's small frames (daemon/README.md).
    v8.setFlagsFromString("--liftoff-only");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a CommonJS package
    const ort = require("onnxruntime-web") as OnnxRuntime;
    ort.env.wasm.numThreads = 1; // no worker threads: one 32 ms frame takes well under a millisecond
    onnxRuntime = ort;
  }
  return onnxRuntime;
}

/**
 * The daemon's one Silero session, made on first use and kept for its life. A session holds the model and its
 * buffers in ONNX Runtime's WebAssembly memory, which never shrinks: one made per job grew the daemon by megabytes a
 * job until that memory was full (about 4 GB) and every later session failed. The network's recurrent state goes in
 * and out with each frame, so one session serves every stream; each detector keeps its own state.
 */
let sileroSession: Promise<InferenceSession> | null = null;

function sharedSileroSession(): Promise<InferenceSession> {
  sileroSession ??= Promise.resolve()
    .then(() =>
      loadOnnxRuntime().InferenceSession.create(SILERO_MODEL, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
      }),
    )
    .catch((error: unknown) => {
      sileroSession = null; // the next stream tries again
      throw error;
    });
  return sileroSession;
}

/**
 * The end of the last frame queued on the shared session. Frames take turns: ONNX Runtime's web build keeps a run's
 * input and output lists on its one WebAssembly stack across the run's awaits and does not guard against overlap.
 * Each frame waits for the event loop's next turn: a run computes on this thread (2 ms of CPU), and its promise
 * settles at once, so thirty seconds of frames queued together held every other request for seconds.
 */
let lastRun: Promise<unknown> = Promise.resolve();

function runInTurn<T>(run: () => Promise<T>): Promise<T> {
  const result = lastRun.then(() => new Promise((resolve) => setImmediate(resolve))).then(run);
  lastRun = result.catch(() => undefined);
  return result;
}

/** Silero VAD v4: a speech probability per 32 ms frame, from a small recurrent network. */
export class SileroVad implements VoiceActivityDetector {
  readonly name = "Silero VAD v4";
  readonly frameSamples = 512;
  /** This stream's recurrent state, from silence at the start. */
  private h: Tensor;
  private c: Tensor;
  // One input frame and sample rate for every call: an hour of audio is 112,500 frames, and buffers made per frame
  // pile up as garbage faster than a busy machine collects it.
  private readonly samples = new Float32Array(this.frameSamples);
  private readonly input: Tensor;
  private readonly sampleRate: Tensor;

  private constructor(
    ort: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {
    this.h = new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]);
    this.c = new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]);
    this.input = new ort.Tensor("float32", this.samples, [1, this.frameSamples]);
    this.sampleRate = new ort.Tensor("int64", BigInt64Array.from([BigInt(SAMPLE_RATE)]));
  }

  /** A detector for one stream, on the daemon's one Silero session (made by the first). */
  static async create(): Promise<SileroVad> {
    const session = await sharedSileroSession();
    return new SileroVad(loadOnnxRuntime(), session);
  }

  async speechProbability(frame: Int16Array): Promise<number> {
    if (frame.length !== this.frameSamples) throw new Error(`a Silero VAD frame is ${this.frameSamples} samples`);
    return runInTurn(async () => {
      for (let i = 0; i < frame.length; i++) this.samples[i] = frame[i] / 32768;
      const out = await this.session.run({ input: this.input, sr: this.sampleRate, h: this.h, c: this.c });
      this.h = out.hn;
      this.c = out.cn;
      return (out.output.data as Float32Array)[0];
    });
  }
}

type FvadModule = Awaited<ReturnType<typeof createFvad>>;

/** WebRTC's VAD (libfvad) on 30 ms frames; aggressiveness 0-3 (3: most readily calls noise non-speech). Its answer is yes or no: probability 1 or 0. */
export class WebRtcVad implements VoiceActivityDetector {
  readonly name = "WebRTC VAD";
  readonly frameSamples = 480;

  private constructor(
    private readonly module: FvadModule,
    private readonly instance: number,
    private readonly buffer: number,
  ) {}

  static async create(aggressiveness = 3): Promise<WebRtcVad> {
    // An ES module: a dynamic import keeps it out of the CommonJS require graph.
    const module = await (await import("@echogarden/fvad-wasm")).default();
    const instance = module._fvad_new();
    if (instance === 0) throw new Error("the voice activity detector could not be created (out of memory)");
    if (module._fvad_set_mode(instance, aggressiveness) !== 0 || module._fvad_set_sample_rate(instance, SAMPLE_RATE)) {
      module._fvad_free(instance);
      throw new Error(`WebRTC VAD aggressiveness must be 0 to 3, not ${aggressiveness}`);
    }
    return new WebRtcVad(module, instance, module._malloc(480 * 2));
  }

  async speechProbability(frame: Int16Array): Promise<number> {
    if (frame.length !== this.frameSamples) throw new Error(`a WebRTC VAD frame is ${this.frameSamples} samples`);
    this.module.HEAP16.set(frame, this.buffer >> 1);
    return this.module._fvad_process(this.instance, this.buffer, this.frameSamples) === 1 ? 1 : 0;
  }
}

/** Silero where ONNX Runtime loads (everywhere it is installed whole), else WebRTC's VAD with a notice saying why. */
export async function createVoiceActivityDetector(): Promise<{ detector: VoiceActivityDetector; notice?: string }> {
  try {
    return { detector: await SileroVad.create() };
  } catch (error) {
    return {
      detector: await WebRtcVad.create(),
      notice: `Silero VAD is unavailable here (${(error as Error).message}); speech is found with WebRTC's VAD, which takes loud noise for speech.`,
    };
  }
}
