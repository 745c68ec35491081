"""Nemotron Speech Streaming (cache-aware FastConformer + RNN-T): random tiny models in transformers' layout, and
transformers 5.18's own numbers for them (features, offline `generate`, chunk-by-chunk streaming for each supported
right context, encoder outputs), the reference the native engine's `nemotron/` family is checked against.

    P=$(bash test/reference/parakeet-venv.sh)        # torch 2.13 CPU, transformers 5.18, librosa
    $P test/reference/nemotron_reference.py make-model --dims tiny --out test/fixtures/models/nemotron-tiny
    $P test/reference/nemotron_reference.py run --model test/fixtures/models/nemotron-tiny \
        --audio test/fixtures/heldout/heldout-00.wav --out /tmp/ref.json [--suppress-pieces JSON]

`make-model` writes what `save_pretrained` writes for `NemotronAsrStreamingForRNNT` and its
`NemotronAsrStreamingProcessor` (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
processor_config.json), the layout of nvidia/nemotron-speech-streaming-en-0.6b, so `AutoModel` and `AutoProcessor`
load the folder. `run` checks its own explicit decode loop against `generate()` (offline and streaming) and the
streaming encoder's rows against the offline encoder's (the same `chunked_limited` attention), and says so in its
output; the JSON holds every number the engine's tests compare (and, for each emitted token, the runner-up token and its
gap, what boosting must make up). `--suppress-pieces` masks those pieces in the loop (a language lock, the engine's
suppressTokens); generate() has no mask, so such a run's decodes are the loop's alone (the unmasked loop is the one
checked against generate()).
"""

import argparse
import json
import os
import sys

import numpy as np

from reference_io import read_wav, tensor_rng

SUPPORTED_LOOKAHEADS = [13, 6, 1, 0]

# Tiny shapes for committed fixtures. `sliding_window` 15 (14 frames of left context, a multiple of every chunk
# of R + 1 frames for R in 13, 6, 1, 0) so that a few seconds of audio already run past the attention cache.
DIMS = {
    "tiny": dict(
        num_mel_bins=128, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
        subsampling_conv_channels=16, conv_kernel_size=9, sliding_window=15, vocab=64, decoder_hidden=32,
        decoder_layers=2, attention_bias=True, convolution_bias=True, scale_input=True,
    ),
    # no biases in the encoder's linear and convolution-module layers, no input scaling, one LSTM layer, 80 mels
    "tiny-nobias": dict(
        num_mel_bins=80, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
        subsampling_conv_channels=8, conv_kernel_size=5, sliding_window=15, vocab=48, decoder_hidden=24,
        decoder_layers=1, attention_bias=False, convolution_bias=False, scale_input=False,
    ),
    # Nemotron 3.5's form (Nemotron3_5AsrForRNNT): the language prompt fused after the encoder
    "tiny-3.5": dict(
        num_mel_bins=128, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
        subsampling_conv_channels=16, conv_kernel_size=9, sliding_window=15, vocab=64, decoder_hidden=32,
        decoder_layers=2, attention_bias=False, convolution_bias=False, scale_input=False,
        num_prompts=128, prompt_intermediate_size=96,
    ),
    # nvidia/nemotron-speech-streaming-en-0.6b's shapes (benchmarks only)
    "en-0.6b": dict(
        num_mel_bins=128, hidden_size=1024, num_hidden_layers=24, num_attention_heads=8, intermediate_size=4096,
        subsampling_conv_channels=256, conv_kernel_size=9, sliding_window=71, vocab=1024, decoder_hidden=640,
        decoder_layers=2, attention_bias=False, convolution_bias=False, scale_input=False,
    ),
}
# Added to the head's blank logit so the random tiny models emit a mix of tokens and blanks.
HEAD_BLANK_OFFSET = {"tiny": 2.5, "tiny-nobias": 2.5, "tiny-3.5": 0.45, "en-0.6b": 4.0}


