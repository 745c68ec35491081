#!/usr/bin/env python3
"""Silero VAD's speech probabilities by ONNX Runtime, frame by frame: what native/tests/silero_vad_test.cpp holds the
engine's voice detector to.

Each case is a signal of 16-bit samples made from the test fixtures with integer arithmetic only (so that the C++ test
makes the very same samples): speech (jfk.wav; held-out sentences joined by pauses), digital silence, white and brown
noise alone, and the sentences mixed with each noise at about 5 dB SNR, the hardest condition of test/bench/vad.mjs.
The samples go to the model as s16 / 32768, 512 a frame, each frame with the 64 samples before it (zeros before the
first) and the state the previous frame left, as Silero's own OnnxWrapper feeds it (utils_vad.py).

usage: python3 test/reference/silero_vad_reference.py [--onnx silero_vad.onnx]
       (writes native/tests/data/silero_vad_v6_reference.json)
needs: pip install onnxruntime numpy   (onnxruntime 1.30: 1.30.0 wrote the committed file)
"""
import argparse
import json
import os
import wave

import numpy as np
import onnxruntime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FRAME = 512
CONTEXT = 64
PAUSE = 19200  # 1.2 s between sentences, as in test/bench/vad.mjs
SENTENCES = ["test/fixtures/heldout/heldout-00.wav", "test/fixtures/heldout/heldout-01.wav",
             "test/fixtures/heldout/heldout-02.wav"]


def read_wav(relative):
    with wave.open(os.path.join(ROOT, relative)) as wav:
        assert wav.getframerate() == 16000 and wav.getnchannels() == 1 and wav.getsampwidth() == 2, relative
        return [int(x) for x in np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")]


def noise(kind, count):
    """A 32-bit LCG's top 16 bits (white), or those summed with a leak of 1/32 a sample (brown: room rumble)."""
    state, brown, out = 1, 0, []
    for _ in range(count):
        state = (state * 1664525 + 1013904223) % 2**32
        white = (state >> 16) - 32768
        if kind == "white":
            out.append(white)
        else:
            brown = brown - brown // 32 + white // 8
            out.append(brown)
    return out


def signal(case):
    samples = []
    for i, part in enumerate(case.get("speech", [])):
        if i:
            samples += [0] * case["pauseSamples"]
        samples += read_wav(part)
    if "samples" in case:
        samples = [0] * case["samples"]
    if "noise" in case:
        mixed = noise(case["noise"]["kind"], len(samples))
        scale = case["noise"]["scale"]
        samples = [max(-32768, min(32767, s + (n * scale) // 4096)) for s, n in zip(samples, mixed)]
    return samples


def noise_scale(kind, speech, snr_db):
    """The scale (in 1/4096) that puts the noise `snr_db` below the speech's RMS (over its non-zero samples)."""
    voiced = np.array([s for s in speech if s != 0], dtype=np.float64)
    n = np.array(noise(kind, len(speech)), dtype=np.float64)
    return int(round(4096 * np.sqrt(np.mean(voiced**2)) / (np.sqrt(np.mean(n**2)) * 10 ** (snr_db / 20))))


def level_scale(kind, count, dbfs):
    """The scale (in 1/4096) that puts the noise alone at `dbfs` RMS."""
    n = np.array(noise(kind, count), dtype=np.float64)
    return int(round(4096 * 32768 * 10 ** (dbfs / 20) / np.sqrt(np.mean(n**2))))


def probabilities(session, samples):
    state = np.zeros((2, 1, 128), dtype=np.float32)
    context = np.zeros((1, CONTEXT), dtype=np.float32)
    out = []
    audio = np.array(samples, dtype=np.float32) / 32768
    for start in range(0, len(audio) - FRAME + 1, FRAME):
        x = np.concatenate([context, audio[None, start:start + FRAME]], axis=1)
        p, state = session.run(None, {"input": x, "state": state, "sr": np.array(16000, dtype=np.int64)})
        context = x[:, -CONTEXT:]
        out.append(float(p[0, 0]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", default="node_modules/@ricky0123/vad-web/dist/silero_vad_v6.onnx")
    parser.add_argument("--out", default=os.path.join(ROOT, "native/tests/data/silero_vad_v6_reference.json"))
    args = parser.parse_args()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])

    sentences = {"speech": SENTENCES, "pauseSamples": PAUSE}
    speech = signal(sentences)
    cases = [
        {"name": "jfk.wav", "speech": ["test/fixtures/reference/jfk.wav"], "pauseSamples": 0},
        {"name": "three held-out sentences, 1.2 s apart", **sentences},
        {"name": "digital silence", "samples": 32000},
        {"name": "white noise at -25 dBFS", "samples": 64000, "noise": {"kind": "white", "scale": level_scale("white", 64000, -25)}},
        {"name": "brown noise at -25 dBFS", "samples": 64000, "noise": {"kind": "brown", "scale": level_scale("brown", 64000, -25)}},
        {"name": "the sentences in white noise, 5 dB SNR", **sentences,
         "noise": {"kind": "white", "scale": noise_scale("white", speech, 5)}},
        {"name": "the sentences in brown noise, 5 dB SNR", **sentences,
         "noise": {"kind": "brown", "scale": noise_scale("brown", speech, 5)}},
    ]
    for case in cases:
        samples = signal(case)
        case["checksum"] = sum(samples) + sum(s * s for s in samples)
        case["probabilities"] = [float(f"{p:.8g}") for p in probabilities(session, samples)]
        print(f"{case['name']}: {len(case['probabilities'])} frames, max {max(case['probabilities']):.3f}")
    with open(args.out, "w") as out:
        json.dump({"model": "silero_vad v6.2 (onnx sha256 1a153a22...)", "runtime": f"onnxruntime {onnxruntime.__version__}",
                   "cases": cases}, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
