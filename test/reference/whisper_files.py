"""Whisper model folders as mlx-community and Hugging Face publish them: dtypes, safetensors and npz I/O, MLX
affine quantisation, HF <-> MLX names. Shared by make_random_model.py and whisper_reference.py.

Arrays are numpy; bfloat16 (which numpy lacks) is carried as a uint16 array of raw bits tagged "BF16".
"""
import io
import json
import struct
import zipfile
import zlib

import numpy as np
import torch

# safetensors dtype name <-> numpy storage dtype
STORAGE = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "U32": np.dtype("<u4"),
           "I64": np.dtype("<i8"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4")}
SOURCE_DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}


class Tensor:
    """An array as stored: numpy data plus its safetensors dtype name (BF16 data is uint16 bits)."""

    def __init__(self, dtype, data):
        assert data.dtype == STORAGE[dtype], (dtype, data.dtype)
        self.dtype = dtype
        self.data = np.ascontiguousarray(data)

    @property
    def shape(self):
        return self.data.shape

    def to_float32(self):
        if self.dtype == "BF16":
            return (self.data.astype(np.uint32) << 16).view(np.float32)
        return self.data.astype(np.float32)

    def to_float64(self):
        return self.to_float32().astype(np.float64) if self.dtype == "BF16" else self.data.astype(np.float64)


def from_float32(values, dtype):
    """Rounds float32 values to a source dtype (round to nearest even, as torch and MLX cast)."""
    values = np.asarray(values, dtype=np.float32)
    if dtype == "F32":
        return Tensor("F32", values)
    if dtype == "F16":
        return Tensor("F16", values.astype(np.float16))
    if dtype == "BF16":
        bits = torch.from_numpy(np.ascontiguousarray(values)).to(torch.bfloat16).view(torch.int16).numpy()
        return Tensor("BF16", bits.view(np.uint16))
    raise ValueError(f"unsupported source dtype {dtype}")


# ---- safetensors ----

def write_safetensors(path, tensors, metadata):
    header, offset = {"__metadata__": metadata}, 0
    for name in sorted(tensors):
        t = tensors[name]
        header[name] = {"dtype": t.dtype, "shape": list(t.shape), "data_offsets": [offset, offset + t.data.nbytes]}
        offset += t.data.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name in sorted(tensors):
            f.write(tensors[name].data.tobytes())


