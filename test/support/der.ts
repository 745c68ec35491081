// Diarization error rate, as NIST's md-eval and pyannote.metrics define it (pyannote.metrics itself does not install
// here: no Python package index). Over the scored time (everything but the collars), with N_ref and N_hyp the number
// of reference and hypothesis speakers speaking at each moment and N_correct those of them paired by the mapping:
//   missed speech = ∫ max(0, N_ref − N_hyp)    false alarm = ∫ max(0, N_hyp − N_ref)
//   confusion = ∫ min(N_ref, N_hyp) − N_correct    DER = (missed + false alarm + confusion) / ∫ N_ref
// The mapping pairs each hypothesis speaker with at most one reference speaker so that the time they speak together
// is greatest (the Hungarian algorithm, npm's munkres). Overlapping speech is scored. The collar is md-eval's `-c`:
// that many seconds either side of every reference speaker's start and end are not scored (pyannote.metrics writes
// this as collar = twice it: DiarizationErrorRate(collar=0.5) is md-eval's -c 0.25).
import { munkres } from "munkres";

export interface Speech {
  speaker: string | number;
  start: number;
  end: number;
}

export interface DiarizationErrors {
  /** Seconds of reference speech scored (a moment two reference speakers speak counts twice). */
  total: number;
  missed: number;
  falseAlarm: number;
  confusion: number;
  /** (missed + falseAlarm + confusion) / total. */
  rate: number;
  /** Each hypothesis speaker paired with a reference speaker. */
  mapping: Map<string | number, string | number>;
}

export function diarizationErrors(reference: readonly Speech[], hypothesis: readonly Speech[], collar = 0) {
  const refSpeakers = [...new Set(reference.map((s) => s.speaker))];
  const hypSpeakers = [...new Set(hypothesis.map((s) => s.speaker))];
  const collars = reference.flatMap((s) => [s.start, s.end]).map((t) => [t - collar, t + collar] as const);
  const times = [
    ...new Set([...reference, ...hypothesis].flatMap((s) => [s.start, s.end]).concat(collars.flat())),
  ].sort((a, b) => a - b);
  // The scored pieces of time between consecutive boundaries, with who speaks in each.
  const pieces = times.slice(1).flatMap((end, i) => {
    const start = times[i];
    const middle = (start + end) / 2;
    if (end <= start || (collar > 0 && collars.some(([a, b]) => a < middle && middle < b))) return [];
    const speaking = (speech: readonly Speech[], speakers: (string | number)[]) =>
      speakers.filter((speaker) => speech.some((s) => s.speaker === speaker && s.start < middle && middle < s.end));
    return [{ seconds: end - start, ref: speaking(reference, refSpeakers), hyp: speaking(hypothesis, hypSpeakers) }];
  });

  const together = hypSpeakers.map((h) =>
    refSpeakers.map((r) =>
      pieces.reduce((sum, p) => sum + (p.hyp.includes(h) && p.ref.includes(r) ? p.seconds : 0), 0),
    ),
  );
  const mapping = new Map<string | number, string | number>();
  if (hypSpeakers.length > 0 && refSpeakers.length > 0) {
    for (const [h, r] of munkres(together.map((row) => row.map((seconds) => -seconds)))) {
      if (together[h][r] > 0) mapping.set(hypSpeakers[h], refSpeakers[r]);
    }
  }

  let [total, missed, falseAlarm, confusion] = [0, 0, 0, 0];
  for (const { seconds, ref, hyp } of pieces) {
    const correct = hyp.filter((h) => ref.includes(mapping.get(h) ?? NaN)).length;
    total += seconds * ref.length;
    missed += seconds * Math.max(0, ref.length - hyp.length);
    falseAlarm += seconds * Math.max(0, hyp.length - ref.length);
    confusion += seconds * (Math.min(ref.length, hyp.length) - correct);
  }
  const rate = total > 0 ? (missed + falseAlarm + confusion) / total : NaN;
  return { total, missed, falseAlarm, confusion, rate, mapping } satisfies DiarizationErrors;
}
