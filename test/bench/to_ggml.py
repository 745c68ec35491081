#!/usr/bin/python3
"""Converts an mlx-community Whisper model folder into whisper.cpp's ggml model file.

The output is byte for byte what whisper.cpp's models/convert-pt-to-ggml.py writes for the same weights in
PyTorch form (ftype 1: matrices and conv kernels fp16; biases, norms and positional embeddings fp32), so that
the benchmark runs both engines on the same model. Quantized inputs (MLX affine) are dequantized first; make
whisper.cpp's own 4-bit model from the result with its `whisper-quantize` tool.

usage: to_ggml.py MODEL_FOLDER OUTPUT.bin
The mel filters and English vocabulary come from test/fixtures/reference, the multilingual vocabulary from the one
the daemon ships (daemon/assets/tokenizer).
"""

import argparse
import base64
import json
import struct
import sys
from pathlib import Path

import numpy as np

GGML_MAGIC = 0x67676D6C
HPARAM_ORDER = ("n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
                "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels")
ATTENTION_PARTS = (("query", True), ("key", False), ("value", True), ("out", True))
REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO / "test" / "fixtures" / "reference"
VOCABULARIES = {
    False: REFERENCE_DIR / "gpt2.tiktoken",
    True: REPO / "daemon" / "assets" / "tokenizer" / "multilingual.tiktoken",
}


class ConversionError(Exception):
    pass