def synthetic_vocabulary(size):
    pieces = ["<unk>"] + ["<0x%02X>" % b for b in range(min(256, max(0, size - 40)))]
    i = 0
    while len(pieces) < size:
        pieces.append(("▁w%d" % i) if i % 3 else ("p%d" % i))
        i += 1
    return pieces[:size]


def build_tokenizer(pieces):
    """A Unigram SentencePiece-style tokenizer (Metaspace ▁, byte fallback) with <blank> appended, as NeMo's
    tokenizers convert; the ids are the pieces' positions."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers.models.parakeet.tokenization_parakeet import ParakeetTokenizer

    vocab = [(p, -float(i) / 10) for i, p in enumerate(pieces)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="always")])
    wrapped = ParakeetTokenizer(tokenizer_object=tok, unk_token="<unk>", pad_token="<blank>")
    wrapped.add_special_tokens({"additional_special_tokens": ["<blank>"]})
    assert wrapped.convert_tokens_to_ids("<blank>") == len(pieces)
    return wrapped


def make_model(args):
    import torch
    from transformers import (
        Nemotron3_5AsrConfig,
        Nemotron3_5AsrForRNNT,
        Nemotron3_5AsrProcessor,
        NemotronAsrStreamingConfig,
        NemotronAsrStreamingFeatureExtractor,
        NemotronAsrStreamingForRNNT,
        NemotronAsrStreamingProcessor,
    )

    dims = DIMS[args.dims]
    V = dims["vocab"]
    encoder = dict(
        hidden_size=dims["hidden_size"], num_hidden_layers=dims["num_hidden_layers"],
        num_attention_heads=dims["num_attention_heads"], intermediate_size=dims["intermediate_size"],
        subsampling_conv_channels=dims["subsampling_conv_channels"], conv_kernel_size=dims["conv_kernel_size"],
        num_mel_bins=dims["num_mel_bins"], sliding_window=dims["sliding_window"], default_num_lookahead_tokens=13,
        attention_bias=dims["attention_bias"], convolution_bias=dims["convolution_bias"],
        scale_input=dims["scale_input"],
    )
    common = dict(
        vocab_size=V + 1, blank_token_id=V, pad_token_id=V, decoder_hidden_size=dims["decoder_hidden"],
        num_decoder_layers=dims["decoder_layers"], encoder_config=encoder, max_symbols_per_step=args.max_symbols,
    )
    prompted = "num_prompts" in dims
    if prompted:
        config = Nemotron3_5AsrConfig(
            **common, num_prompts=dims["num_prompts"], prompt_intermediate_size=dims["prompt_intermediate_size"],
            default_prompt_id=101,
        )
        model = Nemotron3_5AsrForRNNT(config).eval()
    else:
        config = NemotronAsrStreamingConfig(**common)
        model = NemotronAsrStreamingForRNNT(config).eval()
    # Random weights that keep activations near unit size: linear and convolution weights N(0, 1/fan_in), biases
    # N(0, 0.02²), norm weights 1 + N(0, 0.05²), norm biases N(0, 0.02²), position biases N(0, 0.1²), embedding
    # N(0, 1) (the blank's row too: transformers feeds it as the first prediction input).
    with torch.no_grad():
        for name, p in model.named_parameters():
            rng = tensor_rng(args.seed, name)
            shape = tuple(p.shape)
            if "norm" in name and name.endswith("weight"):
                v = 1 + 0.05 * rng.standard_normal(shape)
            elif name.endswith("bias") or "bias_" in name or name.endswith(("bias_ih_l0", "bias_hh_l0", "bias_ih_l1", "bias_hh_l1")):
                v = (0.1 if "bias_u" in name or "bias_v" in name else 0.02) * rng.standard_normal(shape)
            elif "embedding" in name:
                v = rng.standard_normal(shape)
            elif "lstm" in name:
                v = rng.standard_normal(shape) / np.sqrt(shape[1])
            else:
                fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
                v = rng.standard_normal(shape) / np.sqrt(max(1, fan_in))
            if name == "joint.head.bias":
                v = v.copy()
                v[V] += HEAD_BLANK_OFFSET[args.dims]
            p.copy_(torch.from_numpy(np.asarray(v, dtype=np.float32)))
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[args.dtype]
    model = model.to(dtype)
    # generate() starts the prediction network from the blank (NVIDIA's generation_config.json says so too)
    model.generation_config.decoder_start_token_id = V
    model.generation_config.pad_token_id = V
    model.save_pretrained(args.out)
    fe = NemotronAsrStreamingFeatureExtractor(feature_size=dims["num_mel_bins"])
    processor_class = Nemotron3_5AsrProcessor if prompted else NemotronAsrStreamingProcessor
    processor = processor_class(fe, build_tokenizer(synthetic_vocabulary(V)))
    processor.save_pretrained(args.out)
    print(f"{args.out}: {args.dims} {args.dtype}, {sum(p.numel() for p in model.parameters())} parameters")


# ---------------------------------------------------------------------------------------------------------------------


def decode_loop(model, projected, blank, max_symbols, state=None, suppressed=()):
    """Greedy RNN-T as transformers' ParakeetRNNTGenerationMixin steps it, written out: the prediction network starts
    from one LSTM step on the blank's embedding (generate's decoder start token) and advances on each emitted token;
    at each frame the argmax over the V + 1 outputs; a blank moves to the next frame, as does the max_symbols-th
    token emitted at one frame. `state` carries the prediction and the symbol count across calls (streaming).
    `suppressed` token ids (a language lock's) are -inf before the argmax; the blank never is. For each emitted token,
    `runner_up` holds the best other token (the blank aside) and how many logits it is behind: what boosting that
    token must make up to be emitted there instead."""
    import torch

    if state is None:
        state = {"prediction": None, "hc": None, "symbols": 0}
        step_lstm(model, blank, state)
    tokens, frames, runner_up = [], [], []
    t = 0
    T = projected.shape[0]
    while t < T:
        logits = model.joint.head(torch.relu(projected[t] + state["prediction"]))
        if suppressed:
            logits = logits.clone()
            logits[list(suppressed)] = -float("inf")
        token = int(torch.argmax(logits))
        if token == blank:
            state["symbols"] = 0
            t += 1
            continue
        others = logits[:blank].clone()
        others[token] = -float("inf")
        second = int(torch.argmax(others))
        tokens.append(token)
        frames.append(t)
        runner_up.append([second, float(logits[token] - logits[second])])
        state["symbols"] += 1
        step_lstm(model, token, state)
        if state["symbols"] >= max_symbols:
            state["symbols"] = 0
            t += 1
    return tokens, frames, runner_up, state


def step_lstm(model, token, state):
    import torch

    emb = model.decoder.embedding(torch.tensor([[token]]))
    out, hc = model.decoder.lstm(emb, state["hc"])
    state["hc"] = hc
    state["prediction"] = model.decoder.decoder_projector(out)[0, 0]


def streaming_chunks(processor, audio, lookahead):
    """The mel chunks of a streaming session (iter_streaming_chunks), as a list."""
    return list(iter_streaming_chunks(processor, audio, lookahead))


def iter_streaming_chunks(processor, audio, lookahead):
    """The mel chunks of a streaming session, one at a time, as NemotronAsrStreamingProcessor sizes them: the first
    `num_samples_first_audio_chunk` samples centred, then `num_samples_per_audio_chunk` samples from
    `hop * frame - n_fft // 2` uncentred, the last chunk with `is_last_audio_chunk` and its mel frames zero-padded to
    the chunk's size (as generate() requires). Each chunk's features are computed when it is asked for (the benchmark
    times them with the chunk's encoding)."""
    import torch

    processor.set_num_lookahead_tokens(lookahead)
    fe = processor.feature_extractor
    hop, n_fft = fe.hop_length, fe.n_fft
    first_frames = processor.num_mel_frames_first_audio_chunk
    per_frames = processor.num_mel_frames_per_audio_chunk
    total_frames = audio.size // hop  # the valid frames of a centred pass over the whole
    padded = np.concatenate([np.zeros(n_fft // 2, dtype=audio.dtype), audio])
    frame = 0
    first = True
    while frame < total_frames or first:
        want = first_frames if first else per_frames
        last = frame + want >= total_frames
        if first:
            piece = audio[: processor.num_samples_first_audio_chunk]
            out = fe(piece, sampling_rate=16000, center=True, return_tensors="pt")
            feats = out["input_features"][:, : int(out["attention_mask"].sum())]
        else:
            # the audio from sample hop * frame - n_fft // 2, which is before the start for R = 0's second chunk:
            # there the zeros a centred pass pads with
            start = hop * frame - n_fft // 2 + n_fft // 2
            piece = padded[start : start + processor.num_samples_per_audio_chunk]
            out = fe(piece, sampling_rate=16000, center=False, is_last_audio_chunk=last, return_tensors="pt")
            feats = out["input_features"][:, : int(out["attention_mask"].sum())]
        feats = feats[:, : min(want, total_frames - frame) if last else want]
        if feats.shape[1] < want:
            feats = torch.cat([feats, feats.new_zeros(1, want - feats.shape[1], feats.shape[2])], dim=1)
        yield feats
        first = False
        frame += want


def rows_dict(e, rows):
    return {str(i): e[i].tolist() for i in rows}


def run(args):
    import torch
    from transformers import AutoModel, AutoProcessor
    from transformers.models.nemotron_asr_streaming.modeling_nemotron_asr_streaming import (
        NemotronAsrStreamingEncoderCausalConvPaddingCache,
    )
    from transformers.cache_utils import DynamicCache

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = AutoModel.from_pretrained(args.model, dtype=torch.float32).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    cfg = model.config
    blank = cfg.blank_token_id
    # Nemotron 3.5: the language prompt, passed to every encoder call and to generate()
    prompt = {}
    if hasattr(processor, "prompt_dictionary"):
        prompt = {"prompt_ids": processor._resolve_prompt_ids(args.language, 1)}
    audio = read_wav(args.audio)
    result = {"audio": os.path.basename(args.audio), "samples": int(audio.size), "max_symbols": cfg.max_symbols_per_step}
    if prompt:
        result["language"] = args.language
        result["prompt_id"] = int(prompt["prompt_ids"][0])
    # A language lock's pieces, never emitted (the engine's suppressTokens): their ids are the output's "suppressed".
    vocabulary = processor.tokenizer.convert_ids_to_tokens(list(range(blank)))
    suppressed = sorted(vocabulary.index(piece) for piece in json.loads(args.suppress_pieces or "[]"))
    if suppressed:
        result["suppressed"] = suppressed

    inputs = processor(audio, sampling_rate=16000)
    feats, mask = inputs["input_features"], inputs["attention_mask"]
    f = feats[0].numpy()
    n = int(mask.sum())
    result["features"] = {"shape": list(f.shape), "valid_frames": n, "rows": rows_dict(f, sorted({0, 1, n // 2, n - 1}))}
    if args.features_data:
        result["features"]["data"] = f[:n].reshape(-1).tolist()

    result["offline"] = {}
    result["streaming"] = {}
    checks = {}
    for R in SUPPORTED_LOOKAHEADS:
        with torch.no_grad():
            enc = model.get_audio_features(
                input_features=feats, attention_mask=mask, num_lookahead_tokens=R, **prompt
            )
            length = int(enc.attention_mask.sum())
            e = enc.last_hidden_state[0].numpy()[:length]
            tokens, frames, runner_up, _ = decode_loop(
                model, enc.pooler_output[0, :length], blank, cfg.max_symbols_per_step, suppressed=suppressed
            )
            if not suppressed:  # generate() masks nothing: a masked decode is the loop's alone
                gen = model.generate(input_features=feats, attention_mask=mask, num_lookahead_tokens=R, **prompt)
                g_tokens = [t for t in gen.sequences[0].tolist()[1:] if t != blank]
                checks[f"offline_R{R}_loop_equals_generate"] = g_tokens == tokens
        result["offline"][str(R)] = {
            "encoder_frames": length,
            "encoder_rows": rows_dict(e, sorted({0, 1, length // 2, length - 1})),
            "encoder_checksum": {"sum": float(e.astype(np.float64).sum()), "max_abs": float(np.abs(e).max())},
            "tokens": tokens,
            "frames": frames,
            "runner_up": runner_up,
        }

        # Streaming: the encoder chunk by chunk with its caches, and the same decode loop over each chunk's frames.
        chunks = streaming_chunks(processor, audio, R)
        kv, conv = DynamicCache(config=model.encoder.config), NemotronAsrStreamingEncoderCausalConvPaddingCache()
        state = None
        s_tokens, s_frames, enc_rows = [], [], []
        chunk_frames = []
        with torch.no_grad():
            for chunk in chunks:
                out = model.get_audio_features(
                    input_features=chunk, past_key_values=kv, padding_cache=conv, num_lookahead_tokens=R,
                    use_cache=True, output_attention_mask=False, **prompt,
                )
                base = sum(chunk_frames)
                chunk_frames.append(int(out.pooler_output.shape[1]))
                enc_rows.append(out.last_hidden_state[0].numpy())
                tk, fr, _, state = decode_loop(
                    model, out.pooler_output[0], blank, cfg.max_symbols_per_step, state, suppressed=suppressed
                )
                s_tokens += tk
                s_frames += [base + x for x in fr]
            if not suppressed:
                gen = model.generate(input_features=(c for c in chunks), num_lookahead_tokens=R, **prompt)
                g_tokens = [t for t in gen.sequences[0].tolist()[1:] if t != blank]
                checks[f"streaming_R{R}_loop_equals_generate"] = g_tokens == s_tokens
        se = np.concatenate(enc_rows, axis=0)
        common = min(length, se.shape[0])
        # Rows whose receptive field lies inside the audio agree with the offline encoder: all but the end.
        inner = max(0, common - 2 * (R + 1))
        checks[f"streaming_R{R}_encoder_max_diff_vs_offline_before_end"] = float(
            np.abs(se[:inner] - e[:inner]).max()) if inner else 0.0
        result["streaming"][str(R)] = {
            "chunk_mel_frames": [int(c.shape[1]) for c in chunks],
            "chunk_encoder_frames": chunk_frames,
            "encoder_rows": rows_dict(se, sorted({0, 1, se.shape[0] // 2, se.shape[0] - 1})),
            "tokens": s_tokens,
            "frames": s_frames,
        }
        if args.features_data and R == SUPPORTED_LOOKAHEADS[0]:
            result["streaming"][str(R)]["chunk_features"] = [c[0].numpy().reshape(-1).tolist() for c in chunks]
    result["checks"] = checks
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    summary = ", ".join(
        f"R{R}: offline {len(result['offline'][str(R)]['tokens'])} / streaming {len(result['streaming'][str(R)]['tokens'])} tokens"
        for R in SUPPORTED_LOOKAHEADS
    )
    print(f"{args.audio}: {n} mel frames; {summary}; checks {checks}")
    bad = [k for k, v in checks.items() if v is False]
    if bad:
        raise SystemExit(f"checks failed: {bad}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make-model")
    p.add_argument("--dims", choices=sorted(DIMS), default="tiny")
    p.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-symbols", type=int, default=10)
    p.add_argument("--out", required=True)
    p = sub.add_parser("run")
    p.add_argument("--model", required=True)
    p.add_argument("--audio", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--features-data", action="store_true", help="also dump every feature value")
    p.add_argument("--language", default="auto", help="Nemotron 3.5's prompt: a locale, a bare code or auto")
    p.add_argument("--suppress-pieces", help="a JSON list of pieces never emitted (a language lock), e.g. '[\"▁w4\"]'")
    args = parser.parse_args(argv)
    {"make-model": make_model, "run": run}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
