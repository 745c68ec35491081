#!/usr/bin/env python3
"""Parakeet TDT reference for checking the native engine: random-weight model folders in parakeet-mlx's layout, their
conversion to transformers' ParakeetForTDT, and transformers' own features, encoder output and greedy TDT decoding.

Run it with the venv's python (bash test/reference/parakeet-venv.sh prints its path): `run` and `convert` need torch
2.13 and transformers 5.18; `make-model` needs numpy only (Debian's python3 will do).

Subcommands:
  make-model --config tiny|tiny-v3|tiny-v3-multilingual|tiny-tdt-ctc|v2|v3 --out DIR [--seed N] [--dtype float32|float16|bfloat16]
      A model folder as mlx-community publishes Parakeet TDT (what parakeet-mlx's from_pretrained reads):
      config.json = the NeMo model config as JSON (target, preprocessor, encoder, decoder, joint with its vocabulary
      list, decoding, model_defaults.tdt_durations) and model.safetensors with parakeet-mlx's parameter names and MLX
      layouts (Conv weights channels-last; one LSTM bias = b_ih + b_hh). Weights are random, a function of the seed
      and each tensor's name only. tiny: 2 layers, d_model 64, a 64-piece vocabulary, use_bias and xscaling on (the
      real models have both off, so tiny covers the other branch); tiny-v3-multilingual: tiny-v3 with a v3-style
      vocabulary of Latin, Cyrillic and Greek pieces (for the language lock); tiny-tdt-ctc: parakeet-tdt_ctc-110m's form (a hybrid
      with an unused auxiliary CTC head, 80 mel features, a one-layer prediction network) at tiny size; v2 / v3: the real shapes (24 layers, d_model 1024,
      1024 / 8192 tokens, 2.4 GB in float32: benchmarks only, never in tests).
  convert DIR [--out FILE]
      Maps the folder to transformers' ParakeetTDTConfig + ParakeetForTDT state dict (in memory), loads it with
      strict=True and prints the name mapping (or writes it as JSON with --out).
  run DIR AUDIO.wav --out OUT.json [--encoder-rows all|N] [--no-generate] [--suppress-pieces JSON]
      transformers' ParakeetFeatureExtractor features, the encoder output, and greedy TDT decoding by
      ParakeetForTDT.generate() (tokens, durations, frame of each token), plus an explicit step-by-step greedy loop
      with each decision's logit margins (see below). AUDIO is a 16 kHz mono 16-bit WAV. --suppress-pieces: pieces
      (a JSON list of their text) whose logits both decodings set to -inf before the argmax, as a language lock does;
      their ids are the output's "suppressed".

Output of `run` (JSON):
  features:        {"shape": [frames, n_mels], "valid_frames", "checksum", "rows": first/last 2 rows, "data": all
                   values row-major when --features-data}
  encoder:         {"shape": [frames, d_model], "checksum": sum and sum of squares, "rows": {frame: values} for
                   frames 0, 1, last (all frames with --encoder-rows all)}
  generate:        transformers' ParakeetForTDT.generate(): "sequences" (the decoder start token first, blanks
                   included), "durations" (as generate returns them: each step's duration index, a blank's 0 made 1),
                   "tokens", "token_frames", "token_durations" (non-blank steps only)
  greedy:          the explicit loop (NeMo / parakeet-mlx greedy TDT, see native/PARAKEET.md): "tokens", "frames",
                   "durations" (values from tdt_durations), "steps" (every joint evaluation: frame, token, duration
                   index, token margin = top-1 minus top-2 token logit, duration margin), "min_token_margin",
                   "min_duration_margin"; "equals_generate" says whether tokens and frames agree with generate()
  text:            the tokens' pieces joined, "▁" as a space, <0xNN> byte pieces as bytes (UTF-8, replacement on error)
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

from reference_io import read_wav, tensor_rng

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------------------------------
# Configs

PREPROCESSOR = {
    "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
    "sample_rate": 16000,
    "normalize": "per_feature",
    "window_size": 0.025,
    "window_stride": 0.01,
    "window": "hann",
    "features": 128,
    "n_fft": 512,
    "log": True,
    "frame_splicing": 1,
    "dither": 1.0e-05,
    "pad_to": 0,
    "pad_value": 0.0,
}

TINY_PIECES = (
    ["<unk>", "▁", "▁the", "▁a", "▁and", "▁to", "▁of", "▁in", "▁is", "▁it", "▁that", "▁we", "▁you", "▁he", "▁was"]
    + ["▁for", "▁on", "▁are", "▁with", "▁as", "▁be", "▁at", "▁one", "▁have", "▁this", "▁from", "▁word", "▁but"]
    + ["▁Verbatim", "▁café", "▁naïve", "s", "ed", "ing", "er", "ly", "e", "t", "a", "o", "i", "n", "r", "h", "l", "d"]
    + [",", ".", "'", "?", "-", "c", "u", "m", "▁I"]
    # byte pieces: newline, "!", and the UTF-8 of "é" (C3 A9), "’" (E2 80 99) and the lead byte of a 4-byte emoji
    + ["<0x0A>", "<0x21>", "<0xC3>", "<0xA9>", "<0xE2>", "<0x80>", "<0x99>", "<0xF0>", "<0x9F>"]
)
assert len(TINY_PIECES) == 64, len(TINY_PIECES)

# tiny-v3-multilingual's 64 pieces: a v3-style vocabulary of Latin (English, German, French, Spanish, Polish, Czech,
# Nordic letters), Cyrillic and Greek pieces, with shared punctuation, digits and byte pieces, for the language lock
MULTILINGUAL_PIECES = (
    ["<unk>", "▁", "▁the", "▁and", "▁a", "▁is", "▁in", "▁of"]
    + ["s", "e", "t", "a", "o", "n", "r", "i", "ing", "er"]
    + ["▁der", "▁und", "ä", "ö", "ü", "ß", "▁für", "é", "è", "ç", "ñ", "▁où", "ł", "ą", "ż", "č", "ř", "å", "ø"]
    + ["▁и", "▁в", "▁не", "▁что", "ы", "я", "ж", "і", "ї", "є", "ть", "о"]
    + ["▁και", "α", "ε", "ο", "ς", "ή", "▁το"]
    + [",", ".", "?", "'", "1", "0", "<0xC3>", "<0x21>"]
)
assert len(MULTILINGUAL_PIECES) == 64, len(MULTILINGUAL_PIECES)


def synthetic_vocabulary(size):
    """A SentencePiece-shaped list for the real shapes: <unk>, the 256 byte pieces, then word and sub-word pieces."""
    pieces = ["<unk>"] + ["<0x%02X>" % b for b in range(256)]
    i = 0
    while len(pieces) < size:
        pieces.append(("▁w%d" % i) if i % 3 else ("p%d" % i))
        i += 1
    return pieces[:size]


def nemo_config(name):
    """The NeMo model config (as mlx-community's config.json holds it) of a named shape."""
    features = PREPROCESSOR["features"]
    if name in ("tiny", "tiny-v3", "tiny-v3-multilingual"):
        # tiny has use_bias and xscaling on, tiny-v3 off as the real models: between them both branches are covered
        flag = name == "tiny"
        enc = dict(n_layers=2, d_model=64, n_heads=4, subsampling_conv_channels=16, use_bias=flag, xscaling=flag)
        pieces = MULTILINGUAL_PIECES if name == "tiny-v3-multilingual" else TINY_PIECES
        pred_hidden, layers, vocabulary = 32, 2, list(pieces)
    elif name == "tiny-tdt-ctc":
        # parakeet-tdt_ctc-110m's form at tiny size: a hybrid TDT-CTC model (aux_ctc, a ConvASRDecoder the TDT
        # decoding never uses), 80 mel features, biases and xscaling on, a one-layer prediction network
        enc = dict(n_layers=2, d_model=64, n_heads=4, subsampling_conv_channels=16, use_bias=True, xscaling=True)
        pred_hidden, layers, vocabulary, features = 32, 1, list(TINY_PIECES), 80
    elif name in ("v2", "v3"):
        # parakeet-tdt-0.6b-v2 / -v3: FastConformer XL without biases or input scaling, 2-layer 640-wide LSTM
        enc = dict(n_layers=24, d_model=1024, n_heads=8, subsampling_conv_channels=256, use_bias=False, xscaling=False)
        pred_hidden, layers = 640, 2
        vocabulary = synthetic_vocabulary(1024 if name == "v2" else 8192)
    else:
        raise SystemExit(f"unknown config {name!r} (tiny, tiny-v3, tiny-v3-multilingual, tiny-tdt-ctc, v2, v3)")
    durations = [0, 1, 2, 3, 4]
    d_model = enc["d_model"]
    encoder = {
        "_target_": "nemo.collections.asr.modules.ConformerEncoder",
        "feat_in": features,
        "feat_out": -1,
        "n_layers": enc["n_layers"],
        "d_model": d_model,
        "use_bias": enc["use_bias"],
        "subsampling": "dw_striding",
        "subsampling_factor": 8,
        "subsampling_conv_channels": enc["subsampling_conv_channels"],
        "causal_downsampling": False,
        "ff_expansion_factor": 4,
        "self_attention_model": "rel_pos",
        "n_heads": enc["n_heads"],
        "att_context_size": [-1, -1],
        "att_context_style": "regular",
        "xscaling": enc["xscaling"],
        "untie_biases": True,
        "pos_emb_max_len": 5000,
        "conv_kernel_size": 9,
        "conv_norm_type": "batch_norm",
        "conv_context_size": None,
        "dropout": 0.1,
        "dropout_pre_encoder": 0.1,
        "dropout_emb": 0.0,
        "dropout_att": 0.1,
        "stochastic_depth_drop_prob": 0.0,
        "stochastic_depth_mode": "linear",
        "stochastic_depth_start_layer": 1,
    }
    vocab_size = len(vocabulary)
    cfg = {
        "target": "nemo.collections.asr.models.rnnt_bpe_models.EncDecRNNTBPEModel",
        "sample_rate": 16000,
        "labels": vocabulary,
        "model_defaults": {
            "enc_hidden": d_model,
            "pred_hidden": pred_hidden,
            "joint_hidden": pred_hidden,
            "tdt_durations": durations,
            "num_tdt_durations": len(durations),
        },
        "preprocessor": dict(PREPROCESSOR, features=features),
        "encoder": encoder,
        "decoder": {
            "_target_": "nemo.collections.asr.modules.RNNTDecoder",
            "normalization_mode": None,
            "random_state_sampling": False,
            "blank_as_pad": True,
            "vocab_size": vocab_size,
            "prednet": {"pred_hidden": pred_hidden, "pred_rnn_layers": layers, "t_max": None, "dropout": 0.2},
        },
        "joint": {
            "_target_": "nemo.collections.asr.modules.RNNTJoint",
            "log_softmax": None,
            "preserve_memory": False,
            "fuse_loss_wer": True,
            "fused_batch_size": 4,
            "jointnet": {
                "joint_hidden": pred_hidden,
                "activation": "relu",
                "dropout": 0.2,
                "encoder_hidden": d_model,
                "pred_hidden": pred_hidden,
            },
            "num_classes": vocab_size,
            "vocabulary": vocabulary,
            "num_extra_outputs": len(durations),
        },
        "decoding": {
            "strategy": "greedy_batch",
            "model_type": "tdt",
            "durations": durations,
            "greedy": {"max_symbols": 10},
        },
    }
    if name == "tiny-tdt-ctc":
        cfg["target"] = "nemo.collections.asr.models.hybrid_rnnt_ctc_bpe_models.EncDecHybridRNNTCTCBPEModel"
        cfg["aux_ctc"] = {
            "ctc_loss_weight": 0.3,
            "decoder": {"_target_": "nemo.collections.asr.modules.ConvASRDecoder", "feat_in": d_model,
                        "num_classes": -1, "vocabulary": vocabulary},
        }
    return cfg


# ---------------------------------------------------------------------------------------------------------------------
# parakeet-mlx's parameter names and MLX shapes


def mlx_shapes(cfg):
    """(name, shape, kind) of every parameter parakeet-mlx's ParakeetTDT holds, in file order."""
    enc, dec, joint = cfg["encoder"], cfg["decoder"], cfg["joint"]
    d, c, f = enc["d_model"], enc["subsampling_conv_channels"], enc["feat_in"]
    h = enc["n_heads"]
    ff = d * enc["ff_expansion_factor"]
    k = enc["conv_kernel_size"]
    bias = enc["use_bias"]
    out = []

    def add(name, shape, kind):
        out.append((name, tuple(shape), kind))

    # dw_striding subsampling: Conv2d(1, c) ReLU [Conv2d depthwise, Conv2d 1x1, ReLU] x (log2(factor) - 1), Linear
    n_sub = int(math.log2(enc["subsampling_factor"]))
    index = 0
    add(f"encoder.pre_encode.conv.{index}.weight", (c, 3, 3, 1), "conv")
    add(f"encoder.pre_encode.conv.{index}.bias", (c,), "bias")
    index += 2
    freq = f
    for _ in range(n_sub):
        freq = (freq + 2 * 1 - 3) // 2 + 1
    for _ in range(n_sub - 1):
        add(f"encoder.pre_encode.conv.{index}.weight", (c, 3, 3, 1), "conv")
        add(f"encoder.pre_encode.conv.{index}.bias", (c,), "bias")
        add(f"encoder.pre_encode.conv.{index + 1}.weight", (c, 1, 1, c), "conv")
        add(f"encoder.pre_encode.conv.{index + 1}.bias", (c,), "bias")
        index += 3
    add("encoder.pre_encode.out.weight", (d, c * freq), "linear")
    add("encoder.pre_encode.out.bias", (d,), "bias")
    for i in range(enc["n_layers"]):
        p = f"encoder.layers.{i}."
        for ffn in ("feed_forward1", "feed_forward2"):
            add(p + f"norm_{ffn}.weight", (d,), "norm_weight")
            add(p + f"norm_{ffn}.bias", (d,), "bias")
            add(p + f"{ffn}.linear1.weight", (ff, d), "linear")
            if bias:
                add(p + f"{ffn}.linear1.bias", (ff,), "bias")
            add(p + f"{ffn}.linear2.weight", (d, ff), "residual_linear")
            if bias:
                add(p + f"{ffn}.linear2.bias", (d,), "bias")
        add(p + "norm_self_att.weight", (d,), "norm_weight")
        add(p + "norm_self_att.bias", (d,), "bias")
        for lin in ("linear_q", "linear_k", "linear_v", "linear_out"):
            add(p + f"self_attn.{lin}.weight", (d, d), "residual_linear" if lin == "linear_out" else "linear")
            if bias:
                add(p + f"self_attn.{lin}.bias", (d,), "bias")
        add(p + "self_attn.linear_pos.weight", (d, d), "linear")
        add(p + "self_attn.pos_bias_u", (h, d // h), "pos_bias")
        add(p + "self_attn.pos_bias_v", (h, d // h), "pos_bias")
        add(p + "norm_conv.weight", (d,), "norm_weight")
        add(p + "norm_conv.bias", (d,), "bias")
        add(p + "conv.pointwise_conv1.weight", (2 * d, 1, d), "conv")
        if bias:
            add(p + "conv.pointwise_conv1.bias", (2 * d,), "bias")
        add(p + "conv.depthwise_conv.weight", (d, k, 1), "conv")
        if bias:
            add(p + "conv.depthwise_conv.bias", (d,), "bias")
        add(p + "conv.batch_norm.weight", (d,), "norm_weight")
        add(p + "conv.batch_norm.bias", (d,), "bias")
        add(p + "conv.batch_norm.running_mean", (d,), "running_mean")
        add(p + "conv.batch_norm.running_var", (d,), "running_var")
        add(p + "conv.pointwise_conv2.weight", (d, 1, d), "residual_conv")
        if bias:
            add(p + "conv.pointwise_conv2.bias", (d,), "bias")
        add(p + "norm_out.weight", (d,), "norm_weight")
        add(p + "norm_out.bias", (d,), "bias")
    pred = dec["prednet"]["pred_hidden"]
    add("decoder.prediction.embed.weight", (dec["vocab_size"] + (1 if dec["blank_as_pad"] else 0), pred), "embed")
    for layer in range(dec["prednet"]["pred_rnn_layers"]):
        q = f"decoder.prediction.dec_rnn.lstm.{layer}."
        add(q + "Wx", (4 * pred, pred), "lstm")
        add(q + "Wh", (4 * pred, pred), "lstm")
        add(q + "bias", (4 * pred,), "lstm")
    jn = joint["jointnet"]
    add("joint.pred.weight", (jn["joint_hidden"], jn["pred_hidden"]), "linear")
    add("joint.pred.bias", (jn["joint_hidden"],), "bias")
    add("joint.enc.weight", (jn["joint_hidden"], jn["encoder_hidden"]), "linear")
    add("joint.enc.bias", (jn["joint_hidden"],), "bias")
    n_out = joint["num_classes"] + 1 + joint["num_extra_outputs"]
    add("joint.joint_net.2.weight", (n_out, jn["joint_hidden"]), "head")
    add("joint.joint_net.2.bias", (n_out,), "head_bias")
    if "aux_ctc" in cfg:  # parakeet-mlx's ConvASRDecoder: one kernel-1 Conv1d, MLX layout (out, 1, in)
        add("ctc_decoder.decoder_layers.0.weight", (joint["num_classes"] + 1, 1, d), "conv")
        add("ctc_decoder.decoder_layers.0.bias", (joint["num_classes"] + 1,), "bias")
    return out


# Logit offsets of the joint head (added to its bias): the blank's and each duration's. Chosen with `run` on held-out
# speech so that the tiny model emits a mix of tokens and blanks (not all blank) and every duration turns up.
HEAD_BLANK_OFFSET = {"tiny": 6.0, "tiny-v3": 6.0, "tiny-v3-multilingual": 6.0, "tiny-tdt-ctc": 6.0, "v2": 5.9, "v3": 7.4}
HEAD_DURATION_OFFSETS = {"tiny": [0.3, 0.8, -1.1, 1.2, 0.8], "tiny-v3": [0.3, 1.0, 1.0, 0.4, 0.5], "tiny-v3-multilingual": [0.3, 1.0, 1.0, 0.4, 0.5], "tiny-tdt-ctc": [0.3, 0.8, -1.1, 1.2, 0.8], "v2": [-0.8, 1.6, 2.2, -1.7, -6.6], "v3": [4.2, -1.8, 1.1, 2.1, -2.1]}


def random_tensor(seed, name, shape, kind, cfg, config_name):
    rng = tensor_rng(seed, name)
    # The last layer of each residual branch is scaled by min(1, sqrt(2 / n_layers)): in a deep random encoder
    # unscaled branches swamp the input-dependent part of the residual stream, and every frame's output ends up
    # alike (then the decoder emits one token or only blanks everywhere). tiny (2 layers) is unaffected.
    branch = np.float32(min(1.0, math.sqrt(2.0 / cfg["encoder"]["n_layers"])))
    if kind in ("conv", "residual_conv"):
        # MLX layout: (out, *kernel, in / groups): fan-in is everything but the first axis
        fan_in = int(np.prod(shape[1:]))
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(fan_in))
        return w * branch if kind == "residual_conv" else w
    if kind in ("linear", "residual_linear"):
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(shape[1]))
        return w * branch if kind == "residual_linear" else w
    if kind == "bias":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
    if kind == "norm_weight":
        return 1.0 + rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05)
    if kind == "pos_bias":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
    if kind == "running_mean":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
    if kind == "running_var":
        return (0.5 + rng.random(shape, dtype=np.float32)).astype(np.float32)
    if kind == "embed":
        w = rng.standard_normal(shape, dtype=np.float32)
        w[cfg["decoder"]["vocab_size"]] = 0.0  # the blank row: NeMo's padding_idx (blank_as_pad) keeps it zero
        return w
    if kind == "lstm":
        bound = 1.0 / math.sqrt(cfg["decoder"]["prednet"]["pred_hidden"])
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)
    if kind == "head":
        # spread logits over a few units so that greedy decisions have clear winners; rows of zero mean, since the
        # joint's ReLU output is positive on average and a row's sum would otherwise favour one token everywhere
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(3.0 / math.sqrt(shape[1]))
        return w - w.mean(axis=1, keepdims=True)
    if kind == "head_bias":
        b = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        n_tokens = cfg["joint"]["num_classes"]
        b[n_tokens] += np.float32(HEAD_BLANK_OFFSET[config_name])
        for i, offset in enumerate(HEAD_DURATION_OFFSETS[config_name][: cfg["joint"]["num_extra_outputs"]]):
            b[n_tokens + 1 + i] += np.float32(offset)
        return b
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------------------------------
# safetensors (numpy only)

ST_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}
DTYPE_NAMES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}


