#!/usr/bin/env python3
"""Silero VAD's ONNX release to the engine's safetensors file (native/assets/vad/README.md says which release and why).

The ONNX file holds two networks behind an If on the sample rate; the engine runs the 16 kHz one, so only its
constants are written, under their PyTorch names, as float32 (the values are not changed). The file's sha256 and
the release go into the safetensors metadata.

usage: python3 native/scripts/convert_silero_vad.py silero_vad.onnx native/assets/vad/silero_vad_v6.safetensors
needs: pip install onnx numpy
"""
import hashlib
import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

# The release the engine is written for, and its file (git blob 80c5592e of src/silero_vad/data/silero_vad.onnx in
# snakers4/silero-vad v6.2 and v6.2.1).
RELEASE = "v6.2"
ONNX_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"

# name -> shape, for the 16 kHz network: the STFT as a convolution, four convolution blocks, the LSTM cell and the
# 1x1 convolution that gives the probability.
EXPECTED = {
    "stft.forward_basis_buffer": (258, 1, 256),
    "encoder.0.reparam_conv.weight": (128, 129, 3),
    "encoder.0.reparam_conv.bias": (128,),
    "encoder.1.reparam_conv.weight": (64, 128, 3),
    "encoder.1.reparam_conv.bias": (64,),
    "encoder.2.reparam_conv.weight": (64, 64, 3),
    "encoder.2.reparam_conv.bias": (64,),
    "encoder.3.reparam_conv.weight": (128, 64, 3),
    "encoder.3.reparam_conv.bias": (128,),
    "decoder.rnn.weight_ih": (512, 128),
    "decoder.rnn.weight_hh": (512, 128),
    "decoder.rnn.bias_ih": (512,),
    "decoder.rnn.bias_hh": (512,),
    "decoder.decoder.2.weight": (1, 128, 1),
    "decoder.decoder.2.bias": (1,),
}


def network_16k(model):
    """The constants of the If branch taken when sr == 16000."""
    (branch,) = [node for node in model.graph.node if node.op_type == "If"]
    (then_graph,) = [a.g for a in branch.attribute if a.name == "then_branch"]
    prefix = "If_0_then_branch__Inline_0__"
    found = {}
    for node in then_graph.node:
        if node.op_type != "Constant" or not node.output[0].startswith(prefix):
            continue
        name = node.output[0][len(prefix):]
        if name in EXPECTED:
            found[name] = numpy_helper.to_array(node.attribute[0].t).astype(np.float32).reshape(EXPECTED[name])
    missing = sorted(set(EXPECTED) - set(found))
    if missing:
        raise SystemExit(f"the ONNX file has no 16 kHz {', '.join(missing)}: is it Silero VAD v5 or v6?")
    return found


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for array in tensors.values():
            out.write(np.ascontiguousarray(array, dtype="<f4").tobytes())


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    source, target = sys.argv[1:]
    digest = hashlib.sha256(open(source, "rb").read()).hexdigest()
    if digest != ONNX_SHA256:
        raise SystemExit(f"{source} has sha256 {digest}, not Silero VAD {RELEASE}'s silero_vad.onnx ({ONNX_SHA256})")
    tensors = network_16k(onnx.load(source))
    write_safetensors(
        target,
        dict(sorted(tensors.items())),
        {"model": "silero-vad", "release": RELEASE, "onnx_sha256": digest, "sample_rate": "16000"},
    )
    print(f"{target}: {len(tensors)} tensors, {sum(a.size for a in tensors.values())} values from {source}")


if __name__ == "__main__":
    main()
