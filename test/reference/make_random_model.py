#!/usr/bin/python3
"""Writes a random-weight Whisper model folder in the exact mlx-community layout (or the HF-transformers one).

Layout (see native/WHISPER.md): config.json with the MLX dims keys and model_type, plus
weights.safetensors ("__metadata__": {"format": "mlx"}) or weights.npz (np.savez: stored `<name>.npy` members).
MLX names and layouts: conv weights (out, kernel, in), attention keys without bias, decoder.token_embedding.weight,
decoder.positional_embedding, no encoder positional embedding (computed at load), optionally alignment_heads
int64 (N, 2). With --quantize, every Linear (and the token embedding unless --no-quantize-embedding) is replaced
by MLX affine quantisation as mlx.nn.quantize does: `.weight` uint32 (out, in*bits/32), `.scales` and `.biases`
(out, in/group_size) in the source dtype, `.bias` kept; config.json gets "quantization": {group_size, bits}.
With --hf-names: model.safetensors with HF WhisperForConditionalGeneration names and config keys, PyTorch conv
layout (out, in, kernel), the encoder's sinusoidal embed_positions stored (as HF does), no proj_out (tied).

Weights are deterministic given --seed and the tensor's name (each tensor has its own generator), scaled so that
activations stay near unit size: Linear and conv weights N(0, 1/fan_in), biases N(0, 0.02^2), layer norm weights
1 + N(0, 0.05^2), token embedding N(0, 1/n_text_state), positional embedding N(0, 0.1^2).

Examples:
  make_random_model.py --dims tiny --out /tmp/tiny-f32
  make_random_model.py --dims tiny --dtype float16 --quantize 4 --group-size 64 --out /tmp/tiny-q4
  make_random_model.py --dims '{"n_mels": 80, ...all ten dims...}' --format npz --zip64 --out /tmp/custom
"""
import argparse
import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import whisper_files as wf  # noqa: E402

DIMS = {
    "tiny": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4, n_vocab=51865,
                 n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4),
    # tiny.en: the English-only vocabulary, whose tokenizer needs no download.
    "tiny.en": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4, n_vocab=51864,
                    n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4),
    "base": dict(n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8, n_audio_layer=6, n_vocab=51865,
                 n_text_ctx=448, n_text_state=512, n_text_head=8, n_text_layer=6),
    # large-v3-turbo's proportions (128 mels, v3 vocabulary, deep encoder, shallow decoder) at a small width.
    "turbo-shaped-small": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=256, n_audio_head=4, n_audio_layer=8,
                               n_vocab=51866, n_text_ctx=448, n_text_state=256, n_text_head=4, n_text_layer=2),
    "turbo": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=1280, n_audio_head=20, n_audio_layer=32,
                  n_vocab=51866, n_text_ctx=448, n_text_state=1280, n_text_head=20, n_text_layer=4),
}
DIM_KEYS = list(DIMS["tiny"])


def parse_dims(text):
    if text in DIMS:
        return dict(DIMS[text])
    source = text
    if os.path.isfile(text):
        with open(text) as f:
            source = f.read()
    try:
        dims = json.loads(source)
    except json.JSONDecodeError:
        raise SystemExit(f"--dims: expected one of {', '.join(DIMS)}, a JSON object or a JSON file, got {text!r}")
    missing = [k for k in DIM_KEYS if k not in dims]
    if missing:
        raise SystemExit(f"--dims: missing {', '.join(missing)}")
    dims = {k: int(dims[k]) for k in DIM_KEYS}
    for prefix in ("audio", "text"):
        if dims[f"n_{prefix}_state"] % dims[f"n_{prefix}_head"]:
            raise SystemExit(f"--dims: n_{prefix}_state must be a multiple of n_{prefix}_head")
    return dims


def tensor_specs(dims):
    """(MLX name, shape, kind) of every weight; kind picks the initialisation and whether it is quantizable."""
    a, t = dims["n_audio_state"], dims["n_text_state"]
    specs = [("encoder.conv1.weight", (a, 3, dims["n_mels"]), "conv"), ("encoder.conv1.bias", (a,), "bias"),
             ("encoder.conv2.weight", (a, 3, a), "conv"), ("encoder.conv2.bias", (a,), "bias")]

    def norm(name, n):
        specs.extend([(f"{name}.weight", (n,), "norm"), (f"{name}.bias", (n,), "bias")])

    def linear(name, out_features, in_features, bias=True):
        specs.append((f"{name}.weight", (out_features, in_features), "linear"))
        if bias:
            specs.append((f"{name}.bias", (out_features,), "bias"))

    def block(prefix, n, cross):
        for attention in ["attn"] + (["cross_attn"] if cross else []):
            for part in ("query", "key", "value", "out"):
                linear(f"{prefix}.{attention}.{part}", n, n, bias=part != "key")
            norm(f"{prefix}.{attention}_ln", n)
        linear(f"{prefix}.mlp1", 4 * n, n)
        linear(f"{prefix}.mlp2", n, 4 * n)
        norm(f"{prefix}.mlp_ln", n)

    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", a, cross=False)
    norm("encoder.ln_post", a)
    specs += [("decoder.token_embedding.weight", (dims["n_vocab"], t), "embedding"),
              ("decoder.positional_embedding", (dims["n_text_ctx"], t), "positional")]
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", t, cross=True)
    norm("decoder.ln", t)
    return specs


