"""transformers' side of test/bench/nemotron.mjs: NemotronAsrStreamingForRNNT streaming a wav chunk by chunk, as
its processor sizes the chunks, with the encoder's caches (the attention's DynamicCache and the causal convolutions'
padding cache) and greedy RNN-T over each chunk's frames (nemotron_reference.py's loop, which that script checks
equals generate()). Each chunk is timed from its features to its last token; prints one JSON line (load_ms, chunk_ms,
tokens: the ids emitted, audio_seconds, peak_rss_mb).

    python test/bench/nemotron_transformers.py --model DIR --audio WAV --lookahead 1 [--threads 2] [--dtype float32]
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from nemotron_reference import decode_loop, iter_streaming_chunks  # noqa: E402
from reference_io import read_wav  # noqa: E402

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--audio", required=True)
    parser.add_argument("--lookahead", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    args = parser.parse_args()

    import torch
    from transformers import AutoModel, AutoProcessor
    from transformers.cache_utils import DynamicCache
    from transformers.models.nemotron_asr_streaming.modeling_nemotron_asr_streaming import (
        NemotronAsrStreamingEncoderCausalConvPaddingCache,
    )

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    dtype = getattr(torch, args.dtype)
    model = AutoModel.from_pretrained(args.model, dtype=dtype).eval()
    processor = AutoProcessor.from_pretrained(args.model)
    load_ms = (time.perf_counter() - started) * 1000
    audio = read_wav(args.audio)
    blank, max_symbols = model.config.blank_token_id, model.config.max_symbols_per_step

    kv = DynamicCache(config=model.encoder.config)
    conv = NemotronAsrStreamingEncoderCausalConvPaddingCache()
    state, tokens, chunk_ms = None, [], []
    chunks = iter_streaming_chunks(processor, audio, args.lookahead)
    with torch.inference_mode():
        while True:
            t0 = time.perf_counter()
            chunk = next(chunks, None)
            if chunk is None:
                break
            out = model.get_audio_features(
                input_features=chunk.to(dtype), past_key_values=kv, padding_cache=conv,
                num_lookahead_tokens=args.lookahead, use_cache=True, output_attention_mask=False,
            )
            emitted, _, _, state = decode_loop(model, out.pooler_output[0], blank, max_symbols, state)
            chunk_ms.append((time.perf_counter() - t0) * 1000)
            tokens += emitted
    print(json.dumps({
        "load_ms": load_ms, "chunk_ms": chunk_ms, "tokens": tokens, "audio_seconds": audio.size / 16000,
        "peak_rss_mb": peak_rss_mb(),
    }))

def peak_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if __name__ == "__main__":
    main()
