#!/usr/bin/python3
"""Writes the log-mel reference spectrograms that native/tests/mel_test.cpp compares against.

The spectrograms are computed exactly as openai/whisper's audio.log_mel_spectrogram does (torch.stft with a
periodic Hann window, center=True, reflect padding, last frame dropped, |X|^2, filters from mel_filters.npz,
log10 clamp, max - 8 floor, (x + 4) / 4), but in float64: whisper's own float32 run differs from the exact values
by up to ~2.3e-5 in quiet bins (printed below), more than the 1e-5 the C++ side is held to.

Files (raw little-endian float32, row-major, shapes in the names; raw so that no second .npy parser is needed):
  jfk_log_mel80_3000.f32          jfk.wav + 480000 zero samples, 80 mels, the first 3000 of its 4100 frames
                                  (the rest lie in the padding and all equal the floor value)
  jfk_log_mel128_every10th.f32    the same for 128 mels, frames 0, 10, ..., 2990 (128 x 300)
  short_signals_log_mel80.f32     one frame each for short signals where torch.stft refuses to reflect-pad;
                                  computed with numpy.pad(mode="reflect") (see SHORT_SIGNALS)
  mel_filters80.f32, mel_filters128.f32
                                  mel_80 / mel_128 of mel_filters.npz (80 x 201, 128 x 201): that file's members
                                  are deflate-compressed, which the engine's npz reader (stored members only,
                                  memory-mapped) rightly refuses, and the test should not carry a second parser

Usage: /usr/bin/python3 test/reference/make_mel_reference.py [--reference-dir test/fixtures/reference] [--out native/tests/data]
"""
import argparse
import os
import wave
from pathlib import Path

import numpy as np
import torch

N_FFT = 400
HOP = 160
PADDING = 480000
# (first jfk sample, real samples, zero padding): 1 frame each; the signal is shorter than the 201 samples
# torch needs, so the reflection runs back and forth (and into the zero padding in the second case).
SHORT_SIGNALS = [(16000, 170, 0), (16000, 120, 60)]


def read_wav(path):
    """A 16 kHz mono 16-bit PCM WAV file as float32 samples / 32768, as whisper scales them."""
    with wave.open(path) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit PCM; convert it with "
                             "`ffmpeg -i IN -ar 16000 -ac 1 -c:a pcm_s16le OUT.wav`")
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return pcm.astype(np.float32) / 32768.0


def normalise(mel):
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def whisper_log_mel(audio, filters, padding, dtype):
    """openai/whisper audio.log_mel_spectrogram, in the given torch dtype."""
    audio = torch.from_numpy(audio).to(dtype)
    audio = torch.nn.functional.pad(audio, (0, padding))
    window = torch.hann_window(N_FFT, dtype=dtype)
    stft = torch.stft(audio, N_FFT, HOP, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel = torch.from_numpy(filters).to(dtype) @ magnitudes
    log_spec = torch.clamp(mel, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).numpy()


def numpy_log_mel(audio, filters, padding):
    """The same in numpy float64, with numpy's reflect padding (defined for any length)."""
    signal = np.concatenate([audio.astype(np.float64), np.zeros(padding)])
    padded = np.pad(signal, N_FFT // 2, mode="reflect")
    n_frames = len(signal) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = np.stack([padded[t * HOP:t * HOP + N_FFT] * window for t in range(n_frames)], axis=1)
    power = np.abs(np.fft.rfft(frames, axis=0)) ** 2
    return normalise(filters.astype(np.float64) @ power)


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)
    print(f"wrote {path} {array.shape} ({os.path.getsize(path)} bytes)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", default=str(Path(__file__).resolve().parents[1] / "fixtures" / "reference"))
    parser.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "..", "native", "tests", "data")))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    audio = read_wav(os.path.join(args.reference_dir, "jfk.wav"))
    filters = np.load(os.path.join(args.reference_dir, "mel_filters.npz"))
    exact = {}
    for n_mels in (80, 128):
        f = filters[f"mel_{n_mels}"]
        exact[n_mels] = whisper_log_mel(audio, f, PADDING, torch.float64)
        single = whisper_log_mel(audio, f, PADDING, torch.float32)
        print(f"{n_mels} mels: whisper float32 vs float64 max |diff| {np.abs(single - exact[n_mels]).max():.3g}")
        assert np.all(exact[n_mels][:, 3000:] == exact[n_mels].min())

    for n_mels in (80, 128):
        write_f32(os.path.join(args.out, f"mel_filters{n_mels}.f32"), filters[f"mel_{n_mels}"])
    write_f32(os.path.join(args.out, "jfk_log_mel80_3000.f32"), exact[80][:, :3000])
    write_f32(os.path.join(args.out, "jfk_log_mel128_every10th.f32"), exact[128][:, 0:3000:10])

    short = []
    for start, count, padding in SHORT_SIGNALS:
        mel = numpy_log_mel(audio[start:start + count], filters["mel_80"], padding)
        assert mel.shape == (80, 1)
        short.append(mel[:, 0])
    # numpy's reflection agrees with torch's wherever torch accepts the signal.
    check = numpy_log_mel(audio[16000:16250], filters["mel_80"], 0)
    assert np.abs(check - whisper_log_mel(audio[16000:16250], filters["mel_80"], 0, torch.float64)).max() < 1e-12
    write_f32(os.path.join(args.out, "short_signals_log_mel80.f32"), np.stack(short))


if __name__ == "__main__":
    main()
