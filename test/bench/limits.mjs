// The work a Whisper model does, for setting the benchmark's figures against the machine's limits: the bytes one
// decoder step must read (weights, the cross-attention keys and values of the window, the self-attention cache),
// and the floating-point operations of one 30 s encoder pass. From the model's config.json (mlx-community layout).

// Bytes per weight of each stored format: MLX affine 4-bit has an fp16 scale and bias per group; ggml's q4_0 is
// 32 nibbles and an fp16 scale per block, q4_1 adds an fp16 minimum.
export const WEIGHT_BYTES = {
  fp16: () => 2,
  mlx4: (groupSize) => 0.5 + 4 / groupSize,
  q4_0: () => 18 / 32,
  q4_1: () => 20 / 32,
};

/**
 * Bytes read by one greedy decoder step at `position` tokens into the text: every decoder weight once (self-
 * attention q, k, v, out; cross-attention q, out; the MLP; the vocabulary projection by the token embedding),
 * every cross-attention key and value of the window (`cache.cross` bytes each), and the self-attention cache so far
 * (`cache.self` bytes each).
 */
export function decoderBytesPerToken(config, weightBytes, cache, position) {
  const d = config.n_text_state;
  const weights = decoderWeights(config);
  const crossCache = config.n_text_layer * config.n_audio_ctx * d * 2;
  const selfCache = config.n_text_layer * position * d * 2;
  return weights * weightBytes + crossCache * cache.cross + selfCache * cache.self;
}

/** The weights one decoder step multiplies: per layer self-attention q, k, v, out (4 d²), cross-attention q, out
 * (2 d²) and the MLP (8 d²); then the vocabulary projection by the token embedding. */
function decoderWeights(config) {
  const d = config.n_text_state;
  return config.n_text_layer * 14 * d * d + config.n_vocab * d;
}

// Signed bytes per column that the engine rounds each row of x to for its 4-bit products (kQ4GemmDigits in
// native/src/engine/backends/cpu/q4_gemm.h).
const X_DIGITS = 2;

/**
 * 8-bit multiply-adds of one step of `beams` beams on 4-bit weights: each weight meets each digit of each beam's x
 * once (vpdpbusd). Where the weights are read faster than this work is done, it is the step's floor.
 */
export function beamStepInt8Macs(config, beams) {
  return decoderWeights(config) * beams * X_DIGITS;
}

/** Floating-point operations (a multiply-add is two) of one 30 s encoder pass. */
export function encoderFlops(config) {
  const d = config.n_audio_state;
  const frames = config.n_audio_ctx;
  const convolutions = 2 * (2 * frames) * 3 * config.n_mels * d + 2 * frames * 3 * d * d;
  const projections = 2 * frames * 12 * d * d; // q, k, v, out (4 d²) and the MLP (8 d²)
  const attention = 2 * 2 * frames * frames * d; // scores and the weighted sum of values, all heads
  return convolutions + config.n_audio_layer * (projections + attention);
}