def read_safetensors(path):
    """Returns ({name: Tensor}, metadata)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=STORAGE[h["dtype"]]).reshape(h["shape"])
        tensors[name] = Tensor(h["dtype"], array)
    return tensors, metadata


# ---- npz ----

def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_npz(path, tensors, zip64):
    """np.savez layout: stored `<name>.npy` members. With zip64, every size and offset goes through the zip64
    extra fields and the zip64 end records, however small the file, as multi-gigabyte weights.npz files need."""
    for name, t in tensors.items():
        if t.dtype == "BF16":
            raise SystemExit(f"{name}: numpy cannot store bfloat16 in an npz; use --format safetensors")
    if not zip64:
        np.savez(path, **{name: tensors[name].data for name in sorted(tensors)})
        return
    with open(path, "wb") as f:
        central = []
        for name in sorted(tensors):
            member = (name + ".npy").encode()
            data = npy_bytes(tensors[name].data)
            crc = zlib.crc32(data)
            offset = f.tell()
            extra = struct.pack("<HHQQ", 0x0001, 16, len(data), len(data))
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                len(member), len(extra)))
            f.write(member + extra + data)
            central.append((member, crc, len(data), offset))
        directory_offset = f.tell()
        for member, crc, size, offset in central:
            extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
            f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                                0xFFFFFFFF, len(member), len(extra), 0, 0, 0, 0o600 << 16, 0xFFFFFFFF))
            f.write(member + extra)
        directory_size = f.tell() - directory_offset
        zip64_end = f.tell()
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(central), len(central),
                            directory_size, directory_offset))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def read_npz(path):
    tensors = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
            dtype = {v: k for k, v in STORAGE.items() if k != "BF16"}[array.dtype.newbyteorder("<")]
            tensors[info.filename[:-4]] = Tensor(dtype, array.astype(STORAGE[dtype]))
    return tensors


# ---- MLX affine quantisation ----

def round_half_away(x):
    """Metal's round(): halves away from zero (numpy's rint rounds them to even)."""
    whole = np.trunc(x)
    return whole + np.where(np.abs(x - whole) >= 0.5, np.sign(x), 0).astype(x.dtype)


def quantize(weight, bits, group_size, rows_per_block=1024):
    """MLX affine quantisation (mx.quantize, as its Metal kernel computes it on a Mac) of a float32 (out, in)
    matrix holding source-dtype values, in float32: per group scale = max((max - min) / n_bins, 1e-7), the edge
    (min if |min| > |max|, else max with the scale negated) snapped to an integer q0, bias = edge (0 if q0 == 0),
    q = min(round((w - bias) / scale), n_bins) with the unrounded scale and bias. Like the kernel, the group
    maximum starts from 0 and round() takes halves away from zero.
    Returns (packed uint32 (out, in*bits/32), float32 scales, float32 biases (out, in/group_size)); the caller
    rounds scales and biases to the source dtype, as MLX stores them."""
    out_features, in_features = weight.shape
    if in_features % group_size:
        raise SystemExit(f"cannot quantize a matrix with {in_features} columns in groups of {group_size}")
    if out_features > rows_per_block:  # bounds the memory of the uint64 intermediates (turbo's embedding)
        blocks = [quantize(weight[r:r + rows_per_block], bits, group_size, rows_per_block)
                  for r in range(0, out_features, rows_per_block)]
        return tuple(np.concatenate(parts) for parts in zip(*blocks))
    n_bins = np.float32(2 ** bits - 1)
    groups = weight.astype(np.float32).reshape(out_features, in_features // group_size, group_size)
    w_max, w_min = np.maximum(groups.max(-1), np.float32(0)), groups.min(-1)
    scales = np.maximum((w_max - w_min) / n_bins, np.float32(1e-7))
    min_side = np.abs(w_min) > np.abs(w_max)
    scales = np.where(min_side, scales, -scales)
    edge = np.where(min_side, w_min, w_max)
    q0 = round_half_away(edge / scales)
    scales = np.where(q0 != 0, edge / np.where(q0 != 0, q0, np.float32(1)), scales).astype(np.float32)
    biases = np.where(q0 == 0, np.float32(0), edge).astype(np.float32)
    q = np.clip(round_half_away((groups - biases[..., None]) / scales[..., None]), 0, n_bins).astype(np.uint64)
    return pack(q.reshape(out_features, in_features), bits), scales, biases


def pack(q, bits):
    """LSB-first packing of a (rows, cols) matrix of `bits`-bit values into uint32 words: element j of a word at
    bits [j*bits, (j+1)*bits) for 2/4/8 bits; each row one continuous little-endian bit stream for 3/5/6 bits."""
    rows, cols = q.shape
    q = q.astype(np.uint64)
    if 32 % bits == 0:
        per_word = 32 // bits
        shifts = np.arange(per_word, dtype=np.uint64) * np.uint64(bits)
        return (q.reshape(rows, cols // per_word, per_word) << shifts).sum(-1).astype(np.uint32)
    stream = (q[..., None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)  # (rows, cols, bits), LSB first
    stream = stream.reshape(rows, cols * bits // 32, 32)
    return (stream << np.arange(32, dtype=np.uint64)).sum(-1).astype(np.uint32)


def unpack(words, bits, cols):
    """Inverse of pack: (rows, cols) uint32 values."""
    rows = words.shape[0]
    words = words.astype(np.uint64)
    if 32 % bits == 0:
        per_word = 32 // bits
        shifts = np.arange(per_word, dtype=np.uint64) * np.uint64(bits)
        q = (words[..., None] >> shifts) & np.uint64(2 ** bits - 1)
        return q.reshape(rows, -1)[:, :cols].astype(np.uint32)
    stream = ((words[..., None] >> np.arange(32, dtype=np.uint64)) & np.uint64(1)).reshape(rows, -1)
    stream = stream[:, :cols * bits].reshape(rows, cols, bits)
    return (stream << np.arange(bits, dtype=np.uint64)).sum(-1).astype(np.uint32)


def dequantize(words, scales, biases, bits, group_size, rounding="fused"):
    """w[r][c] = scales[r][c/group_size] * q + biases[r][c/group_size] as float32.
    rounding "separate": float32 product rounded, then float32 sum rounded (no fused multiply-add);
    "fused": the exact s*q + b rounded once to float32 (what an FMA gives)."""
    n_groups = scales.shape[1]
    q = unpack(words, bits, n_groups * group_size)
    s = np.repeat(scales.to_float32(), group_size, axis=1)
    b = np.repeat(biases.to_float32(), group_size, axis=1)
    if rounding == "separate":
        return (s * q.astype(np.float32)).astype(np.float32) + b
    if rounding == "fused":
        return (s.astype(np.float64) * q + b.astype(np.float64)).astype(np.float32)
    raise ValueError(rounding)


# ---- names ----

HF_CONFIG_KEYS = {"n_mels": "num_mel_bins", "n_audio_ctx": "max_source_positions", "n_audio_state": "d_model",
                  "n_audio_head": "encoder_attention_heads", "n_audio_layer": "encoder_layers",
                  "n_vocab": "vocab_size", "n_text_ctx": "max_target_positions", "n_text_state": "d_model",
                  "n_text_head": "decoder_attention_heads", "n_text_layer": "decoder_layers"}

# MLX name piece -> HF name piece, applied in this order (the inverse of mlx-examples convert.py's remap).
MLX_TO_HF = [("encoder.ln_post", "encoder.layer_norm"), ("decoder.ln.", "decoder.layer_norm."),
             ("decoder.token_embedding", "decoder.embed_tokens"),
             ("decoder.positional_embedding", "decoder.embed_positions.weight"),
             (".blocks.", ".layers."), (".cross_attn_ln.", ".encoder_attn_layer_norm."),
             (".attn_ln.", ".self_attn_layer_norm."), (".mlp_ln.", ".final_layer_norm."),
             (".cross_attn.", ".encoder_attn."), (".attn.", ".self_attn."), (".query.", ".q_proj."),
             (".key.", ".k_proj."), (".value.", ".v_proj."), (".out.", ".out_proj."), (".mlp1.", ".fc1."),
             (".mlp2.", ".fc2.")]

# HF -> MLX, as mlx-examples whisper/convert.py hf_to_pt remaps (in its order).
HF_TO_MLX = [("model.", ""), (".layers", ".blocks"), (".self_attn", ".attn"), (".attn_layer_norm", ".attn_ln"),
             (".encoder_attn.", ".cross_attn."), (".encoder_attn_layer_norm", ".cross_attn_ln"),
             (".final_layer_norm", ".mlp_ln"), (".q_proj", ".query"), (".k_proj", ".key"), (".v_proj", ".value"),
             (".out_proj", ".out"), (".fc1", ".mlp1"), (".fc2", ".mlp2"),
             ("embed_positions.weight", "positional_embedding"), ("decoder.embed_tokens", "decoder.token_embedding"),
             ("encoder.layer_norm", "encoder.ln_post"), ("decoder.layer_norm", "decoder.ln")]


def mlx_to_hf_name(name):
    for old, new in MLX_TO_HF:
        name = name.replace(old, new)
    return "model." + name


def hf_to_mlx_name(name):
    for old, new in HF_TO_MLX:
        name = name.replace(old, new)
    return name


def dims_from_config(config):
    """MLX dims from a config.json dict with MLX or HF-transformers keys."""
    if "n_mels" in config:
        return {key: int(config[key]) for key in HF_CONFIG_KEYS}
    return {key: int(config[hf_key]) for key, hf_key in HF_CONFIG_KEYS.items()}


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's encoder positional embedding, computed in float32 exactly as openai/whisper (and mlx_whisper) do:
    first half sin, second half cos. In float64 the table would differ by up to ~1e-4 at the last positions."""
    increment = np.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-increment * torch.arange(channels // 2))
    scaled_time = torch.arange(length)[:, None] * inv_timescales[None, :]
    return torch.cat([torch.sin(scaled_time), torch.cos(scaled_time)], dim=1).numpy()