def random_values(seed, name, shape, kind):
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    normal = rng.standard_normal(shape, dtype=np.float32)
    if kind == "conv":  # (out, kernel, in)
        return normal / np.float32(np.sqrt(shape[1] * shape[2]))
    if kind == "linear":
        return normal / np.float32(np.sqrt(shape[1]))
    if kind == "embedding":
        return normal / np.float32(np.sqrt(shape[1]))
    if kind == "positional":
        return normal * np.float32(0.1)
    if kind == "norm":
        return np.float32(1) + normal * np.float32(0.05)
    return normal * np.float32(0.02)


def alignment_heads(dims, mode, seed):
    layers, heads = dims["n_text_layer"], dims["n_text_head"]
    if mode == "default":  # what mlx_whisper stores: every head of the upper half of the decoder layers
        mask = np.zeros((layers, heads), dtype=bool)
        mask[layers // 2:] = True
    else:
        rng = np.random.default_rng([seed, zlib.crc32(b"alignment_heads")])
        mask = rng.random((layers, heads)) < 0.25
        mask[rng.integers(layers), rng.integers(heads)] = True
    return np.argwhere(mask).astype(np.int64)


def build_mlx_tensors(dims, args):
    source = wf.SOURCE_DTYPES[args.dtype]
    tensors = {}
    for name, shape, kind in tensor_specs(dims):
        stored = wf.from_float32(random_values(args.seed, name, shape, kind), source)
        quantized = args.quantize and (kind == "linear" or (kind == "embedding" and args.quantize_embedding))
        if not quantized:
            tensors[name] = stored
            continue
        base = name[:-len(".weight")]
        words, scales, biases = wf.quantize(stored.to_float32(), args.quantize, args.group_size)
        tensors[name] = wf.Tensor("U32", words)
        tensors[f"{base}.scales"] = wf.from_float32(scales, source)
        tensors[f"{base}.biases"] = wf.from_float32(biases, source)
    if args.alignment_heads != "none":
        tensors["alignment_heads"] = wf.Tensor("I64", alignment_heads(dims, args.alignment_heads, args.seed))
    return tensors


def write_mlx(dims, args):
    tensors = build_mlx_tensors(dims, args)
    config = dict(dims, model_type="whisper")
    if args.quantize:
        config["quantization"] = {"group_size": args.group_size, "bits": args.quantize}
    if args.format == "safetensors":
        path = os.path.join(args.out, "weights.safetensors")
        wf.write_safetensors(path, tensors, {"format": "mlx"})
    else:
        path = os.path.join(args.out, "weights.npz")
        wf.write_npz(path, tensors, zip64=args.zip64)
    return config, path


def write_hf(dims, args):
    if dims["n_audio_state"] != dims["n_text_state"]:
        raise SystemExit("--hf-names: HF's config has one d_model, so n_audio_state must equal n_text_state")
    source = wf.SOURCE_DTYPES[args.dtype]
    tensors = {}
    for name, shape, kind in tensor_specs(dims):
        values = random_values(args.seed, name, shape, kind)
        if kind == "conv":
            values = np.ascontiguousarray(values.transpose(0, 2, 1))  # PyTorch (out, in, kernel)
        tensors[wf.mlx_to_hf_name(name)] = wf.from_float32(values, source)
        assert wf.hf_to_mlx_name(wf.mlx_to_hf_name(name)) == name, name
    positions = wf.sinusoids(dims["n_audio_ctx"], dims["n_audio_state"])
    tensors["model.encoder.embed_positions.weight"] = wf.from_float32(positions, source)
    path = os.path.join(args.out, "model.safetensors")
    wf.write_safetensors(path, tensors, {"format": "pt"})
    config = {"architectures": ["WhisperForConditionalGeneration"], "model_type": "whisper",
              "torch_dtype": args.dtype, "encoder_ffn_dim": 4 * dims["n_audio_state"],
              "decoder_ffn_dim": 4 * dims["n_text_state"]}
    config.update({wf.HF_CONFIG_KEYS[k]: v for k, v in dims.items()})
    return config, path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--dims", default="tiny", help=f"{' | '.join(DIMS)} | JSON object | JSON file")
    parser.add_argument("--dtype", choices=list(wf.SOURCE_DTYPES), default="float32")
    parser.add_argument("--quantize", type=int, choices=[2, 3, 4, 5, 6, 8], metavar="BITS")
    parser.add_argument("--group-size", type=int, choices=[32, 64, 128], default=64)
    parser.add_argument("--quantize-embedding", action=argparse.BooleanOptionalAction, default=True,
                        help="quantize decoder.token_embedding too (older 4-bit repos keep it unquantized)")
    parser.add_argument("--format", choices=["safetensors", "npz"], default="safetensors")
    parser.add_argument("--zip64", action="store_true", help="npz: zip64 extra fields and end records throughout")
    parser.add_argument("--hf-names", action="store_true", help="HF-transformers model.safetensors and config")
    parser.add_argument("--alignment-heads", choices=["default", "random", "none"], default="default",
                        help="store an alignment_heads tensor: mlx_whisper's default (upper half), random, or none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="model folder to create (existing files are replaced)")
    args = parser.parse_args()

    dims = parse_dims(args.dims)
    if args.zip64 and args.format != "npz":
        parser.error("--zip64 applies to --format npz")
    if args.hf_names and (args.quantize or args.format != "safetensors"):
        parser.error("--hf-names writes an unquantized model.safetensors")
    os.makedirs(args.out, exist_ok=True)
    config, path = write_hf(dims, args) if args.hf_names else write_mlx(dims, args)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) and config.json")


if __name__ == "__main__":
    main()
