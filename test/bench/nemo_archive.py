"""What a NeMo `.nemo` archive holds beside a model's own weights, and the archive itself: shared by the bench's
writers for the GGML peers' converters (parakeet_nemo.py for whisper.cpp's Parakeet, nemotron_nemo.py for
nemotron-asr.cpp). Needs torch, librosa and PyYAML."""
import io
import os
import tarfile
import tempfile


def add_preprocessor(state, pre):
    """The preprocessor's tensors NeMo's checkpoint carries and transformers and parakeet-mlx drop: the mel filterbank
    (librosa Slaney, as NeMo builds it) and the window (symmetric Hann), from the preprocessor config `pre`."""
    import librosa
    import numpy as np
    import torch

    sr, n_fft = pre["sample_rate"], pre["n_fft"]
    fb = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=pre["features"], fmin=0, fmax=sr / 2, norm="slaney")
    state["preprocessor.featurizer.fb"] = torch.from_numpy(fb.astype(np.float32)).unsqueeze(0)
    state["preprocessor.featurizer.window"] = torch.hann_window(int(round(pre["window_size"] * sr)), periodic=False)


def write_nemo(out, config, state, files=()):
    """`out` as an uncompressed tar of model_config.yaml (`config`), model_weights.ckpt (torch.save of `state`, which
    is emptied to free its memory) and `files` ((name, bytes) pairs), written beside it and renamed when whole."""
    import torch
    import yaml

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as work:
        ckpt = os.path.join(work, "model_weights.ckpt")
        torch.save(state, ckpt)
        state.clear()
        with tarfile.open(out + ".part", "w") as tar:
            config_yaml = yaml.safe_dump(config, allow_unicode=True, sort_keys=False).encode("utf-8")
            for name, data in [("model_config.yaml", config_yaml), *files]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            tar.add(ckpt, arcname="model_weights.ckpt")
    os.replace(out + ".part", out)
