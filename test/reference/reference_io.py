"""What the reference scripts of the NeMo-derived families (parakeet_reference.py, nemotron_reference.py,
diarization_reference.py) share: each tensor's random generator, a function of the seed and the tensor's name only,
and the held-out clips read as float samples."""

import hashlib
import wave

import numpy as np


def tensor_rng(seed, name):
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise SystemExit(f"{path}: need 16 kHz mono 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0
