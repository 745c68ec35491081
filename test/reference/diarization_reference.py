"""Nemotron 3 Diarization (NVIDIA's streaming Sortformer speaker model): random tiny models in transformers' layout, and
transformers 5.18's own numbers for them (features, speaker probabilities offline and in each streaming mode, the
processor's segments), the reference the native engine's `speakers/` model is checked against.

    P=$(bash test/reference/parakeet-venv.sh)   # torch 2.13 CPU, transformers 5.18, librosa, safetensors
    $P test/reference/diarization_reference.py make-model --dims tiny --out test/fixtures/models/diarization-tiny
    $P test/reference/diarization_reference.py run --model test/fixtures/models/diarization-tiny \
        --audio test/fixtures/heldout/heldout-00.wav --out /tmp/ref.json
    $P test/reference/diarization_reference.py make-model --dims real --out test/reference/.diarization-models/real-random
    $P test/reference/diarization_reference.py bench --model test/reference/.diarization-models/real-random \
        --audio /tmp/minute.wav --threads 2

`make-model` writes what `save_pretrained` writes for `Nemotron3DiarizationForAudioFrameClassification` and its
`Nemotron3DiarizationProcessor` (config.json, model.safetensors, processor_config.json), the layout of
nvidia/Nemotron-3-Diarization, so `AutoModelForAudioFrameClassification` and `AutoProcessor` load the folder.
`run` diarizes a wav as a user of transformers does: offline, `processor(audio)` then one forward; streaming, for each
of the processor's streaming modes, the audio cut as the processor documents (`num_samples_first_audio_chunk`, then
`num_samples_per_audio_chunk` from `audio_chunk_start(frame)`, the rest with `is_last_audio_chunk`), one forward per
chunk carrying the speaker cache. The JSON holds the probabilities of the valid frames (frames x speakers, row-major),
the segments of `extract_speaker_dict`, whether a stream's speaker cache was compressed, the smallest distance of any
probability to the 0.5 threshold (how far the segments are from flipping), and a few feature rows. `bench` times
transformers' diarization of a wav, offline or streaming (best of `--repeat`), for test/bench/speakers.mjs.
"""

import argparse
import json
import sys

import numpy as np

from reference_io import read_wav, tensor_rng

# Tiny shapes for committed fixtures, with FIFO and speaker-cache sizes small enough that a few seconds of audio
# overflow the FIFO and compress the speaker cache (speaker_cache_length 16 over 4 speakers: 3 frames each plus one
# silence slot), offline and in every streaming mode.
DIMS = {
    "tiny": dict(
        audio=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_mel_bins=128),
        head=dict(hidden_size=16, num_speakers=4),
        streaming=dict(fifo_length=12, speaker_cache_update_period=8, speaker_cache_length=16),
        offline=dict(chunk_length=10, chunk_right_context=3, fifo_length=6, speaker_cache_update_period=5),
    ),
    # nvidia/Nemotron-3-Diarization's shapes and sizes (benchmarks only)
    "real": dict(
        audio=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=31, num_attention_heads=8, num_mel_bins=128),
        head=dict(hidden_size=192, num_speakers=8),
        streaming=dict(),
        offline=dict(),
    ),
}
# Gain on the classifier's output layer: random encoders give near-constant logits; this spreads the probabilities of
# the tiny model over (0.05, 0.95) so that speakers start and stop within a few seconds of speech.
OUTPUT_GAIN = {"tiny": 3.0, "real": 3.0}


