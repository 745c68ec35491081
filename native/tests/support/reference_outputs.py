#!/usr/bin/python3
"""Writes random-weight model folders with test/reference/make_random_model.py and runs the independent PyTorch
Whisper of test/reference/whisper_reference.py (float32) on each, all in one process so torch is imported once.

usage: reference_outputs.py JOB.json, where the job is
  {"reference_dir": ..., "mel": "mel.npy", "tokens": [ids], "heads": [[layer, head], ...], "steps": N,
   "models": [{"folder": ..., "writer_args": ["--dims", "...", ...]}, ...]}
For each model it writes, into its folder:
  encoder.npy    (n_audio_ctx, n_audio_state) encoder output for the mel
  logits.npy     (T, n_vocab) logits at every position of the tokens fed at once
  attention.npy  (T, heads, n_audio_ctx) softmaxed cross-attention of the [layer, head] pairs
  greedy.json    {"tokens": [...]}: N argmax steps after the tokens (lowest id on ties, nothing suppressed)
"""
import json
import os
import sys

import numpy as np
import torch


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    sys.path.insert(0, job["reference_dir"])
    import make_random_model
    import whisper_reference as ref

    torch.set_grad_enabled(False)
    mel = np.load(job["mel"])
    tokens, heads = job["tokens"], job["heads"]
    for spec in job["models"]:
        folder = spec["folder"]
        sys.argv = ["make_random_model.py", *spec["writer_args"], "--out", folder]
        make_random_model.main()
        model = ref.Whisper(ref.WhisperWeights(folder, torch.float32))
        audio = model.encode(mel)
        ref.save(os.path.join(folder, "encoder.npy"), audio)
        logits, cross = model.decode(tokens, audio)
        ref.save(os.path.join(folder, "logits.npy"), logits)
        ref.save(os.path.join(folder, "attention.npy"), torch.stack([cross[layer][head] for layer, head in heads], dim=1))
        sequence = list(tokens)
        for _ in range(job["steps"]):
            sequence.append(int(torch.argmax(model.decode(sequence, audio)[0][-1])))  # first maximum: lowest id
        with open(os.path.join(folder, "greedy.json"), "w") as f:
            json.dump({"tokens": sequence[len(tokens):]}, f)


if __name__ == "__main__":
    main()
