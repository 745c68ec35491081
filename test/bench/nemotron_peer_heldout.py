"""Whether nemotron-asr.cpp computes the network ours does (issue 64): it streams each held-out file through the
trained Nemotron fixture at each right context (test/bench/peer/nemotron_asr_cpp_bench on the fixture's GGUF, which
test/bench/nemotron.mjs --model writes) and compares its text with transformers' streaming text and its word error
rate with transformers' and ours (test/fixtures/models/nemotron-reference/trained-heldout.json, where the engine
without its voice detector equals transformers' offline text on every file). Prints each file that differs and, per
right context, the files equal to transformers' streaming and offline text and the three WERs.

    python test/bench/nemotron_peer_heldout.py BENCH_BIN_DIR GGUF [--threads 2]
"""

import argparse
import json
import os
import subprocess
import sys

from transformers import AutoTokenizer

repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(repo, "test", "fixtures", "train"))
from decode import wer  # noqa: E402  (lowercased, punctuation removed: the fixture's own evaluation)

FIXTURE = os.path.join(repo, "test", "fixtures", "models", "nemotron-trained-en")
REFERENCE = os.path.join(repo, "test", "fixtures", "models", "nemotron-reference", "trained-heldout.json")
HELDOUT = os.path.join(repo, "test", "fixtures", "heldout")


def peer_text(driver, gguf, wav, right_context, threads, tokenizer):
    args = [driver, gguf, wav, "--right-context", str(right_context), "--threads", str(threads)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    tokens = json.loads(out.stdout.strip().splitlines()[-1])["tokens"]
    return tokenizer.decode(tokens, skip_special_tokens=True).strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("gguf")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    driver = os.path.join(args.bin_dir, "nemotron_asr_cpp_bench")
    tokenizer = AutoTokenizer.from_pretrained(FIXTURE)
    reference = json.load(open(REFERENCE))
    truth = {item["file"]: item["text"] for item in json.load(open(os.path.join(HELDOUT, "heldout.json")))}
    files = [row["file"] for row in reference["rows"]]
    for right_context in ["13", "6", "1", "0"]:
        peer, streaming, offline = [], [], []
        for row in reference["rows"]:
            wav = os.path.join(HELDOUT, row["file"])
            peer.append(peer_text(driver, args.gguf, wav, right_context, args.threads, tokenizer))
            streaming.append(row["streaming"][right_context]["text"])
            offline.append(row["offline"][right_context]["text"])
            if peer[-1] != streaming[-1]:
                print(f"R{right_context} {row['file']}: nemotron-asr.cpp {peer[-1]!r}, transformers {streaming[-1]!r}")
        refs = [truth[f] for f in files]
        same_streaming = sum(p == s for p, s in zip(peer, streaming))
        same_offline = sum(p == o for p, o in zip(peer, offline))
        ours = reference["report"][f"R{right_context}"]["engine_no_vad_wer"]
        print(
            f"R{right_context}: nemotron-asr.cpp's text equals transformers' streaming on {same_streaming}/{len(files)} "
            f"files, offline on {same_offline}; WER nemotron-asr.cpp {wer(refs, peer):.3f}, transformers streaming "
            f"{wer(refs, streaming):.3f}, ours (no voice detector) {ours:.3f}"
        )


if __name__ == "__main__":
    main()