def make_model(args):
    import torch
    from transformers import (
        Nemotron3DiarizationConfig,
        Nemotron3DiarizationForAudioFrameClassification,
        Nemotron3DiarizationProcessor,
        NemotronAsrStreamingFeatureExtractor,
    )

    dims = DIMS[args.dims]
    config = Nemotron3DiarizationConfig(
        audio_config=dims["audio"],
        head_config=dict(dims["head"], audio_hidden_size=dims["audio"]["hidden_size"]),
        streaming_config=dict(dims["streaming"], num_speakers=dims["head"]["num_speakers"]),
        **dims["offline"],
    )
    model = Nemotron3DiarizationForAudioFrameClassification(config).eval()
    # Weights that keep activations near unit size: linear and convolution weights N(0, 1/fan_in), biases
    # N(0, 0.02²) (the classifier's output bias N(0, 1): speakers differ in how often they speak), norm weights
    # 1 + N(0, 0.05²), the upsampler as below, the silence embedding N(0, 1) (so the compressed cache's silence slots matter).
    with torch.no_grad():
        for name, p in model.named_parameters():
            rng = tensor_rng(args.seed, name)
            shape = tuple(p.shape)
            if ("norm" in name) and name.endswith("weight"):
                v = 1 + 0.05 * rng.standard_normal(shape)
            elif name == "classifier.out_proj.bias" or name == "silence_embeds":
                v = rng.standard_normal(shape)
            elif name.endswith("bias"):
                v = 0.02 * rng.standard_normal(shape)
            elif name == "model.upsampler.conv.weight":
                # transformers' own init (nearest-neighbour upsampling: identity on the centre tap) plus noise, so
                # that the 8 frames of an encoder frame differ a little instead of being independent
                v = 0.1 * rng.standard_normal(shape) / np.sqrt(shape[1])
                v[:, :, 1] += np.tile(np.eye(shape[1]), (shape[0] // shape[1], 1))
            else:
                fan_in = int(np.prod(shape[1:]))
                v = rng.standard_normal(shape) / np.sqrt(fan_in)
                if name == "classifier.out_proj.weight":
                    v = v * OUTPUT_GAIN[args.dims]
            p.copy_(torch.from_numpy(np.asarray(v, dtype=np.float32)))
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[args.dtype]
    model = model.to(dtype)
    model.save_pretrained(args.out)
    fe = NemotronAsrStreamingFeatureExtractor(feature_size=dims["audio"]["num_mel_bins"])
    Nemotron3DiarizationProcessor(fe, subsampling_factor=8).save_pretrained(args.out)
    print(f"{args.out}: {args.dims} {args.dtype}, {sum(p.numel() for p in model.parameters())} parameters")


def streaming_logits(model, processor, audio, mode):
    """Logits of a streaming session in `mode`, the audio fed chunk by chunk as the processor documents."""
    import torch

    processor.set_streaming_mode(mode)
    cache, logits, frame, first = None, [], 0, True
    chunks = 0
    while True:
        start = 0 if first else processor.audio_chunk_start(frame)
        size = processor.num_samples_first_audio_chunk if first else processor.num_samples_per_audio_chunk
        last = start + size > audio.size
        piece = audio[max(0, start) : start + size] if not last else audio[max(0, start) :]
        inputs = processor(
            piece, sampling_rate=16000, is_streaming=True, is_first_audio_chunk=first, is_last_audio_chunk=last,
            return_tensors="pt",
        )
        kwargs = {"speaker_cache": cache} if cache is not None else {}
        if "num_lookahead_frames" in inputs:
            kwargs["num_lookahead_frames"] = int(inputs["num_lookahead_frames"])
        with torch.no_grad():
            out = model(input_features=inputs["input_features"].to(model.dtype),
                        attention_mask=inputs["attention_mask"], **kwargs)
        cache = out.speaker_cache
        logits.append(out.logits)
        chunks += 1
        if last:
            break
        frame += processor.num_mel_frames_per_step
        first = False
    return torch.cat(logits, dim=1), chunks, cache.is_compressed


def describe(processor, logits, valid):
    probs = logits[0, :valid].float().sigmoid()
    segments = processor.extract_speaker_dict(logits[:, :valid].float())[0]
    return {
        "probabilities": [float("%.7g" % v) for v in probs.flatten().tolist()],
        "segments": [{"speaker": s["Speaker"], "start": s["Start"], "end": s["End"]} for s in segments],
        "threshold_margin": float((probs - 0.5).abs().min()),
        "probability_range": [float(probs.min()), float(probs.max())],
    }


def run(args):
    import torch
    from transformers import AutoModelForAudioFrameClassification, AutoProcessor

    torch.manual_seed(0)
    model = AutoModelForAudioFrameClassification.from_pretrained(args.model).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    audio = read_wav(args.audio)
    hop = processor.feature_extractor.hop_length
    valid = audio.size // hop
    inputs = processor(audio, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        logits = model(input_features=inputs["input_features"].to(model.dtype),
                       attention_mask=inputs["attention_mask"]).logits
    features = inputs["input_features"][0]
    rows = sorted({0, valid // 2, valid - 1})
    result = {
        "audio": args.audio.split("/")[-1],
        "samples": int(audio.size),
        "frames": valid,
        "speakers": model.config.head_config.num_speakers,
        "frame_seconds": hop / 16000,
        "features": {str(r): [float("%.7g" % v) for v in features[r].tolist()] for r in rows},
        "offline": describe(processor, logits, valid),
        "streaming": {},
    }
    for mode in processor.streaming_modes:
        s_logits, chunks, compressed = streaming_logits(model, processor, audio, mode)
        entry = describe(processor, s_logits, valid)
        entry["chunks"] = chunks
        entry["cache_compressed"] = compressed
        entry["chunk_length"], entry["right_context"] = (int(x) for x in processor.streaming_modes[mode])
        result["streaming"][mode] = entry
    with open(args.out, "w") as f:
        json.dump(result, f, separators=(",", ":"))
    summary = {k: (len(v["segments"]), round(v["threshold_margin"], 5), [round(x, 3) for x in v["probability_range"]])
               for k, v in [("offline", result["offline"])] + list(result["streaming"].items())}
    print(f"{args.out}: {valid} frames; segments, threshold margin, range: {summary}")


def bench(args):
    """Times transformers' diarization of the wav (offline or in a streaming mode) on `--threads` threads, best of
    `--repeat`; prints one JSON line: the seconds, the audio's seconds, the process's peak resident set and the
    segments (extract_speaker_dict's), so a bench can check they are the engine's."""
    import resource
    import time

    import torch
    from transformers import AutoModelForAudioFrameClassification, AutoProcessor

    torch.set_num_threads(args.threads)
    model = AutoModelForAudioFrameClassification.from_pretrained(args.model).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    audio = read_wav(args.audio)
    if args.seconds:
        audio = audio[: int(args.seconds * 16000)]
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        if args.mode == "offline":
            inputs = processor(audio, sampling_rate=16000, return_tensors="pt")
            with torch.no_grad():
                logits = model(input_features=inputs["input_features"].to(model.dtype),
                               attention_mask=inputs["attention_mask"]).logits
        else:
            logits = streaming_logits(model, processor, audio, args.mode)[0]
        best = min(best, time.perf_counter() - start)
    valid = audio.size // processor.feature_extractor.hop_length
    print(json.dumps({
        "mode": args.mode, "threads": args.threads, "seconds": best, "audio_seconds": audio.size / 16000,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000),
        "segments": describe(processor, logits, valid)["segments"],
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make-model")
    m.add_argument("--dims", choices=sorted(DIMS), default="tiny")
    m.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    m.add_argument("--seed", type=int, default=67)
    m.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--model", required=True)
    r.add_argument("--audio", required=True)
    r.add_argument("--out", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--model", required=True)
    b.add_argument("--audio", required=True)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--repeat", type=int, default=2)
    b.add_argument("--mode", default="offline", help="offline, or a streaming mode (low_latency, ...)")
    b.add_argument("--seconds", type=float, default=0, help="only the first seconds of the wav")
    args = parser.parse_args(argv)
    {"make-model": make_model, "run": run, "bench": bench}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
