#!/usr/bin/env python3
"""A parakeet-mlx layout folder (config.json + model.safetensors) as a NeMo `.nemo` archive, the input of whisper.cpp's
models/convert-parakeet-to-ggml.py: the same weights for both engines in test/bench/parakeet.mjs.

usage: parakeet_nemo.py MODEL_DIR OUT.nemo

Run it with test/reference/.venv-parakeet's python (torch, librosa and PyYAML). The archive is an uncompressed tar of:
  model_config.yaml      config.json as YAML (it is the NeMo model config already)
  model_weights.ckpt     torch.save of the state dict with NeMo's names and PyTorch layouts: parakeet-mlx's NeMo→MLX
                         mapping inverted by parakeet_reference.mlx_to_nemo (Conv weights back to channels-first, the
                         LSTM's Wx / Wh / bias as weight_ih / weight_hh / bias_ih, bias_hh = 0), plus what NeMo's
                         checkpoint carries and parakeet-mlx drops: BatchNorm's num_batches_tracked and the
                         preprocessor's mel filterbank (librosa Slaney, as NeMo builds it) and window (symmetric Hann)
  bench_tokenizer.model, bench_tokenizer.vocab   the converter needs both (named *_tokenizer.model and
                         *tokenizer.vocab); it reads only the vocabulary's pieces
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))

from nemo_archive import add_preprocessor, write_nemo  # noqa: E402
from parakeet_reference import mlx_to_nemo, read_safetensors  # noqa: E402


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    folder, out = sys.argv[1], sys.argv[2]
    import torch

    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    pre = cfg["preprocessor"]
    state = {}
    for name, value in read_safetensors(os.path.join(folder, "model.safetensors")).items():
        for nemo_name, array in mlx_to_nemo(name, value):
            state[nemo_name] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    for name in list(state):
        if name.endswith(".conv.batch_norm.running_var"):
            state[name[: -len("running_var")] + "num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    add_preprocessor(state, pre)

    vocabulary = cfg["joint"]["vocabulary"]
    write_nemo(out, cfg, state, [
        ("bench_tokenizer.model", b""),
        ("bench_tokenizer.vocab", "".join(f"{piece}\t0\n" for piece in vocabulary).encode("utf-8")),
    ])
    print(f"{out}: {len(vocabulary)} pieces")


if __name__ == "__main__":
    main()
