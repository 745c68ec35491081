#!/usr/bin/env python3
"""A parakeet-mlx model folder quantized as mlx.nn.quantize leaves it (MLX affine, the layout of MLX-quantized
repositories): every Linear and Embedding weight (the 2-D `.weight` tensors: convolutions are 3-D or 4-D, the LSTM's
`Wx`/`Wh` are no module's weight) whose width is a multiple of the group size becomes `.weight` uint32 (out,
in*bits/32) with `.scales` and `.biases` (out, in/group_size) in the source dtype; config.json gains
"quantization": {group_size, bits}. The packing is whisper_files.quantize (mx.quantize as its Metal kernel computes
it), independent of the engine's C++.

  parakeet_quantized_model.py --bits 8 --group-size 64 <parakeet-mlx folder> <out folder>
"""
import argparse
import json
import shutil
from pathlib import Path

import whisper_files as wf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bits", type=int, choices=[2, 3, 4, 5, 6, 8], required=True)
    parser.add_argument("--group-size", type=int, choices=[32, 64, 128], default=64)
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    tensors, metadata = wf.read_safetensors(args.source / "model.safetensors")
    out = {}
    for name, tensor in tensors.items():
        quantizable = name.endswith(".weight") and tensor.data.ndim == 2 and tensor.shape[1] % args.group_size == 0
        if not quantizable:
            out[name] = tensor
            continue
        base = name[: -len(".weight")]
        words, scales, biases = wf.quantize(tensor.to_float32(), args.bits, args.group_size)
        out[name] = wf.Tensor("U32", words)
        out[f"{base}.scales"] = wf.from_float32(scales, tensor.dtype)
        out[f"{base}.biases"] = wf.from_float32(biases, tensor.dtype)
    args.out.mkdir(parents=True, exist_ok=True)
    wf.write_safetensors(args.out / "model.safetensors", out, metadata)
    config = json.loads((args.source / "config.json").read_text())
    config["quantization"] = {"group_size": args.group_size, "bits": args.bits}
    (args.out / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    quantized = sorted(name for name in out if name.endswith(".scales"))
    print(f"{args.out}: {len(quantized)} matrices quantized to {args.bits} bits in groups of {args.group_size}")


if __name__ == "__main__":
    main()