def to_storage(values, dtype):
    values = np.asarray(values, dtype=np.float32)
    if dtype == "F32":
        return values.astype("<f4")
    if dtype == "F16":
        return values.astype("<f2")
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return rounded.astype("<u2")


def from_storage(data, dtype):
    if dtype == "BF16":
        return (data.astype(np.uint32) << 16).view(np.float32)
    return data.astype(np.float32)


def write_safetensors_streaming(path, entries, make, dtype):
    """entries: [(name, shape, kind)]; make(name, shape, kind) -> float32 array, called once per tensor in order."""
    item = ST_DTYPES[dtype].itemsize
    header, offset = {}, 0
    for name, shape, _ in entries:
        size = int(np.prod(shape)) * item
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"format": "mlx"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape, kind in entries:
            values = make(name, shape, kind)
            assert values.shape == tuple(shape), (name, values.shape, shape)
            f.write(to_storage(values, dtype).tobytes())


def read_safetensors(path):
    """{name: float32 numpy array} (F32, F16 and BF16), memory-mapped where the file is float32."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    base = 8 + n
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in ST_DTYPES:
            raise SystemExit(f"{path}: tensor {name}: dtype {info['dtype']} not handled (F32, F16, BF16)")
        start, end = info["data_offsets"]
        data = mm[base + start : base + end].view(ST_DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = from_storage(data, info["dtype"])
    return out


# ---------------------------------------------------------------------------------------------------------------------
# make-model


def make_model(args):
    cfg = nemo_config(args.config)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
        f.write("\n")
    entries = mlx_shapes(cfg)
    write_safetensors_streaming(
        os.path.join(args.out, "model.safetensors"),
        entries,
        lambda name, shape, kind: random_tensor(args.seed, name, shape, kind, cfg, args.config),
        DTYPE_NAMES[args.dtype],
    )
    params = sum(int(np.prod(s)) for _, s, _ in entries)
    print(f"{args.out}: {args.config}, {len(entries)} tensors, {params} parameters, {args.dtype}")


# ---------------------------------------------------------------------------------------------------------------------
# convert: parakeet-mlx layout -> transformers ParakeetForTDT

# transformers' convert_nemo_to_hf.py (models/parakeet, NEMO_TO_HF_WEIGHT_MAPPING + its RNN-T/TDT mapping), applied in
# order to NeMo names; parakeet-mlx keeps NeMo's names but for the LSTM (lstm.L.Wx / Wh / bias) and the layouts.
NEMO_TO_HF = [
    (r"encoder\.pre_encode\.conv\.", r"encoder.subsampling.layers."),
    (r"encoder\.pre_encode\.out\.", r"encoder.subsampling.linear."),
    (r"encoder\.pos_enc\.", r"encoder.encode_positions."),
    (r"encoder\.layers\.(\d+)\.conv\.batch_norm\.", r"encoder.layers.\1.conv.norm."),
    (r"linear_([kv])", r"\1_proj"),
    (r"linear_out", r"o_proj"),
    (r"linear_q", r"q_proj"),
    (r"pos_bias_([uv])", r"bias_\1"),
    (r"linear_pos", r"relative_k_proj"),
    (r"decoder\.prediction\.embed\.", r"decoder.embedding."),
    (r"decoder\.prediction\.dec_rnn\.lstm\.", r"decoder.lstm."),
    (r"joint\.enc\.", r"encoder_projector."),
    (r"joint\.pred\.", r"decoder.decoder_projector."),
    (r"joint\.joint_net\.2\.", r"joint.head."),
]


def nemo_to_hf_name(name):
    import re

    for pattern, replacement in NEMO_TO_HF:
        name = re.sub(pattern, replacement, name)
    return name


def mlx_to_nemo(name, value):
    """[(NeMo name, PyTorch-layout float32 array)] for one parakeet-mlx tensor."""
    import re

    m = re.fullmatch(r"decoder\.prediction\.dec_rnn\.lstm\.(\d+)\.(Wx|Wh|bias)", name)
    if m:
        layer, part = m.groups()
        base = f"decoder.prediction.dec_rnn.lstm."
        if part == "Wx":
            return [(base + f"weight_ih_l{layer}", value)]
        if part == "Wh":
            return [(base + f"weight_hh_l{layer}", value)]
        # MLX's LSTM has one bias; PyTorch adds b_ih and b_hh
        return [(base + f"bias_ih_l{layer}", value), (base + f"bias_hh_l{layer}", np.zeros_like(value))]
    if value.ndim == 4:  # Conv2d: MLX (out, kh, kw, in) -> PyTorch (out, in, kh, kw)
        value = value.transpose(0, 3, 1, 2)
    elif value.ndim == 3:  # Conv1d: MLX (out, k, in) -> PyTorch (out, in, k)
        value = value.transpose(0, 2, 1)
    return [(name, value)]


def hf_config(cfg):
    """transformers' ParakeetTDTConfig kwargs for a NeMo config (the mapping of transformers' NeMo conversion)."""
    enc, dec, joint = cfg["encoder"], cfg["decoder"], cfg["joint"]
    jn = joint["jointnet"]
    if not (dec["prednet"]["pred_hidden"] == jn["pred_hidden"] == jn["joint_hidden"]):
        raise SystemExit("transformers' ParakeetForTDT needs pred_hidden == joint_hidden")
    if enc["self_attention_model"] != "rel_pos" or enc["subsampling"] != "dw_striding":
        raise SystemExit("only rel_pos attention with dw_striding subsampling is converted")
    durations = cfg["model_defaults"]["tdt_durations"]
    if list(durations) != list(range(len(durations))):
        # ParakeetTDTGenerationMixin advances by the duration head's argmax index, not by durations[index]
        print("warning: durations are not 0..n-1: transformers' generate() would advance by indices", file=sys.stderr)
    vocabulary = joint["vocabulary"]
    encoder_config = {
        "hidden_size": enc["d_model"],
        "num_hidden_layers": enc["n_layers"],
        "num_attention_heads": enc["n_heads"],
        "intermediate_size": enc["d_model"] * enc["ff_expansion_factor"],
        "hidden_act": "silu",
        "attention_bias": enc.get("use_bias", True),
        "convolution_bias": enc.get("use_bias", True),
        "conv_kernel_size": enc["conv_kernel_size"],
        "subsampling_factor": enc["subsampling_factor"],
        "subsampling_conv_channels": enc["subsampling_conv_channels"],
        "num_mel_bins": enc["feat_in"],
        "max_position_embeddings": enc["pos_emb_max_len"],
        "scale_input": enc.get("xscaling", True),
        "dropout": 0.0,
        "dropout_positions": 0.0,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "layerdrop": 0.0,
    }
    blank = len(vocabulary)
    return {
        "vocab_size": blank + 1,
        "decoder_hidden_size": dec["prednet"]["pred_hidden"],
        "num_decoder_layers": dec["prednet"]["pred_rnn_layers"],
        "hidden_act": jn["activation"],
        "max_symbols_per_step": (cfg.get("decoding", {}).get("greedy") or {}).get("max_symbols", 10),
        "durations": list(durations),
        "encoder_config": encoder_config,
        "pad_token_id": vocabulary.index("<pad>") if "<pad>" in vocabulary else 0,
        "blank_token_id": blank,
        "decoder_start_token_id": blank,
        "bos_token_id": blank,
    }


def convert(folder):
    """(ParakeetForTDT in eval mode, its config kwargs, [(mlx name, hf name)]) for a parakeet-mlx folder."""
    import torch
    from transformers import ParakeetForTDT, ParakeetTDTConfig

    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    kwargs = hf_config(cfg)
    weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    state, mapping = {}, []
    for name, value in weights.items():
        if name.startswith("ctc_decoder."):  # a hybrid's auxiliary CTC head: not part of ParakeetForTDT, never decoded
            continue
        for nemo_name, array in mlx_to_nemo(name, value):
            hf_name = nemo_to_hf_name(nemo_name)
            mapping.append((name, hf_name))
            state[hf_name] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    # PyTorch's BatchNorm counts batches; MLX's has no such buffer
    for name in list(state):
        if name.endswith(".conv.norm.running_var"):
            state[name[: -len("running_var")] + "num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    config = ParakeetTDTConfig(**kwargs)
    model = ParakeetForTDT(config)
    model.load_state_dict(state, strict=True)  # raises on any missing or unexpected key, or a shape mismatch
    model.eval()
    return model, kwargs, cfg, mapping


def convert_cmd(args):
    model, kwargs, _, mapping = convert(args.model)
    n = sum(p.numel() for p in model.parameters())
    print(f"strict load: {len(mapping)} tensors -> ParakeetForTDT ({n} parameters), no missing or unexpected keys")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"config": kwargs, "mapping": mapping}, f, indent=1, ensure_ascii=False)
    else:
        for a, b in mapping:
            if a != b:
                print(f"  {a} -> {b}")


# ---------------------------------------------------------------------------------------------------------------------
# run


def piece_text(tokens, vocabulary):
    out = bytearray()
    for t in tokens:
        piece = vocabulary[t]
        if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            out += bytes([int(piece[3:5], 16)])
        else:
            out += piece.replace("▁", " ").encode()
    return out.decode("utf-8", errors="replace")


def checksum(array):
    a = np.asarray(array, dtype=np.float64)
    return {"sum": float(a.sum()), "sum_squares": float((a * a).sum()), "max_abs": float(np.abs(a).max())}


def greedy_loop(model, projected, length, durations, blank, max_symbols, max_steps=None, suppressed=()):
    """Greedy TDT as NeMo's GreedyTDTInfer and parakeet-mlx's decode_greedy: at frame t the joint of the encoder frame
    and the prediction network's output for the last emitted token (the blank, whose embedding row is zero, before the
    first) gives a token (argmax over tokens + blank) and a duration (argmax over the duration logits). A token is
    emitted and fed to the LSTM; t advances by the duration. A blank with duration 0 is made 1, as transformers does
    (parakeet-mlx would instead re-evaluate the same frame until max_symbols: the same result, the state being
    unchanged). After max_symbols decisions at one frame (durations 0), t advances by one. `suppressed` token ids (a
    language lock) have their logits set to -inf before the argmax."""
    import torch

    V = blank + 1
    steps, tokens, frames, token_durations = [], [], [], []
    hidden = None
    last = torch.tensor([[blank]])
    dec_out = None
    t, symbols = 0, 0
    with torch.no_grad():
        while t < length and (max_steps is None or len(steps) < max_steps):
            if dec_out is None:
                emb = model.decoder.embedding(last)
                lstm_out, hidden_new = model.decoder.lstm(emb, hidden)
                dec_out = model.decoder.decoder_projector(lstm_out)[0, 0]
            logits = model.joint(decoder_hidden_states=dec_out, encoder_hidden_states=projected[t])
            tok_logits, dur_logits = logits[:V].clone(), logits[V:]
            tok_logits[list(suppressed)] = -float("inf")
            token = int(torch.argmax(tok_logits))
            d_index = int(torch.argmax(dur_logits))
            top_t = torch.topk(tok_logits, 2).values
            top_d = torch.topk(dur_logits, 2).values if dur_logits.numel() > 1 else None
            step = {
                "frame": t,
                "token": token,
                "duration_index": d_index,
                "token_margin": float(top_t[0] - top_t[1]),
                "duration_margin": float(top_d[0] - top_d[1]) if top_d is not None else 1e30,
            }
            step["duration_logit_above_tokens"] = bool(dur_logits.max() > tok_logits.max())
            steps.append(step)
            duration = durations[d_index]
            if token != blank:
                tokens.append(token)
                frames.append(t)
                token_durations.append(duration)
                hidden = hidden_new
                last = torch.tensor([[token]])
                dec_out = None
            elif duration == 0:
                duration = 1
            symbols += 1
            if duration > 0:
                symbols = 0
            elif max_symbols is not None and symbols >= max_symbols:
                duration = 1
                symbols = 0
            t += duration
    return {
        "tokens": tokens,
        "frames": frames,
        "durations": token_durations,
        "steps": steps,
        "min_token_margin": min((s["token_margin"] for s in steps), default=None),
        "min_duration_margin": min((s["duration_margin"] for s in steps), default=None),
    }


def run(args):
    import torch
    from transformers import ParakeetFeatureExtractor

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model, kwargs, cfg, _ = convert(args.model)
    pre = cfg["preprocessor"]
    sr = pre["sample_rate"]
    fe = ParakeetFeatureExtractor(
        feature_size=pre["features"],
        sampling_rate=sr,
        hop_length=int(pre["window_stride"] * sr),
        n_fft=pre["n_fft"],
        win_length=int(pre["window_size"] * sr),
        preemphasis=pre.get("preemph", 0.97),
        padding_value=pre.get("pad_value", 0.0),
    )
    audio = read_wav(args.audio)
    inputs = fe(audio, sampling_rate=sr, return_tensors="pt", return_attention_mask=True)
    feats = inputs["input_features"]
    mask = inputs["attention_mask"]
    result = {"model": os.path.abspath(args.model), "audio": os.path.abspath(args.audio), "samples": int(audio.size)}
    f = feats[0].numpy()
    result["features"] = {
        "shape": list(f.shape),
        "valid_frames": int(mask.sum()),
        "checksum": checksum(f),
        "rows": {str(i): f[i].tolist() for i in sorted({0, 1, f.shape[0] - 2, f.shape[0] - 1})},
    }
    if args.features_data:
        result["features"]["data"] = f.reshape(-1).tolist()
    with torch.no_grad():
        enc = model.get_audio_features(input_features=feats, attention_mask=mask)
    e = enc.last_hidden_state[0].numpy()
    length = int(enc.attention_mask.sum()) if enc.attention_mask is not None else e.shape[0]
    if args.encoder_rows == "all":
        rows = range(e.shape[0])
    else:
        n = int(args.encoder_rows)
        rows = sorted(set(list(range(min(n, e.shape[0]))) + [e.shape[0] - 1]))
    result["encoder"] = {
        "shape": list(e.shape),
        "valid_frames": length,
        "checksum": checksum(e),
        "rows": {str(i): e[i].tolist() for i in rows},
    }
    blank = kwargs["blank_token_id"]
    durations = kwargs["durations"]
    vocabulary = cfg["joint"]["vocabulary"]
    suppressed = sorted(vocabulary.index(piece) for piece in json.loads(args.suppress_pieces or "[]"))
    greedy = greedy_loop(
        model, enc.pooler_output[0], length, durations, blank, kwargs["max_symbols_per_step"], suppressed=suppressed
    )
    if suppressed:
        result["suppressed"] = suppressed
    result["greedy"] = greedy
    result["text"] = piece_text(greedy["tokens"], vocabulary)
    if not args.no_generate:
        from transformers import LogitsProcessor, LogitsProcessorList

        class TokenSliceOnly(LogitsProcessor):
            """generate()'s _sample takes the argmax over all joint outputs, the duration logits included, while
            ParakeetTDTGenerationMixin advances frames by the token slice's argmax: a duration logit above every
            token logit would append an id past the vocabulary (transformers 5.18). Keep token selection to the
            token slice, which is what the mixin and NeMo decode by; the durations still come from the raw logits."""

            def __call__(self, input_ids, scores):
                scores = scores.clone()
                scores[:, blank + 1 :] = -float("inf")
                scores[:, suppressed] = -float("inf")  # the language lock's pieces, as greedy_loop masks them
                return scores

        max_new_tokens = kwargs["max_symbols_per_step"] * max(1, length) + 1
        with torch.no_grad():
            out = model.generate(
                input_features=feats,
                attention_mask=mask,
                logits_processor=LogitsProcessorList([TokenSliceOnly()]),
                max_new_tokens=max_new_tokens,
            )
        seq = out.sequences[0].tolist()
        dur = out.durations[0].tolist()
        g_tokens, g_frames, g_durations = [], [], []
        frame = 0
        for tok, d in zip(seq[1:], dur[1:]):  # the first is generate()'s decoder start token, duration 0
            if tok != blank:
                g_tokens.append(tok)
                g_frames.append(frame)
                g_durations.append(durations[d] if d < len(durations) else d)
            frame += d
        result["generate"] = {
            "sequences": seq,
            "durations": dur,
            "tokens": g_tokens,
            "token_frames": g_frames,
            "token_durations": g_durations,
        }
        greedy["equals_generate"] = g_tokens == greedy["tokens"] and g_frames == greedy["frames"]
        # the same loop without the max_symbols rule, for as many steps as generate() was allowed, must reproduce
        # generate() exactly: a check of this loop's reading of transformers' decoding
        uncapped = greedy_loop(
            model, enc.pooler_output[0], length, durations, blank, None, max_new_tokens, suppressed=suppressed
        )
        result["uncapped_equals_generate"] = (
            uncapped["tokens"] == g_tokens
            and uncapped["frames"] == g_frames
            and [s["token"] for s in uncapped["steps"]] == seq[1:]
        )
    stats = {
        "tokens": len(greedy["tokens"]),
        "steps": len(greedy["steps"]),
        "blank_steps": sum(1 for s in greedy["steps"] if s["token"] == blank),
        "duration_logit_above_tokens": sum(1 for s in greedy["steps"] if s["duration_logit_above_tokens"]),
        "duration_histogram": [sum(1 for s in greedy["steps"] if s["duration_index"] == i) for i in range(len(durations))],
    }
    result["stats"] = stats
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False)
    print(
        f"{args.audio}: features {f.shape}, encoder {e.shape}, {stats['tokens']} tokens in {stats['steps']} steps "
        f"({stats['blank_steps']} blank), durations {stats['duration_histogram']}, "
        f"min margins {greedy['min_token_margin']:.4g} / {greedy['min_duration_margin']:.4g}"
        + (
            f", generate() equal: {greedy['equals_generate']} (uncapped loop equal: {result['uncapped_equals_generate']})"
            if not args.no_generate
            else ""
        )
    )


# ---------------------------------------------------------------------------------------------------------------------
# crosscheck: a second implementation, numpy in float64, reading the parakeet-mlx layout directly


class MlxLayoutParakeet:
    """parakeet-mlx's ParakeetTDT forward (parakeet_mlx/conformer.py, attention.py, rnnt.py, parakeet.py at 0.5.1),
    written again in numpy float64 on the MLX-layout tensors as stored: channels-last convolutions, the MLX LSTM with
    its single bias, the rel_shift by reshapes as parakeet-mlx does it. Features are NeMo's / transformers' (not
    parakeet-mlx's own get_logmel, which differs: see native/PARAKEET.md), computed here from the formulas."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            self.cfg = json.load(f)
        self.w = {k: v.astype(np.float64) for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}

    # --- features (NeMo AudioToMelSpectrogramPreprocessor at inference = transformers' ParakeetFeatureExtractor)
    def features(self, audio):
        import librosa

        pre = self.cfg["preprocessor"]
        sr, n_fft = pre["sample_rate"], pre["n_fft"]
        hop, win = int(pre["window_stride"] * sr), int(pre["window_size"] * sr)
        x = np.asarray(audio, dtype=np.float64)
        x = np.concatenate([x[:1], x[1:] - 0.97 * x[:-1]])
        n = np.arange(win)
        window = 0.5 - 0.5 * np.cos(2 * np.pi * n / (win - 1))  # symmetric Hann (periodic=False)
        w512 = np.zeros(n_fft)
        w512[(n_fft - win) // 2 : (n_fft - win) // 2 + win] = window  # centred in the FFT frame, as torch.stft
        xp = np.pad(x, (n_fft // 2, n_fft // 2))  # center=True, zeros
        frames = 1 + x.size // hop
        idx = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]
        spec = np.fft.rfft(xp[idx] * w512, axis=1)
        power = spec.real**2 + spec.imag**2
        fb = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=pre["features"], fmin=0.0, fmax=sr / 2, norm="slaney")
        mel = np.log(power @ fb.astype(np.float32).astype(np.float64).T + 2.0**-24)
        valid = x.size // hop
        mean = mel[:valid].mean(axis=0)
        std = np.sqrt(((mel[:valid] - mean) ** 2).sum(axis=0) / (valid - 1))
        out = (mel - mean) / (std + 1e-5)
        out[valid:] = 0.0
        return out, valid

    # --- encoder
    @staticmethod
    def layer_norm(x, w, b, eps=1e-5):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w + b

    def linear(self, x, name):
        y = x @ self.w[name + ".weight"].T
        if name + ".bias" in self.w:
            y = y + self.w[name + ".bias"]
        return y

    def conv2d(self, x, name, stride, pad, groups):
        """x (T, F, Cin) channels-last; MLX weight (Cout, kh, kw, Cin / groups)."""
        wt, b = self.w[name + ".weight"], self.w[name + ".bias"]
        cout, kh, kw, _ = wt.shape
        xp = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
        to = (x.shape[0] + 2 * pad - kh) // stride + 1
        fo = (x.shape[1] + 2 * pad - kw) // stride + 1
        out = np.zeros((to, fo, cout))
        for i in range(kh):
            for j in range(kw):
                patch = xp[i : i + stride * (to - 1) + 1 : stride, j : j + stride * (fo - 1) + 1 : stride, :]
                if groups == 1:
                    out += patch @ wt[:, i, j, :].T
                else:  # depthwise
                    out += patch * wt[:, i, j, 0]
        return out + b

    def encoder(self, feats):
        enc = self.cfg["encoder"]
        d, h = enc["d_model"], enc["n_heads"]
        dh = d // h
        x = feats[:, :, None]  # (T, F, 1): conv_forward's (B, T, F, 1)
        names = sorted({k.split(".")[3] for k in self.w if k.startswith("encoder.pre_encode.conv.")}, key=int)
        x = np.maximum(self.conv2d(x, f"encoder.pre_encode.conv.{names[0]}", 2, 1, 1), 0)
        for a, b in zip(names[1::2], names[2::2]):
            x = self.conv2d(x, f"encoder.pre_encode.conv.{a}", 2, 1, "depthwise")
            x = np.maximum(self.conv2d(x, f"encoder.pre_encode.conv.{b}", 1, 0, 1), 0)
        t = x.shape[0]
        x = x.transpose(0, 2, 1).reshape(t, -1)  # (T, C, F) flattened: channel-major, as (B, T, C, F) reshaped
        x = self.linear(x, "encoder.pre_encode.out")
        if enc.get("xscaling", False):
            x = x * math.sqrt(d)
        positions = np.arange(t - 1, -t, -1, dtype=np.float64)[:, None]
        div = np.exp(np.arange(0, d, 2, dtype=np.float64) * -(math.log(10000.0) / d))
        pe = np.zeros((2 * t - 1, d))
        pe[:, 0::2] = np.sin(positions * div)
        pe[:, 1::2] = np.cos(positions * div)
        for i in range(enc["n_layers"]):
            p = f"encoder.layers.{i}."
            ln = lambda y, n: self.layer_norm(y, self.w[p + n + ".weight"], self.w[p + n + ".bias"])
            ff = lambda y, n: self.linear(silu(self.linear(y, p + n + ".linear1")), p + n + ".linear2")
            x = x + 0.5 * ff(ln(x, "norm_feed_forward1"), "feed_forward1")
            y = ln(x, "norm_self_att")
            q = self.linear(y, p + "self_attn.linear_q").reshape(t, h, dh)
            k = self.linear(y, p + "self_attn.linear_k").reshape(t, h, dh).transpose(1, 0, 2)
            v = self.linear(y, p + "self_attn.linear_v").reshape(t, h, dh).transpose(1, 0, 2)
            pos = (pe @ self.w[p + "self_attn.linear_pos.weight"].T).reshape(2 * t - 1, h, dh).transpose(1, 0, 2)
            q_u = (q + self.w[p + "self_attn.pos_bias_u"]).transpose(1, 0, 2)
            q_v = (q + self.w[p + "self_attn.pos_bias_v"]).transpose(1, 0, 2)
            bd = q_v @ pos.transpose(0, 2, 1)  # (H, T, 2T - 1)
            bd = np.pad(bd, ((0, 0), (0, 0), (1, 0))).reshape(h, 2 * t, t)[:, 1:, :].reshape(h, t, 2 * t - 1)
            bd = bd[:, :, :t] / math.sqrt(dh)
            scores = q_u @ k.transpose(0, 2, 1) / math.sqrt(dh) + bd
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            att = (scores / scores.sum(-1, keepdims=True)) @ v
            x = x + self.linear(att.transpose(1, 0, 2).reshape(t, d), p + "self_attn.linear_out")
            y = ln(x, "norm_conv")
            w1 = self.w[p + "conv.pointwise_conv1.weight"][:, 0, :]
            y = y @ w1.T + self.w.get(p + "conv.pointwise_conv1.bias", 0.0)
            y = y[:, :d] * sigmoid(y[:, d:])  # GLU: first half gated by the second
            kd = self.w[p + "conv.depthwise_conv.weight"]  # (d, K, 1)
            kk = kd.shape[1]
            yp = np.pad(y, (((kk - 1) // 2, (kk - 1) // 2), (0, 0)))
            y = sum(yp[j : j + t] * kd[:, j, 0] for j in range(kk)) + self.w.get(p + "conv.depthwise_conv.bias", 0.0)
            bn = p + "conv.batch_norm."
            y = (y - self.w[bn + "running_mean"]) / np.sqrt(self.w[bn + "running_var"] + 1e-5)
            y = y * self.w[bn + "weight"] + self.w[bn + "bias"]
            y = silu(y)
            w2 = self.w[p + "conv.pointwise_conv2.weight"][:, 0, :]
            x = x + y @ w2.T + self.w.get(p + "conv.pointwise_conv2.bias", 0.0)
            x = x + 0.5 * ff(ln(x, "norm_feed_forward2"), "feed_forward2")
            x = ln(x, "norm_out")
        return x

    # --- decoder (parakeet-mlx decode_greedy)
    def lstm_step(self, x, state):
        layers = self.cfg["decoder"]["prednet"]["pred_rnn_layers"]
        hsz = self.cfg["decoder"]["prednet"]["pred_hidden"]
        if state is None:
            state = [(np.zeros(hsz), np.zeros(hsz)) for _ in range(layers)]
        new = []
        for layer in range(layers):
            q = f"decoder.prediction.dec_rnn.lstm.{layer}."
            hh, cc = state[layer]
            g = x @ self.w[q + "Wx"].T + self.w[q + "bias"] + hh @ self.w[q + "Wh"].T
            i, f, gg, o = np.split(g, 4)
            cc = sigmoid(f) * cc + sigmoid(i) * np.tanh(gg)
            hh = sigmoid(o) * np.tanh(cc)
            new.append((hh, cc))
            x = hh
        return x, new

    def greedy(self, enc_out):
        vocab = self.cfg["joint"]["vocabulary"]
        durations = self.cfg["decoding"]["durations"]
        max_symbols = (self.cfg["decoding"].get("greedy") or {}).get("max_symbols")
        blank = len(vocab)
        enc_proj = self.linear(enc_out, "joint.enc")
        hsz = self.cfg["decoder"]["prednet"]["pred_hidden"]
        last, state = None, None
        tokens, frames, token_durations = [], [], []
        step, new_symbols = 0, 0
        while step < enc_out.shape[0]:
            emb = np.zeros(hsz) if last is None else self.w["decoder.prediction.embed.weight"][last]
            dec, new_state = self.lstm_step(emb, state)
            logits = self.linear(np.maximum(enc_proj[step] + self.linear(dec, "joint.pred"), 0), "joint.joint_net.2")
            token = int(np.argmax(logits[: blank + 1]))
            decision = int(np.argmax(logits[blank + 1 :]))
            if token != blank:
                tokens.append(token)
                frames.append(step)
                token_durations.append(durations[decision])
                last, state = token, new_state
            step += durations[decision]
            new_symbols += 1
            if durations[decision] != 0:
                new_symbols = 0
            elif max_symbols is not None and max_symbols <= new_symbols:
                step += 1
                new_symbols = 0
        return tokens, frames, token_durations


def silu(x):
    return x / (1.0 + np.exp(-x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def crosscheck(args):
    """transformers (float32, converted weights) against the numpy float64 parakeet-mlx-layout implementation."""
    import torch
    from transformers import ParakeetFeatureExtractor

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model, kwargs, cfg, _ = convert(args.model)
    mine = MlxLayoutParakeet(args.model)
    fe = ParakeetFeatureExtractor(feature_size=cfg["preprocessor"]["features"])
    report = []
    for path in args.audio:
        audio = read_wav(path)
        inputs = fe(audio, sampling_rate=16000, return_tensors="pt", return_attention_mask=True)
        ref_feats = inputs["input_features"][0].numpy().astype(np.float64)
        my_feats, valid = mine.features(audio)
        with torch.no_grad():
            enc = model.get_audio_features(input_features=inputs["input_features"], attention_mask=inputs["attention_mask"])
        length = int(enc.attention_mask.sum())
        ref_enc = enc.last_hidden_state[0].numpy().astype(np.float64)[:length]
        # the second implementation runs on the valid feature frames only (transformers masks the rest): fed
        # transformers' own features to isolate the encoder, and its own features for the end-to-end tokens
        my_enc_ref_in = mine.encoder(ref_feats[:valid])
        my_enc = mine.encoder(my_feats[:valid])
        greedy = greedy_loop(
            model, enc.pooler_output[0], length, kwargs["durations"], kwargs["blank_token_id"], kwargs["max_symbols_per_step"]
        )
        tokens, frames, durs = mine.greedy(my_enc)
        row = {
            "audio": os.path.basename(path),
            "feature_frames": [int(ref_feats.shape[0]), valid],
            "features_max_abs_diff": float(np.abs(my_feats - ref_feats).max()),
            "encoder_frames": [int(my_enc.shape[0]), length],
            "encoder_max_abs_diff": float(np.abs(my_enc_ref_in - ref_enc).max()),
            "encoder_own_features_max_abs_diff": float(np.abs(my_enc - ref_enc).max()),
            "encoder_max_abs": float(np.abs(ref_enc).max()),
            "tokens": len(tokens),
            "tokens_equal": tokens == greedy["tokens"],
            "frames_equal": frames == greedy["frames"],
            "durations_equal": durs == greedy["durations"],
            "min_token_margin": greedy["min_token_margin"],
        }
        report.append(row)
        print(json.dumps(row))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    ok = all(r["tokens_equal"] and r["frames_equal"] and r["durations_equal"] for r in report)
    print("crosscheck:", "tokens, frames and durations equal on every file" if ok else "MISMATCH")
    if not ok:
        sys.exit(1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make-model")
    p.add_argument("--config", required=True, choices=["tiny", "tiny-v3", "tiny-v3-multilingual", "tiny-tdt-ctc", "v2", "v3"])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default="float32", choices=list(DTYPE_NAMES))
    p.set_defaults(func=make_model)
    p = sub.add_parser("convert")
    p.add_argument("model")
    p.add_argument("--out")
    p.set_defaults(func=convert_cmd)
    p = sub.add_parser("run")
    p.add_argument("model")
    p.add_argument("audio")
    p.add_argument("--out", required=True)
    p.add_argument("--encoder-rows", default="2")
    p.add_argument("--features-data", action="store_true")
    p.add_argument("--no-generate", action="store_true")
    p.add_argument("--suppress-pieces", help='a JSON list of pieces never emitted (a language lock), e.g. \'["ß", "ł"]\'')
    p.set_defaults(func=run)
    p = sub.add_parser("crosscheck")
    p.add_argument("model")
    p.add_argument("audio", nargs="+")
    p.add_argument("--out")
    p.set_defaults(func=crosscheck)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
