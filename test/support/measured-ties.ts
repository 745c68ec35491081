// Near-ties measured in the run that meets them. The engine's logits differ from the independent reference's by float
// rounding (the fp16 cross-attention cache above all, then its BLAS and vector kernels), by an amount no fixed bound
// set on one machine is sure to cover on another (issue 60: a draw parted at 0.0017 on an AMD EPYC with AVX-512
// VNNI/BF16, over a 1e-3 bound set on one machine). So each parity suite measures the difference in the same run where
// the engine and the reference chose the same tokens: the gap between their log-probabilities of each chosen token,
// step by step and summed along the sequence. A decision closer than TIE_FACTOR times the largest gap may go either way,
// and both continuations are right. A run that measures few steps (a case of two short files) is held to the largest
// gaps seen on the machines below instead, when they are larger.
//
// Largest gaps per case of beam-search-reference (one step / a running sum), over both fixture models, 2026-11-27:
// - AMD EPYC, Zen 5 (AVX-512 VNNI, BF16; the engine built with -march=native, OpenBLAS choosing its kernel): steps
//   3.3e-3 to 1.06e-2 (the largest: best of 1, sampled), sums 6.2e-3 to 2.54e-2 (beam 5, 4-bit).
// - the same machine as a CPU without AVX-512 runs it (the engine built for x86-64-v3, OPENBLAS_CORETYPE=Haswell):
//   steps 4.1e-3 to 1.06e-2, sums 4.8e-3 to 2.44e-2.
// On both, runs parted at margins of at most 1.7e-3, every one of them within these ties. The fp16 cache's rounding,
// the same on every CPU, makes most of the gap. A parting margin is a difference of logits; a logit error d moves the
// chosen token's log-probability by up to 2d but often far less (a token of probability near 1 hardly moves), hence
// the factor of 3.
export const TIE_FACTOR = 3;
const SEEN_STEP_GAP = 1.1e-2;
const SEEN_SUM_GAP = 2.6e-2;
/** The step tie of a suite whose reference carries no log-probabilities to measure (a committed greedy run). */
export const SEEN_STEP_TIE = TIE_FACTOR * SEEN_STEP_GAP;
// Gaps beyond this are not rounding but a broken engine (over 4x the largest seen), and would widen every tie.
export const MAX_STEP_GAP = 0.05;

/** A sequence the reference decoded: its tokens, and each step's chosen log-probability (eot's step included). */
export interface ReferenceSequence {
  tokens: number[];
  token_logprobs: number[];
}

/** The same sequence as the engine reported it: a log-probability per token. */
export interface EngineSequence {
  tokens: number[];
  logprobs: number[];
}

// Below this the engine's float32 probability is subnormal or zero, and its logarithm too coarse to compare.
const SMALLEST_LOGPROB = Math.log(1e-30);

/** The largest engine-to-reference gaps seen in a run, and the ties they give. */
export class LogprobGaps {
  /** Largest gap of one step's log-probability. */
  step = 0;
  /** Largest gap of a running sum of log-probabilities along one sequence. */
  sum = 0;
  /** Steps measured. */
  steps = 0;

  /** Adds the steps where both chose the same tokens, up to the first where they part. */
  add(reference: ReferenceSequence, engine: EngineSequence): void {
    let referenceSum = 0;
    let engineSum = 0;
    for (let j = 0; j < Math.min(reference.tokens.length, engine.tokens.length); j++) {
      if (reference.tokens[j] !== engine.tokens[j] || !(engine.logprobs[j] > SMALLEST_LOGPROB)) break;
      referenceSum += reference.token_logprobs[j];
      engineSum += engine.logprobs[j];
      this.step = Math.max(this.step, Math.abs(engine.logprobs[j] - reference.token_logprobs[j]));
      this.sum = Math.max(this.sum, Math.abs(engineSum - referenceSum));
      this.steps++;
    }
  }

  /** A decision between two tokens at one step (an argmax, a draw, the timestamp rule) closer than this is a tie. */
  get stepTie(): number {
    return TIE_FACTOR * Math.max(this.step, SEEN_STEP_GAP);
  }

  /** A decision on sums of log-probabilities (the beam cut, a ranking) closer than this is a tie. */
  get sumTie(): number {
    return TIE_FACTOR * Math.max(this.step, this.sum, SEEN_SUM_GAP);
  }

  /**
   * A threshold on an average log-probability or on a probability closer than this is a tie: an average of steps
   * errs by no more than its worst step, and a probability p by at most p (1 - p) times its logit's error.
   */
  get thresholdTie(): number {
    return this.stepTie;
  }

  toString(): string {
    const e = (x: number) => x.toExponential(2);
    return `largest gap over ${this.steps} agreeing steps ${e(this.step)} (sums ${e(this.sum)}): ties ${e(this.stepTie)}, sums ${e(this.sumTie)}`;
  }
}