def read_safetensors(path):
    """Returns {name: numpy array} for every tensor (BF16 widened to float32)."""
    data = path.read_bytes()
    if len(data) < 8:
        raise ConversionError(f"{path}: too short for a safetensors file")
    header_size = struct.unpack_from("<Q", data, 0)[0]
    if header_size > len(data) - 8:
        raise ConversionError(f"{path}: header length {header_size} runs past the end of the file")
    header = json.loads(data[8:8 + header_size])
    body = memoryview(data)[8 + header_size:]
    numpy_types = {"F32": np.float32, "F16": np.float16, "U32": np.uint32, "I64": np.int64, "BF16": np.uint16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in numpy_types:
            raise ConversionError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ConversionError(f"{path}: tensor {name} lies outside the file")
        array = np.frombuffer(body[begin:end], dtype=numpy_types[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array
    return tensors


def read_weights(folder):
    if (folder / "weights.safetensors").is_file():
        return read_safetensors(folder / "weights.safetensors")
    if (folder / "weights.npz").is_file():
        with np.load(folder / "weights.npz") as archive:
            return {name: archive[name] for name in archive.files}
    raise ConversionError(f"{folder}: no weights.safetensors or weights.npz (an mlx-community model folder)")


def unpack_mlx_affine(packed, cols, bits):
    """The integer codes of an MLX affine-quantized matrix: LSB-first, one little-endian bit stream per row."""
    rows = packed.shape[0]
    if 32 % bits == 0:
        shifts = np.arange(32 // bits, dtype=np.uint32) * bits
        codes = (packed[:, :, None] >> shifts) & np.uint32((1 << bits) - 1)
        return codes.reshape(rows, -1)[:, :cols]
    stream = np.unpackbits(packed.astype("<u4").view(np.uint8).reshape(rows, -1), axis=1, bitorder="little")
    stream = stream[:, :cols * bits].reshape(rows, cols, bits).astype(np.uint32)
    return (stream << np.arange(bits, dtype=np.uint32)).sum(axis=2)


def dense_weight(tensors, prefix, quantization):
    """The float32 weight of module `prefix` (dequantized when `prefix.scales` exists)."""
    weight = tensors[f"{prefix}.weight"]
    if f"{prefix}.scales" not in tensors:
        return weight.astype(np.float32)
    if quantization is None:
        raise ConversionError(f"{prefix} is quantized but config.json has no \"quantization\" entry")
    bits, group_size = quantization["bits"], quantization["group_size"]
    scales = tensors[f"{prefix}.scales"].astype(np.float32)
    biases = tensors[f"{prefix}.biases"].astype(np.float32)
    cols = scales.shape[1] * group_size
    codes = unpack_mlx_affine(weight, cols, bits).astype(np.float32)
    groups = codes.reshape(weight.shape[0], -1, group_size)
    return (groups * scales[:, :, None] + biases[:, :, None]).reshape(weight.shape[0], cols)


def sinusoids(length, channels):
    """Whisper's encoder positional embedding (not stored by MLX): sin in the first half, cos in the second."""
    increment = np.log(10000) / (channels // 2 - 1)
    inverse = np.exp(-increment * np.arange(channels // 2))
    scaled = np.arange(length)[:, None] * inverse[None, :]
    return np.concatenate([np.sin(scaled), np.cos(scaled)], axis=1).astype(np.float32)


def block_tensors(tensors, mlx_prefix, torch_prefix, quantization, cross_attention):
    """One residual block's tensors in PyTorch state_dict order, under whisper.cpp's (PyTorch) names."""
    attention_modules = [("attn", "attn", "attn_ln")]
    if cross_attention:
        attention_modules.append(("cross_attn", "cross_attn", "cross_attn_ln"))
    for mlx_name, torch_name, ln_name in attention_modules:
        for part, has_bias in ATTENTION_PARTS:
            source = f"{mlx_prefix}.{mlx_name}.{part}"
            yield f"{torch_prefix}.{torch_name}.{part}.weight", dense_weight(tensors, source, quantization)
            if has_bias:
                yield f"{torch_prefix}.{torch_name}.{part}.bias", tensors[f"{source}.bias"]
        yield f"{torch_prefix}.{ln_name}.weight", tensors[f"{mlx_prefix}.{ln_name}.weight"]
        yield f"{torch_prefix}.{ln_name}.bias", tensors[f"{mlx_prefix}.{ln_name}.bias"]
    for mlx_name, torch_name in (("mlp1", "mlp.0"), ("mlp2", "mlp.2")):
        yield f"{torch_prefix}.{torch_name}.weight", dense_weight(tensors, f"{mlx_prefix}.{mlx_name}", quantization)
        yield f"{torch_prefix}.{torch_name}.bias", tensors[f"{mlx_prefix}.{mlx_name}.bias"]
    yield f"{torch_prefix}.mlp_ln.weight", tensors[f"{mlx_prefix}.mlp_ln.weight"]
    yield f"{torch_prefix}.mlp_ln.bias", tensors[f"{mlx_prefix}.mlp_ln.bias"]


def torch_state_dict(tensors, dims, quantization):
    """Yields (name, array) in the order of openai/whisper's model_state_dict."""
    yield "encoder.positional_embedding", sinusoids(dims["n_audio_ctx"], dims["n_audio_state"])
    for conv in ("conv1", "conv2"):
        # MLX keeps conv kernels as (out, kernel, in); PyTorch as (out, in, kernel).
        yield f"encoder.{conv}.weight", tensors[f"encoder.{conv}.weight"].transpose(0, 2, 1)
        yield f"encoder.{conv}.bias", tensors[f"encoder.{conv}.bias"]
    for i in range(dims["n_audio_layer"]):
        yield from block_tensors(tensors, f"encoder.blocks.{i}", f"encoder.blocks.{i}", quantization, False)
    yield "encoder.ln_post.weight", tensors["encoder.ln_post.weight"]
    yield "encoder.ln_post.bias", tensors["encoder.ln_post.bias"]
    yield "decoder.positional_embedding", tensors["decoder.positional_embedding"]
    yield "decoder.token_embedding.weight", dense_weight(tensors, "decoder.token_embedding", quantization)
    for i in range(dims["n_text_layer"]):
        yield from block_tensors(tensors, f"decoder.blocks.{i}", f"decoder.blocks.{i}", quantization, True)
    yield "decoder.ln.weight", tensors["decoder.ln.weight"]
    yield "decoder.ln.bias", tensors["decoder.ln.bias"]


def read_vocabulary(path):
    """The BPE tokens of a .tiktoken file (base64 token, rank per line) in file order, as bytes."""
    tokens = []
    for line in path.read_bytes().splitlines():
        if line:
            tokens.append(base64.b64decode(line.split()[0]))
    return tokens


def write_tensor(out, name, data):
    data = np.squeeze(data)
    if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
        data = data.reshape(data.shape[0], 1)
    keep_f32 = data.ndim < 2 or name in ("encoder.conv1.bias", "encoder.conv2.bias",
                                         "encoder.positional_embedding", "decoder.positional_embedding")
    data = np.ascontiguousarray(data, dtype=np.float32 if keep_f32 else np.float16)
    encoded_name = name.encode("utf-8")
    out.write(struct.pack("iii", data.ndim, len(encoded_name), 0 if keep_f32 else 1))
    for size in reversed(data.shape):
        out.write(struct.pack("i", size))
    out.write(encoded_name)
    data.tofile(out)


def convert(folder, output):
    config = json.loads((folder / "config.json").read_text())
    missing = [key for key in HPARAM_ORDER if key not in config]
    if missing:
        raise ConversionError(f"{folder / 'config.json'}: missing {', '.join(missing)} (MLX Whisper keys expected)")
    dims = {key: int(config[key]) for key in HPARAM_ORDER}
    tensors = read_weights(folder)
    multilingual = dims["n_vocab"] >= 51865
    vocabulary = read_vocabulary(VOCABULARIES[multilingual])
    with np.load(REFERENCE_DIR / "mel_filters.npz") as filters_file:
        filters = filters_file[f"mel_{dims['n_mels']}"].astype(np.float32)

    partial = output.with_name(output.name + ".partial")
    with open(partial, "wb") as out:
        out.write(struct.pack("i", GGML_MAGIC))
        for key in HPARAM_ORDER:
            out.write(struct.pack("i", dims[key]))
        out.write(struct.pack("i", 1))  # ftype: fp16 matrices
        out.write(struct.pack("ii", *filters.shape))
        filters.tofile(out)
        out.write(struct.pack("i", len(vocabulary)))
        for token in vocabulary:
            out.write(struct.pack("i", len(token)))
            out.write(token)
        for name, data in torch_state_dict(tensors, dims, config.get("quantization")):
            write_tensor(out, name, data)
    partial.replace(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_folder", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    try:
        convert(args.model_folder, args.output)
    except (ConversionError, KeyError, OSError) as error:
        detail = f"tensor {error} is missing" if isinstance(error, KeyError) else str(error)
        print(f"to_ggml.py: {args.model_folder}: {detail}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
