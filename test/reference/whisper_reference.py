#!/usr/bin/python3
"""An independent PyTorch Whisper (the openai/whisper model.py architecture) for checking the native engine.

Loads a model folder as mlx-community publishes it (config.json + weights.safetensors | weights.npz, MLX names,
any of float32/float16/bfloat16, MLX-affine quantized or not) or in the HF-transformers layout
(model.safetensors), dequantizes quantized modules (w = scale * q + bias, exact, then rounded to the compute
precision) and computes in float32 (default) or float64 (--precision float64). The encoder positional embedding
is always openai/whisper's float32 sinusoids table (an HF file's stored copy is ignored), also in float64 runs:
it is part of the model's definition.

Subcommands (MODEL is the folder; audio is --wav PATH (16 kHz mono s16) or --mel NPY (n_mels x 3000 float32)):
  mel        --wav PATH --n-mels N --out mel.npy           whisper's log_mel_spectrogram(audio, N, padding=480000)
                                                           [:, :3000], the encoder's input for the first window
  encode     MODEL audio --out enc.npy                     encoder output (n_audio_ctx, n_audio_state) float32
  logits     MODEL audio --tokens 50258,50259,... --out logits.npy
                                                           logits (T, n_vocab) float32 for every position of the
                                                           token sequence fed at once (causal mask)
             [--heads 2:3,3:0 --attention-out attn.npy]    plus the softmaxed cross-attention weights of those
                                                           [decoder layer, head] pairs: (T, heads, n_audio_ctx)
  greedy     MODEL audio --tokens PREFIX --steps N [--rules argmax|whisper] [--suppress IDS] --out tokens.json
  window     MODEL --audio PATH [--seek FRAME] [--prompt IDS] [--window-index K] [--suppress IDS]
             [--max-initial-timestamp S] [--sample-len N] [--language-token ID] [--vocabulary TIKTOKEN]
             [DECODING OPTIONS] --out window.json
                                                           one 30 s window of a long recording decoded as
                                                           openai's transcribe() decodes it with timestamps (see
                                                           below); --audio is a .wav or raw little-endian float32
                                                           samples (16 kHz mono)
             --requests requests.json ... --out windows.json
                                                           many windows in one run: a JSON list of {"audio",
                                                           "seek", "prompt", "window_index"}; each audio's mel is
                                                           computed once
  transcribe MODEL --audio PATH [--suppress IDS] [--initial-prompt IDS] [--heads L:H,...] [--clip-timestamps S,E,...]
             [--hallucination-silence-threshold S] [DECODING OPTIONS] --out transcript.json
                                                           openai's transcribe() over the whole audio (see below)
  dequantize MODEL --module NAME --out w.npy [--rounding fused|separate]
                                                           the float32 (out, in) matrix of a quantized module
                                                           (e.g. decoder.blocks.0.mlp1, decoder.token_embedding)

Greedy rule sets (temperature 0, no timestamps; each step appends the argmax, lowest id on ties):
  argmax   exactly N steps over all n_vocab logits; nothing suppressed; eot is an ordinary token.
  whisper  whisper's greedy rules without timestamps, minus its tokenizer-derived non-speech list:
           at every step -inf for transcribe, translate, sot, startofprev, startoflm, nospeech (ids from
           special-tokens.json for the model's n_vocab) and for the --suppress ids; at the first sampled step also
           for blank (220) and eot; stops when eot is the argmax (eot not included), or after N steps.
  tokens.json: {"rules", "prefix", "tokens" (sampled, without the prefix), "stopped_at_eot"}.

Decoding options (window and transcribe; transcribe()'s decode options and fallback, openai's defaults but for the
temperatures, whose default 0 makes one greedy attempt):
  --temperatures 0,0.2,...         tried in order (decode_with_fallback) until an attempt needs no fallback; the
                                   last attempt is kept. Above 0 beam_size and patience are dropped, at 0 best_of.
  --beam-size N                    at temperature 0: BeamSearchDecoder with N beams (default: GreedyDecoder)
  --patience P                     beam search keeps round(N * P) finished sequences (Python's round; default 1)
  --best-of N                      above temperature 0: N sequences sampled, the ranker's best kept (default 1)
  --length-penalty L               MaximumLikelihoodRanker: sum_logprob / ((5 + length) / 6) ** L (L in [0, 1];
                                   default: sum_logprob / length, length = sampled tokens before eot)
  --compression-ratio-threshold X  fallback when zlib's ratio of the kept text (openai's tokenizer.decode of the
                                   tokens below the timestamps, special tokens by name, stripped) is above X (2.4)
  --logprob-threshold X            fallback when avg_logprob is below X (-1), unless no_speech_prob is above
                                   --no-speech-threshold (0.6) too (silence); X: none switches a rule off. The same
                                   two thresholds skip silent windows in transcribe.
  --seed S                         sampling above 0 draws the engine's numbers, not torch's: window k (counting
                                   every decoded window; --window-index or "window_index" in a request) seeds one
                                   std::mt19937_64 with S + k (default 0) for all its attempts; at each step each
                                   unfinished sequence, in order, draws u = (next >> 11) * 2**-53 and takes the first
                                   id whose running sum of w = exp((logit - max logit) / T) (double, T as float32,
                                   over the filtered float32 logits) exceeds u * sum(w) (the argmax if none; eot,
                                   drawing nothing, when no logit is finite). A finished sequence draws nothing.
  Sums of log-probabilities are float32 (openai's tensors): each step adds log_softmax(filtered logits) of the token
  chosen (eot once); avg_logprob = sum / (tokens + 1).
  Beam search: per step each beam's top N + 1 tokens (filters applied per beam with its own tokens; equal
  log-probabilities lowest id first) scored beam sum + log-probability, kept in a dict keyed by the whole sequence
  (the identical beams of the first step collapse), sorted by score (a stable sort); eot candidates before the N-th
  other one finish (joining the finished ones best first while fewer than round(N * P)), the others are the next
  beams, each a KV cache of its own; the search ends with round(N * P) finished, after --sample-len steps or when the
  sequence outgrows n_text_ctx; with fewer than N finished the unfinished beams join them (+eot, np.argsort of their
  sums reversed). The ranker's first best is kept.

Window decoding (openai/whisper release 20250625: transcribe.py's window, decoding.py's DecodingTask with a KV cache):
  mel      log_mel_spectrogram of the whole audio plus 480000 zeros, normalised (max - 8 floor) over all of it,
           computed in float64; the window is mel[:, seek:seek + segment_size] zero-padded to 3000 frames
           (pad_or_trim), segment_size = min(3000, content frames - seek), content frames = all frames - 3000.
  prompt   [<|startofprev|>] + the last n_text_ctx // 2 - 1 of --prompt (the previous windows' segment tokens,
           text and timestamps; no <|startofprev|> when empty) + the sot sequence (+ language and transcribe for
           multilingual models; no <|notimestamps|>).
  filters  per step, in openai's order: SuppressBlank (blank 220 and eot at the first sampled step);
           SuppressTokens (--suppress plus transcribe, translate, sot, startofprev, startoflm, nospeech);
           ApplyTimestampRules (notimestamps suppressed; timestamps in pairs except before eot; never decreasing,
           a closed segment has a non-zero length; the first sampled token a timestamp no later than
           --max-initial-timestamp (default 1.0 s, every window, as transcribe() passes it; 0: no limit);
           timestamps forced when their summed log-probability beats the best text token's). Greedy: argmax,
           lowest id on ties; stops at eot, after --sample-len tokens (default n_text_ctx // 2) or when the sequence
           outgrows n_text_ctx.
  output   {"audio", "seek", "segment_size", "initial_tokens", "window_index", "tokens" (kept, sampled, without
           eot), "logit_margins" (per step, eot step included: top-1 minus top-2 of the filtered logits, or the gap
           between the timestamps' and the best text token's log-probability when that is smaller; 1e30 when
           one token is left), "stopped_at_eot", "no_speech_prob" (at <|sot|>), "avg_logprob" (sum over the
           sampled tokens and eot / (tokens + 1)), "temperature" (of the kept attempt), "temperatures_tried",
           "compression_ratio", "decision_margin" (the smallest logit margin), "attempts": [{temperature, tokens,
           logit_margins, token_logprobs, decision_margin, stopped_at_eot, avg_logprob, compression_ratio,
           needs_fallback, threshold_margin (|avg_logprob - its threshold| or |no_speech_prob - its threshold|, the
           smaller)}]}; "token_logprobs" are the kept sequence's log-probabilities of its tokens under the filtered
           logits at each step (eot's included when it ended there); with --requests a list of them. A single
           sampled sequence's margin at a step is how far its draw was from the next token over, in logits
           (T |u - F| / (2 F (1 - F)) at the nearer cumulative bound F); for beam search and best-of groups every
           step carries the attempt's smallest margin of any of its decisions (conservative: most cannot change the
           kept sequence): the beam cut (the last kept beam against the next), eot candidates against it,
           a chosen weakest candidate of a beam against its first one left out, the finished list filling up, the
           unfinished beams added at the end, the timestamp rule of every beam, the ranker's best two, each draw.

Transcription (openai/whisper transcribe.py's loop with the decoding options above and its other defaults:
condition_on_previous_text, max_initial_timestamp 1):
  windows  each decoded as `window` decodes one, at the seeks transcribe() takes: clip_timestamps' clips (their
           times past the audio cut to its end, where openai would decode empty windows forever), the timestamps,
           and with --heads the words' ends and hallucination_silence_threshold's skips. A window kept above
           temperature 0.5 is not the prompt of the next ones.
  words    --heads: timing.py's find_alignment (the heads' cross-attention, cropped to the audio, normalised per
           frame, median filter 7, DTW with float32 running costs) and add_word_timestamps (split_to_word_tokens
           from the tiktoken file's bytes, long words cut, punctuation merged, segments moved to their words).
  output   {"windows": [{seek, segment_size, window_index, tokens, logit_margins, token_logprobs, decision_margin,
           no_speech_prob, avg_logprob, temperature, temperatures_tried, compression_ratio, attempts, outcome
           ("segments", "silence" or "leading-silence-skipped")}], "segments": [{seek, start, end, tokens, temperature,
           avg_logprob, compression_ratio, no_speech_prob, words: [{word, tokens, start, end, probability}]}],
           "hallucinations": [what the threshold's rules did], "text", "content_frames"}.

Dequantize rounding: "fused" (default) is the exact scale * q + bias rounded once to float32, what a fused
multiply-add gives; "separate" is float32(float32(scale * q) + bias). They differ only for float32 scales: with
float16/bfloat16 scales the product is exact in float32.
"""
import argparse
import base64
import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import whisper_files as wf  # noqa: E402
from make_mel_reference import read_wav, whisper_log_mel  # noqa: E402

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
WINDOW_SAMPLES, WINDOW_FRAMES = 480000, 3000
BLANK = 220
NO_RIVAL = 1e30  # the logit margin reported when a step leaves a single candidate


class WhisperWeights:
    """A model folder's tensors under MLX names, as float tensors of the compute dtype (conv in PyTorch layout)."""

    def __init__(self, folder, dtype):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        self.dims = wf.dims_from_config(self.config)
        self.dtype = dtype
        self.stored, hf = self._read_stored(folder)
        self.quantization = self.config.get("quantization")
        self.weights = {}
        for name, tensor in self.stored.items():
            if name.endswith((".scales", ".biases")) or name == "alignment_heads":
                continue
            if name == "encoder.positional_embedding":  # HF stores the sinusoids; they are computed here
                continue
            base = name[:-len(".weight")] if name.endswith(".weight") else None
            if base is not None and f"{base}.scales" in self.stored:
                values = self.dequantized(base, "fused" if dtype == torch.float32 else "exact")
            else:
                values = tensor.to_float64()
            if name in ("encoder.conv1.weight", "encoder.conv2.weight") and not hf:
                values = values.transpose(0, 2, 1)  # MLX (out, kernel, in) -> PyTorch (out, in, kernel)
            self.weights[name] = torch.from_numpy(np.ascontiguousarray(values)).to(dtype)

    @staticmethod
    def _read_stored(folder):
        for file, hf in (("weights.safetensors", False), ("weights.npz", False), ("model.safetensors", True)):
            path = os.path.join(folder, file)
            if not os.path.exists(path):
                continue
            tensors = wf.read_safetensors(path)[0] if path.endswith(".safetensors") else wf.read_npz(path)
            if hf:
                tensors = {wf.hf_to_mlx_name(k): v for k, v in tensors.items() if k != "proj_out.weight"}
            return tensors, hf
        raise SystemExit(f"{folder}: no weights.safetensors, weights.npz or model.safetensors")

    def dequantized(self, module, rounding):
        """The (out, in) matrix of a quantized module: float32 with "fused"/"separate" rounding, or float64 ("exact")."""
        if f"{module}.scales" not in self.stored:
            raise SystemExit(f"{module} is not quantized (no {module}.scales)")
        if not self.quantization:
            raise SystemExit("config.json has no \"quantization\" entry for a quantized model")
        bits, group_size = self.quantization["bits"], self.quantization["group_size"]
        words = self.stored[f"{module}.weight"].data
        scales, biases = self.stored[f"{module}.scales"], self.stored[f"{module}.biases"]
        if rounding != "exact":
            return wf.dequantize(words, scales, biases, bits, group_size, rounding)
        q = wf.unpack(words, bits, scales.shape[1] * group_size).astype(np.float64)
        return (np.repeat(scales.to_float64(), group_size, axis=1) * q +
                np.repeat(biases.to_float64(), group_size, axis=1))


class Whisper:
    """openai/whisper's AudioEncoder and TextDecoder over WhisperWeights (no KV cache: sequences are fed whole)."""

    def __init__(self, weights):
        self.w = weights.weights
        self.dims = weights.dims
        self.dtype = weights.dtype

    def linear(self, x, name):
        return F.linear(x, self.w[f"{name}.weight"], self.w.get(f"{name}.bias"))

    def layer_norm(self, x, name):
        return F.layer_norm(x, x.shape[-1:], self.w[f"{name}.weight"], self.w[f"{name}.bias"], eps=1e-5)

    def attention(self, x, source, name, n_head, mask=None):
        """Returns the attention output and the softmaxed weights (heads, T, S)."""
        q = self.linear(x, f"{name}.query")
        k = self.linear(source, f"{name}.key")
        v = self.linear(source, f"{name}.value")
        out, weights = self.attend(q, k, v, n_head, mask)
        return self.linear(out, f"{name}.out"), weights

    @staticmethod
    def attend(q, k, v, n_head, mask=None):
        """Multi-head attention of projected q (T, n_state) over k, v (S, n_state), before the output projection."""
        n_ctx, n_state = q.shape
        scale = (n_state // n_head) ** -0.25
        q = q.view(n_ctx, n_head, -1).permute(1, 0, 2) * scale
        k = k.view(k.shape[0], n_head, -1).permute(1, 2, 0) * scale
        v = v.view(v.shape[0], n_head, -1).permute(1, 0, 2)
        qk = q @ k
        if mask is not None:
            qk = qk + mask
        weights = F.softmax(qk, dim=-1)
        return (weights @ v).permute(1, 0, 2).reshape(n_ctx, n_state), weights

    def block(self, x, name, n_head, mask=None, audio=None):
        normed = self.layer_norm(x, f"{name}.attn_ln")
        x = x + self.attention(normed, normed, f"{name}.attn", n_head, mask)[0]
        cross_weights = None
        if audio is not None:
            out, cross_weights = self.attention(self.layer_norm(x, f"{name}.cross_attn_ln"), audio,
                                                f"{name}.cross_attn", n_head)
            x = x + out
        h = F.gelu(self.linear(self.layer_norm(x, f"{name}.mlp_ln"), f"{name}.mlp1"))  # exact erf GELU
        return x + self.linear(h, f"{name}.mlp2"), cross_weights

    def encode(self, mel):
        """mel (n_mels, 2 * n_audio_ctx) -> (n_audio_ctx, n_audio_state)."""
        d = self.dims
        x = torch.as_tensor(mel, dtype=self.dtype)[None]
        x = F.gelu(F.conv1d(x, self.w["encoder.conv1.weight"], self.w["encoder.conv1.bias"], padding=1))
        x = F.gelu(F.conv1d(x, self.w["encoder.conv2.weight"], self.w["encoder.conv2.bias"], stride=2, padding=1))
        x = x[0].T + torch.from_numpy(wf.sinusoids(d["n_audio_ctx"], d["n_audio_state"])).to(self.dtype)
        for i in range(d["n_audio_layer"]):
            x = self.block(x, f"encoder.blocks.{i}", d["n_audio_head"])[0]
        return self.layer_norm(x, "encoder.ln_post")

    def decode(self, tokens, audio):
        """Logits (T, n_vocab) for every position, and each decoder layer's cross-attention weights (heads, T, S)."""
        d = self.dims
        tokens = torch.as_tensor(tokens, dtype=torch.long)
        n = len(tokens)
        if n > d["n_text_ctx"]:
            raise SystemExit(f"{n} tokens do not fit the decoder's {d['n_text_ctx']} positions")
        if n and (tokens.min() < 0 or tokens.max() >= d["n_vocab"]):
            raise SystemExit(f"token ids must lie in [0, {d['n_vocab']})")
        embedding = self.w["decoder.token_embedding.weight"]
        x = embedding[tokens] + self.w["decoder.positional_embedding"][:n]
        mask = torch.full((n, n), float("-inf"), dtype=self.dtype).triu(1)
        cross = []
        for i in range(d["n_text_layer"]):
            x, weights = self.block(x, f"decoder.blocks.{i}", d["n_text_head"], mask, audio)
            cross.append(weights)
        x = self.layer_norm(x, "decoder.ln")
        return x @ embedding.T, cross


def special_tokens(n_vocab):
    with open(REFERENCE_DIR / "special-tokens.json") as f:
        table = json.load(f)
    if str(n_vocab) not in table:
        raise SystemExit(f"no special tokens for n_vocab {n_vocab} in special-tokens.json")
    return table[str(n_vocab)]


def greedy(model, audio, prefix, steps, rules, suppress):
    always = list(suppress)
    if rules == "whisper":
        special = special_tokens(model.dims["n_vocab"])
        always += [special[k] for k in ("transcribe", "translate", "sot", "startofprev", "startoflm", "nospeech")]
    tokens, stopped = list(prefix), False
    for step in range(steps):
        logits = model.decode(tokens, audio)[0][-1].clone()
        logits[always] = float("-inf")
        if rules == "whisper" and step == 0:
            logits[[BLANK, special["eot"]]] = float("-inf")
        token = int(torch.argmax(logits))  # first maximum: the lowest id on ties
        if rules == "whisper" and token == special["eot"]:
            stopped = True
            break
        tokens.append(token)
    return {"rules": rules, "prefix": list(prefix), "tokens": tokens[len(prefix):], "stopped_at_eot": stopped}


class CachedDecoder:
    """Whisper.decode fed a few tokens at a time over one window's encoder output, as openai's kv_cache hooks do:
    each layer's self-attention keys and values grow with the tokens; the cross-attention ones are computed once."""

    def __init__(self, model, audio):
        self.model = model
        self.n_layer = model.dims["n_text_layer"]
        self.cross = [(model.linear(audio, f"decoder.blocks.{i}.cross_attn.key"),
                       model.linear(audio, f"decoder.blocks.{i}.cross_attn.value")) for i in range(self.n_layer)]
        self.keys = [None] * self.n_layer
        self.values = [None] * self.n_layer
        self.length = 0

    def fork(self):
        """Another decoder continuing from here (openai's rearrange_kv_cache: a beam taking over its source's cache).
        The cached tensors are shared: feed() replaces them, never changes them."""
        other = CachedDecoder.__new__(CachedDecoder)
        other.model, other.n_layer, other.cross, other.length = self.model, self.n_layer, self.cross, self.length
        other.keys, other.values = list(self.keys), list(self.values)
        return other

    def feed(self, tokens):
        """Logits (T, n_vocab) of the new tokens, which follow every token fed before."""
        m, d = self.model, self.model.dims
        offset, n = self.length, len(tokens)
        if offset + n > d["n_text_ctx"]:
            raise SystemExit(f"{offset + n} tokens do not fit the decoder's {d['n_text_ctx']} positions")
        embedding = m.w["decoder.token_embedding.weight"]
        positions = m.w["decoder.positional_embedding"][offset:offset + n]
        x = embedding[torch.as_tensor(tokens, dtype=torch.long)] + positions
        mask = torch.full((n, offset + n), float("-inf"), dtype=m.dtype).triu(offset + 1)
        for i in range(self.n_layer):
            name = f"decoder.blocks.{i}"
            h = m.layer_norm(x, f"{name}.attn_ln")
            k, v = m.linear(h, f"{name}.attn.key"), m.linear(h, f"{name}.attn.value")
            self.keys[i] = k if self.keys[i] is None else torch.cat([self.keys[i], k])
            self.values[i] = v if self.values[i] is None else torch.cat([self.values[i], v])
            out = m.attend(m.linear(h, f"{name}.attn.query"), self.keys[i], self.values[i], d["n_text_head"], mask)[0]
            x = x + m.linear(out, f"{name}.attn.out")
            h = m.layer_norm(x, f"{name}.cross_attn_ln")
            out = m.attend(m.linear(h, f"{name}.cross_attn.query"), *self.cross[i], d["n_text_head"])[0]
            x = x + m.linear(out, f"{name}.cross_attn.out")
            x = x + m.linear(F.gelu(m.linear(m.layer_norm(x, f"{name}.mlp_ln"), f"{name}.mlp1")), f"{name}.mlp2")
        self.length += n
        return m.layer_norm(x, "decoder.ln") @ embedding.T


def apply_timestamp_rules(logits, sampled, special, max_initial_timestamp_index):
    """openai/whisper decoding.py ApplyTimestampRules on one step's logits (in place). Returns how far the
    timestamps' total log-probability was from the best text token's (the forcing decision), when both are finite."""
    begin = special["timestamp_begin"]
    logits[special["notimestamps"]] = float("-inf")
    last_was_timestamp = len(sampled) >= 1 and sampled[-1] >= begin
    penultimate_was_timestamp = len(sampled) < 2 or sampled[-2] >= begin
    if last_was_timestamp:
        if penultimate_was_timestamp:  # has to be non-timestamp
            logits[begin:] = float("-inf")
        else:  # cannot be normal text tokens
            logits[:special["eot"]] = float("-inf")
    timestamps = [t for t in sampled if t >= begin]
    if timestamps:
        # timestamps never decrease, and a closed segment has a non-zero length
        last = timestamps[-1] if last_was_timestamp and not penultimate_was_timestamp else timestamps[-1] + 1
        logits[begin:last] = float("-inf")
    if not sampled:
        logits[:begin] = float("-inf")  # the first sampled token is a timestamp
        if max_initial_timestamp_index is not None:
            logits[begin + max_initial_timestamp_index + 1:] = float("-inf")
    logprobs = F.log_softmax(logits, dim=-1)
    timestamp_logprob = logprobs[begin:].logsumexp(dim=-1)
    max_text_logprob = logprobs[:begin].max()
    if timestamp_logprob > max_text_logprob:
        logits[:begin] = float("-inf")
    if torch.isfinite(timestamp_logprob) and torch.isfinite(max_text_logprob):
        return abs(float(timestamp_logprob - max_text_logprob))
    return None


def top_two_margin(logits):
    """Top-1 minus top-2 logit; NO_RIVAL when at most one token is left."""
    top = torch.topk(logits, 2).values
    return float(top[0] - top[1]) if torch.isfinite(top[1]) else NO_RIVAL


def gap(higher, lower):
    """higher - lower as a decision margin: NO_RIVAL unless both are finite (equal infinities are exact ties that
    both sides break the same way)."""
    higher, lower = float(higher), float(lower)
    return abs(higher - lower) if np.isfinite(higher) and np.isfinite(lower) else NO_RIVAL


class MT19937_64:
    """std::mt19937_64 (the standard's constants), the engine's generator: sampling above temperature 0 draws the
    engine's numbers, so both sides can sample the same tokens."""
    N, M, MASK = 312, 156, (1 << 64) - 1

    def __init__(self, seed=5489):
        state = [seed & self.MASK]
        for i in range(1, self.N):
            state.append((6364136223846793005 * (state[-1] ^ (state[-1] >> 62)) + i) & self.MASK)
        self.state, self.index = state, self.N

    def _twist(self):
        state, n = self.state, self.N
        for i in range(n):
            x = (state[i] & 0xFFFFFFFF80000000) | (state[(i + 1) % n] & 0x7FFFFFFF)
            state[i] = state[(i + self.M) % n] ^ (x >> 1) ^ (0xB5026F5AA96619E9 if x & 1 else 0)
        self.index = 0

    def __call__(self):
        if self.index >= self.N:
            self._twist()
        y = self.state[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & self.MASK

    def uniform(self):
        """[0, 1) from 53 random bits, as the engine's uniform_unit."""
        return (self() >> 11) * 2.0 ** -53


def draw(logits, temperature, rng, eot):
    """The engine's DecodingTask::choose above temperature 0 (a draw from softmax(logits / T) with its own random
    numbers), and how far the draw was from choosing another token, in logits: the target's distance from the chosen
    token's cumulative bounds F as a fraction of the total, u, moves by at most 2 F (1 - F) d / T when every logit
    moves by d, so the margin is T |u - F| / (2 F (1 - F)) at the nearer bound."""
    values = logits.double().numpy()
    best = int(np.argmax(values))
    if not np.isfinite(values[best]):
        return eot, NO_RIVAL  # every token suppressed (or NaN): the window ends, nothing drawn
    weights = np.exp((values - values[best]) / temperature)
    cumulative = np.cumsum(weights)  # sequential, in id order, as the engine sums
    total = cumulative[-1]
    u = rng.uniform()
    target = u * total
    chosen = np.nonzero((weights > 0) & (cumulative > target))[0]
    token = int(chosen[0]) if len(chosen) else best  # rounding left the target past the last weight
    margin = NO_RIVAL
    for bound in (cumulative[token] - weights[token], cumulative[token]):
        f = bound / total
        if 0 < f < 1:
            margin = min(margin, temperature * abs(u - f) / (2 * f * (1 - f)))
    return token, margin


def top_k(logprobs, k):
    """The k largest log-probabilities and their ids, equal values lowest id first (torch.topk leaves their order
    open; openai's beams only meet equal values where -inf fills the candidates)."""
    threshold = torch.topk(logprobs, k).values[-1]
    ids = torch.nonzero(logprobs >= threshold).flatten().numpy()
    values = logprobs.double().numpy()[ids]
    order = ids[np.lexsort((ids, -values))][:k]
    return [float(logprobs[t]) for t in order], [int(t) for t in order]


def compression_ratio(text):
    """utils.compression_ratio: UTF-8 bytes over zlib-compressed bytes."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data))


class DecodingSettings:
    """transcribe()'s decode options and fallback thresholds, plus the engine's seed (window k samples with a
    std::mt19937_64 seeded seed + k, shared by its attempts)."""

    def __init__(self, args):
        self.beam_size = args.beam_size
        self.best_of = args.best_of
        self.patience = args.patience
        self.length_penalty = args.length_penalty
        self.temperatures = args.temperatures
        self.compression_ratio_threshold = args.compression_ratio_threshold
        self.logprob_threshold = args.logprob_threshold
        self.no_speech_threshold = args.no_speech_threshold
        self.seed = args.seed
        # openai's _verify_options for each attempt's options (best_of dropped at 0, beam_size and patience above)
        if self.beam_size is not None and self.beam_size < 1:
            raise SystemExit("--beam-size must be at least 1")
        if self.best_of is not None and self.best_of < 1:
            raise SystemExit("--best-of must be at least 1")
        if self.patience is not None and self.beam_size is None and 0 in self.temperatures:
            raise SystemExit("--patience requires --beam-size")
        if self.beam_size is not None and round(self.beam_size * (self.patience or 1.0)) <= 0:
            raise SystemExit(f"invalid beam size ({self.beam_size}) or patience ({self.patience})")
        if self.length_penalty is not None and not 0 <= self.length_penalty <= 1:
            raise SystemExit("--length-penalty (alpha) should be a value between 0 and 1")
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            raise SystemExit("--temperatures: one or more temperatures, none negative")

    def needs_fallback(self, attempt):
        """decode_with_fallback's test of an attempt."""
        needs = False
        if self.compression_ratio_threshold is not None and attempt["compression_ratio"] > \
                self.compression_ratio_threshold:
            needs = True  # too repetitive
        if self.logprob_threshold is not None and attempt["avg_logprob"] < self.logprob_threshold:
            needs = True  # average log probability is too low
        if (self.no_speech_threshold is not None and attempt["no_speech_prob"] > self.no_speech_threshold
                and self.logprob_threshold is not None and attempt["avg_logprob"] < self.logprob_threshold):
            needs = False  # silence
        return needs

    def threshold_margin(self, attempt):
        """How close the attempt's average log-probability and no-speech probability came to their thresholds
        (their comparisons decide the fallback)."""
        margin = NO_RIVAL
        if self.logprob_threshold is not None:
            margin = min(margin, abs(attempt["avg_logprob"] - self.logprob_threshold))
        if self.no_speech_threshold is not None:
            margin = min(margin, abs(attempt["no_speech_prob"] - self.no_speech_threshold))
        return margin


class WindowDecoder:
    """One window as openai's DecodingTask decodes it (decoding.py), the prompt fed through the decoder once and every
    attempt of the temperature fallback starting from it.

    The prompt is <|startofprev|> + the last n_text_ctx // 2 - 1 previous tokens (none when empty), then the sot
    sequence. Filters in openai's order, per sequence with its own sampled tokens: SuppressBlank (blank and eot at the
    first sampled step), SuppressTokens (`suppress` plus the task, sot, startofprev, startoflm and nospeech tokens),
    ApplyTimestampRules."""

    def __init__(self, model, audio, prompt, suppress, max_initial_timestamp, sample_len, language_token, vocabulary):
        d = model.dims
        self.special = special = special_tokens(d["n_vocab"])
        self.eot = special["eot"]
        multilingual = d["n_vocab"] != 51864
        if multilingual and language_token is None:
            raise SystemExit("a multilingual model needs --language-token (the language the engine decoded with)")
        sot_sequence = [special["sot"]] + ([language_token, special["transcribe"]] if multilingual else [])
        keep = d["n_text_ctx"] // 2 - 1
        context = [special["startofprev"]] + list(prompt)[-keep:] if prompt else []
        self.initial = context + sot_sequence
        self.always = sorted(set(suppress) | {special[k] for k in ("transcribe", "translate", "sot", "startofprev",
                                                                   "startoflm", "nospeech")})
        precision = 30.0 / d["n_audio_ctx"]
        self.max_initial_index = round(max_initial_timestamp / precision) if max_initial_timestamp else None
        self.sample_len = sample_len or d["n_text_ctx"] // 2
        self.n_ctx = d["n_text_ctx"]
        self.vocabulary = vocabulary
        self.np_dtype = np.float32 if model.dtype == torch.float32 else np.float64
        self.prompt_decoder = CachedDecoder(model, audio)
        prompt_logits = self.prompt_decoder.feed(self.initial)
        self.no_speech_prob = float(F.softmax(prompt_logits[len(context)], dim=-1)[special["nospeech"]])
        self.first_logits = prompt_logits[-1]

    def filtered(self, logits, sampled):
        """The step's logits after the filters, and the timestamp rule's margin (None when it decided nothing)."""
        logits = logits.clone()
        if not sampled:
            logits[[BLANK, self.eot]] = float("-inf")
        logits[self.always] = float("-inf")
        return logits, apply_timestamp_rules(logits, sampled, self.special, self.max_initial_index)

    def logprob(self, logits, token):
        return F.log_softmax(logits, dim=-1)[token].item()

    def add(self, total, logprob):
        """sum_logprobs + logprob in openai's tensor precision (float32 in float32 runs)."""
        return float(self.np_dtype(total) + self.np_dtype(logprob))

    def sample(self, temperature, n_group, rng):
        """GreedyDecoder with n_group sequences: argmax at temperature 0 (first maximum), else the engine's draw for
        each unfinished sequence in order (one random number each). A finished sequence (last token eot) adds
        nothing. Returns each sequence's tokens (sampled, without eot), sum, whether it ended at eot, and the step
        margins of each."""
        t = float(np.float32(temperature))  # the engine's temperatures are float32
        decoders = [self.prompt_decoder] * n_group  # forked lazily: each feeds its own tokens from step 1
        sampled = [[] for _ in range(n_group)]
        sums = [0.0] * n_group
        done = [False] * n_group
        margins = [[] for _ in range(n_group)]
        logprobs = [[] for _ in range(n_group)]
        for i in range(self.sample_len):
            for k in range(n_group):
                if done[k]:
                    continue
                if i == 0:
                    logits = self.first_logits
                    decoders[k] = self.prompt_decoder.fork()
                else:
                    logits = decoders[k].feed([sampled[k][-1]])[-1]
                filtered, rule_margin = self.filtered(logits, sampled[k])
                if t == 0:
                    token, margin = int(torch.argmax(filtered)), top_two_margin(filtered)  # lowest id on ties
                else:
                    token, margin = draw(filtered, t, rng, self.eot)
                margins[k].append(min(margin, NO_RIVAL if rule_margin is None else rule_margin))
                logprobs[k].append(self.logprob(filtered, token))
                sums[k] = self.add(sums[k], logprobs[k][-1])
                sampled[k].append(token)
                done[k] = token == self.eot
            if all(done) or len(self.initial) + i + 1 > self.n_ctx:
                break
        tokens = [s[:-1] if finished else s for s, finished in zip(sampled, done)]
        return tokens, sums, done, margins, logprobs

    def beam_search(self, beam_size, patience):
        """BeamSearchDecoder over beam_size beams, each a KV cache of its own (reordered by source beam every step).
        Returns the finished candidates' tokens (without eot), sums, whether each ended at eot, the smallest margin
        of the decisions that chose them, and each candidate's log-probability at every step (eot's included)."""
        eot = self.eot
        max_candidates = round(beam_size * (patience or 1.0))
        decoders = [self.prompt_decoder] * beam_size
        beams = [()] * beam_size  # sampled tokens (the initial tokens are the same for all)
        sums = [0.0] * beam_size
        steps = {(): []}  # sequence -> its tokens' log-probabilities
        finished = {}  # sampled tokens + (eot,) -> sum, in the order openai adds them
        margin = NO_RIVAL
        for i in range(self.sample_len):
            candidates = []  # per beam: the top beam_size + 2 (log-probability, token)
            for j in range(beam_size):
                logits = self.first_logits if i == 0 else decoders[j].feed([beams[j][-1]])[-1]
                filtered, rule_margin = self.filtered(logits, list(beams[j]))
                if rule_margin is not None:
                    margin = min(margin, rule_margin)
                logprobs = F.log_softmax(filtered, dim=-1)
                candidates.append(list(zip(*top_k(logprobs, beam_size + 2))))

            # STEP 1: each beam's top beam_size + 1 continuations, keyed by the whole sequence (insertion order)
            scores, sources = {}, {}
            for j in range(beam_size):
                for logprob, token in candidates[j][:beam_size + 1]:
                    sequence = beams[j] + (token,)
                    scores[sequence] = self.add(sums[j], logprob)
                    sources[sequence] = j
                    steps[sequence] = steps[beams[j]] + [float(logprob)]

            # STEP 2: by score (a stable sort), eot candidates finish, the others fill the beams
            ordered = sorted(scores, key=scores.get, reverse=True)
            newly, kept, last = {}, [], None
            for position, sequence in enumerate(ordered):
                if sequence[-1] == eot:
                    newly[sequence] = scores[sequence]
                else:
                    kept.append(sequence)
                    if len(kept) == beam_size:
                        last = position
                        break

            # Margins: the cut after the last kept beam, eot candidates on either side of it, and a beam whose
            # weakest candidate was chosen against its first one left out.
            cut = scores[ordered[last]]
            following = next((s for s in ordered[last + 1:] if s[-1] != eot), None)
            if following is not None:
                margin = min(margin, gap(cut, scores[following]))
            for sequence in ordered:
                if sequence[-1] == eot:
                    margin = min(margin, gap(cut, scores[sequence]))
            chosen = set(kept) | set(newly)
            for j in range(beam_size):
                if len(candidates[j]) > beam_size + 1 and beams[j] + (candidates[j][beam_size][1],) in chosen:
                    margin = min(margin, gap(candidates[j][beam_size][0], candidates[j][beam_size + 1][0]))

            # newly finished sequences join the finished ones, best first, until max_candidates
            newly_ordered = sorted(newly, key=newly.get, reverse=True)
            for n, sequence in enumerate(newly_ordered):
                if len(finished) >= max_candidates:
                    margin = min(margin, gap(newly[newly_ordered[n - 1]], newly[sequence]))
                    break
                finished[sequence] = newly[sequence]

            decoders = [decoders[sources[sequence]].fork() for sequence in kept]
            beams = kept
            sums = [scores[sequence] for sequence in kept]
            if len(finished) >= max_candidates or len(self.initial) + i + 1 > self.n_ctx:
                break

        ended = {sequence: True for sequence in finished}
        if len(finished) < beam_size:  # finalize: the unfinished beams by sum (np.argsort, reversed)
            order = list(np.argsort(np.array(sums, dtype=self.np_dtype)))[::-1]
            for n, j in enumerate(order):
                finished[beams[j] + (eot,)] = sums[j]
                ended[beams[j] + (eot,)] = False
                if len(finished) >= beam_size:
                    if n + 1 < len(order):
                        margin = min(margin, gap(sums[j], sums[order[n + 1]]))
                    break
        sequences = list(finished)
        return ([list(s[:s.index(eot)]) for s in sequences], [finished[s] for s in sequences],
                [ended[s] for s in sequences], margin, [steps.get(s, steps.get(s[:-1])) for s in sequences])

    def rank(self, tokens, sums, length_penalty):
        """MaximumLikelihoodRanker: the first best of sum / length, or / ((5 + length) / 6) ** length_penalty; and
        the gap to the runner-up."""
        scores = []
        for total, sequence in zip(sums, tokens):
            length = len(sequence)
            penalty = length if length_penalty is None else ((5 + length) / 6) ** length_penalty
            scores.append(total / penalty)
        best = int(np.argmax(scores))
        rivals = [s for k, s in enumerate(scores) if tokens[k] != tokens[best]]  # copies of the best tie harmlessly
        return best, gap(scores[best], max(rivals)) if rivals else NO_RIVAL

    def attempt(self, temperature, settings, rng):
        """decode() with transcribe()'s options at one temperature: beam search at 0 when a beam size is given,
        else GreedyDecoder (best_of samples above 0). Returns the kept sequence and its figures."""
        if temperature == 0 and settings.beam_size is not None:
            tokens, sums, ended, margin, logprobs = self.beam_search(settings.beam_size, settings.patience)
            step_margins = None
        else:
            n_group = (settings.best_of or 1) if temperature > 0 else 1
            tokens, sums, ended, margins, logprobs = self.sample(temperature, n_group, rng)
            step_margins = margins[0] if n_group == 1 else None
            margin = min([NO_RIVAL] + [m for each in margins for m in each])
        best, rank_margin = self.rank(tokens, sums, settings.length_penalty)
        margin = min(margin, rank_margin)
        kept = tokens[best]
        if step_margins is None:  # several sequences: any close decision may change the kept one
            step_margins = [margin] * (len(kept) + 1)
        text = self.vocabulary.decode_text(kept).strip()
        return {"temperature": temperature, "tokens": kept, "logit_margins": step_margins,
                "token_logprobs": logprobs[best],
                "decision_margin": min([NO_RIVAL] + step_margins), "stopped_at_eot": ended[best],
                "sum_logprob": sums[best], "avg_logprob": sums[best] / (len(kept) + 1),
                "compression_ratio": compression_ratio(text), "no_speech_prob": self.no_speech_prob}

    def decode_with_fallback(self, settings, window_index):
        """transcribe.py's decode_with_fallback: each temperature in turn until an attempt needs no fallback; the last
        attempt is kept."""
        rng = MT19937_64(settings.seed + window_index)
        attempts = []
        for temperature in settings.temperatures:
            attempt = self.attempt(temperature, settings, rng)
            attempt["needs_fallback"] = settings.needs_fallback(attempt)
            attempt["threshold_margin"] = settings.threshold_margin(attempt)
            attempts.append(attempt)
            if not attempt["needs_fallback"]:
                break
        kept = attempts[-1]
        return {"initial_tokens": self.initial, "window_index": window_index,
                **{k: kept[k] for k in ("tokens", "logit_margins", "token_logprobs", "decision_margin",
                                        "stopped_at_eot", "no_speech_prob", "avg_logprob", "temperature",
                                        "compression_ratio")},
                "temperatures_tried": [a["temperature"] for a in attempts],
                "attempts": [{k: a[k] for k in ("temperature", "tokens", "logit_margins", "token_logprobs",
                                                "decision_margin", "stopped_at_eot", "avg_logprob",
                                                "compression_ratio", "needs_fallback", "threshold_margin")}
                             for a in attempts]}


def padded_log_mel(samples, n_mels):
    """The spectrogram openai's transcribe() slides over: the whole audio plus 30 s of zeros, normalised over all
    of it, computed in float64 (the engine's mel is closer to that than whisper's float32 run)."""
    filters = np.load(REFERENCE_DIR / "mel_filters.npz")[f"mel_{n_mels}"]
    return whisper_log_mel(samples, filters, WINDOW_SAMPLES, torch.float64)


def mel_at(padded, seek):
    """transcribe()'s window at `seek`: mel[:, seek:seek + segment_size] zero-padded to 3000 frames (pad_or_trim),
    where segment_size = min(3000, content frames - seek)."""
    content_frames = padded.shape[1] - WINDOW_FRAMES
    if not 0 <= seek < content_frames:
        raise SystemExit(f"seek {seek} is outside the audio's {content_frames} frames")
    segment_size = min(WINDOW_FRAMES, content_frames - seek)
    window = np.zeros((padded.shape[0], WINDOW_FRAMES))
    window[:, :segment_size] = padded[:, seek:seek + segment_size]
    return window, segment_size


def read_samples(path):
    """16 kHz mono audio: a WAV (16-bit PCM), or raw little-endian float32 samples (any other name)."""
    return read_wav(path) if path.lower().endswith(".wav") else np.fromfile(path, dtype="<f4")


def load_vocabulary(model, args):
    """The tiktoken file that gives the text (the compression ratio, words): --vocabulary, or gpt2.tiktoken for
    English-only models."""
    special = special_tokens(model.dims["n_vocab"])
    if model.dims["n_vocab"] != 51864 and args.vocabulary is None:
        raise SystemExit("a multilingual model needs --vocabulary (its tiktoken file)")
    return Vocabulary(args.vocabulary or REFERENCE_DIR / "gpt2.tiktoken", special)


def decode_windows(model, requests, args):
    """Each request {"audio": path, "seek": frame, "prompt": [previous tokens], "window_index": k} decoded with
    transcribe()'s fallback (window k samples with seed + k); spectrograms are computed once per audio file."""
    spectrograms, results = {}, []
    settings = DecodingSettings(args)
    vocabulary = load_vocabulary(model, args)
    for request in requests:
        audio = request["audio"]
        if audio not in spectrograms:
            spectrograms[audio] = padded_log_mel(read_samples(audio), model.dims["n_mels"])
        mel, segment_size = mel_at(spectrograms[audio], int(request["seek"]))
        decoder = WindowDecoder(model, model.encode(mel), request.get("prompt", []), parse_ids(args.suppress),
                                args.max_initial_timestamp, args.sample_len, args.language_token, vocabulary)
        result = decoder.decode_with_fallback(settings, int(request.get("window_index", 0)))
        results.append({"audio": audio, "seek": int(request["seek"]), "segment_size": segment_size, **result})
    return results


# ---- transcribe(): openai/whisper transcribe.py's loop, with timing.py's word timestamps ----------------------------

FRAMES_PER_SECOND = 100  # mel frames per second (HOP_LENGTH 160 at 16 kHz)
TOKENS_PER_SECOND = 50  # encoder positions per second
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"
ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  # Python's string.punctuation
LANGUAGES_WITHOUT_SPACES = {"zh", "ja", "th", "lo", "my", "yue"}
# tokenizer.py LANGUAGES' codes in order: the language tokens' names
LANGUAGE_CODES = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg "
                  "lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so "
                  "af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su "
                  "yue").split()


class Vocabulary:
    """Token bytes from a tiktoken file (the English-only gpt2 vocabulary by default); eot decodes to its name, as
    tiktoken decodes special tokens. Text as openai's tokenizer.decode gives it: UTF-8, invalid bytes replaced."""

    def __init__(self, path, special):
        self.eot = special["eot"]
        self.timestamp_begin = special["timestamp_begin"]
        self.table = {}
        with open(path) as f:
            for line in f:
                if line.strip():
                    token, rank = line.split()
                    self.table[int(rank)] = base64.b64decode(token)
        # tiktoken's special tokens decode to their names (tokenizer.py get_encoding's list)
        self.specials = {special["eot"]: "<|endoftext|>", special["sot"]: "<|startoftranscript|>",
                         special["translate"]: "<|translate|>", special["transcribe"]: "<|transcribe|>",
                         special["startoflm"]: "<|startoflm|>", special["startofprev"]: "<|startofprev|>",
                         special["nospeech"]: "<|nospeech|>", special["notimestamps"]: "<|notimestamps|>"}
        for i in range(special["languages"]):
            self.specials[special["first_language"] + i] = f"<|{LANGUAGE_CODES[i]}|>"
        self.table[self.eot] = b"<|endoftext|>"

    def decode_text(self, tokens):
        """openai's Tokenizer.decode: every token below the timestamps, special ones by name."""
        return b"".join(self.table.get(t, b"") if t not in self.specials else self.specials[t].encode()
                        for t in tokens if t < self.timestamp_begin).decode("utf-8", errors="replace")

    def decode_with_timestamps(self, tokens):
        return b"".join(self.table.get(t, b"") for t in tokens).decode("utf-8", errors="replace")

    def decode(self, tokens):
        return self.decode_with_timestamps([t for t in tokens if t < self.eot])

    def split_tokens_on_unicode(self, tokens):
        decoded_full = self.decode_with_timestamps(tokens)
        replacement_char = "\ufffd"
        words, word_tokens, current_tokens, unicode_offset = [], [], [], 0
        for token in tokens:
            current_tokens.append(token)
            decoded = self.decode_with_timestamps(current_tokens)
            if (replacement_char not in decoded
                    or decoded_full[unicode_offset + decoded.index(replacement_char)] == replacement_char):
                words.append(decoded)
                word_tokens.append(current_tokens)
                current_tokens = []
                unicode_offset += len(decoded)
        return words, word_tokens

    def split_tokens_on_spaces(self, tokens):
        subwords, subword_tokens_list = self.split_tokens_on_unicode(tokens)
        words, word_tokens = [], []
        for subword, subword_tokens in zip(subwords, subword_tokens_list):
            special = subword_tokens[0] >= self.eot
            with_space = subword.startswith(" ")
            punctuation = subword.strip() in ASCII_PUNCTUATION
            if special or with_space or punctuation or len(words) == 0:
                words.append(subword)
                word_tokens.append(subword_tokens)
            else:
                words[-1] = words[-1] + subword
                word_tokens[-1].extend(subword_tokens)
        return words, word_tokens

    def split_to_word_tokens(self, tokens, language):
        if language in LANGUAGES_WITHOUT_SPACES:
            return self.split_tokens_on_unicode(tokens)
        return self.split_tokens_on_spaces(tokens)


def median_filter(x, filter_width):
    """timing.median_filter: the median of each filter_width-wide window along the last axis (reflect padding)."""
    pad_width = filter_width // 2
    if x.shape[-1] <= pad_width:
        return x
    ndim = x.ndim
    if ndim <= 2:
        x = x[None, None, :]
    x = F.pad(x, (pad_width, pad_width, 0, 0), mode="reflect")
    result = x.unfold(-1, filter_width, 1).sort()[0][..., pad_width]
    return result[0, 0] if ndim <= 2 else result


def dtw(x):
    """timing.dtw_cpu + backtrace on float64 costs with float32 running totals (same comparisons and ties), computed
    one anti-diagonal at a time: every cell of a diagonal depends only on the two before it."""
    n, m = x.shape
    cost = np.full((n + 1, m + 1), np.inf, dtype=np.float32)
    trace = -np.ones((n + 1, m + 1), dtype=np.float32)
    cost[0, 0] = 0
    for d in range(2, n + m + 1):
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        c0, c1, c2 = cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1]
        t = np.where((c0 < c1) & (c0 < c2), 0, np.where((c1 < c0) & (c1 < c2), 1, 2))
        c = np.where(t == 0, c0, np.where(t == 1, c1, c2))
        cost[i, j] = (x[i - 1, j - 1] + c.astype(np.float64)).astype(np.float32)
        trace[i, j] = t
    i, j = trace.shape[0] - 1, trace.shape[1] - 1
    trace[0, :] = 2
    trace[:, 0] = 1
    result = []
    while i > 0 or j > 0:
        result.append((i - 1, j - 1))
        if trace[i, j] == 0:
            i, j = i - 1, j - 1
        elif trace[i, j] == 1:
            i -= 1
        elif trace[i, j] == 2:
            j -= 1
        else:
            raise ValueError("Unexpected trace[i, j]")
    return np.array(result)[::-1, :].T


def find_alignment(model, vocabulary, special, sot_sequence, language, text_tokens, audio, num_frames, heads,
                   medfilt_width=7):
    """timing.find_alignment: words of text_tokens with times (seconds from the window start) and probabilities.
    openai softmaxes the cross-attention scores cropped to the audio's frames; the model here gives the softmax over
    all frames, so the crop is renormalised (the same numbers)."""
    if len(text_tokens) == 0:
        return []
    eot = special["eot"]
    tokens = [*sot_sequence, special["notimestamps"], *text_tokens, eot]
    logits, cross = model.decode(tokens, audio)
    sampled_logits = logits[len(sot_sequence):, :eot]
    token_probs = sampled_logits.softmax(dim=-1)
    text_token_probs = token_probs[np.arange(len(text_tokens)), text_tokens].tolist()

    weights = torch.stack([cross[layer][head] for layer, head in heads])  # heads * tokens * frames
    weights = weights[:, :, : num_frames // 2]
    weights = weights / weights.sum(dim=-1, keepdim=True)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    weights = (weights - mean) / std
    weights = median_filter(weights, medfilt_width)
    matrix = weights.mean(axis=0)
    matrix = matrix[len(sot_sequence):-1]
    text_indices, time_indices = dtw(-matrix.double().numpy())

    words, word_tokens = vocabulary.split_to_word_tokens(text_tokens + [eot], language)
    if len(word_tokens) <= 1:
        return []
    word_boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / TOKENS_PER_SECOND
    start_times = jump_times[word_boundaries[:-1]]
    end_times = jump_times[word_boundaries[1:]]
    word_probabilities = [np.mean(text_token_probs[i:j]) for i, j in zip(word_boundaries[:-1], word_boundaries[1:])]
    return [dict(word=word, tokens=tokens, start=float(start), end=float(end), probability=float(probability))
            for word, tokens, start, end, probability in zip(words, word_tokens, start_times, end_times,
                                                            word_probabilities)]


def merge_punctuations(alignment, prepended, appended):
    """timing.merge_punctuations."""
    i, j = len(alignment) - 2, len(alignment) - 1
    while i >= 0:
        previous, following = alignment[i], alignment[j]
        if previous["word"].startswith(" ") and previous["word"].strip() in prepended:
            following["word"] = previous["word"] + following["word"]
            following["tokens"] = previous["tokens"] + following["tokens"]
            previous["word"], previous["tokens"] = "", []
        else:
            j = i
        i -= 1
    i, j = 0, 1
    while j < len(alignment):
        previous, following = alignment[i], alignment[j]
        if not previous["word"].endswith(" ") and following["word"] in appended:
            previous["word"] = previous["word"] + following["word"]
            previous["tokens"] = previous["tokens"] + following["tokens"]
            following["word"], following["tokens"] = "", []
        else:
            i = j
        j += 1


def add_word_timestamps(segments, alignment_args, last_speech_timestamp):
    """timing.add_word_timestamps with openai's default punctuations: words into the segments, segments moved to
    their words."""
    if len(segments) == 0:
        return
    eot = alignment_args["special"]["eot"]
    text_tokens_per_segment = [[token for token in segment["tokens"] if token < eot] for segment in segments]
    text_tokens = [token for tokens in text_tokens_per_segment for token in tokens]
    alignment = find_alignment(text_tokens=text_tokens, **alignment_args)
    word_durations = np.array([t["end"] - t["start"] for t in alignment])
    word_durations = word_durations[word_durations.nonzero()]
    median_duration = np.median(word_durations) if len(word_durations) > 0 else 0.0
    median_duration = min(0.7, float(median_duration))
    max_duration = median_duration * 2

    if len(word_durations) > 0:
        sentence_end_marks = ".。!！?？"
        for i in range(1, len(alignment)):
            if alignment[i]["end"] - alignment[i]["start"] > max_duration:
                if alignment[i]["word"] in sentence_end_marks:
                    alignment[i]["end"] = alignment[i]["start"] + max_duration
                elif alignment[i - 1]["word"] in sentence_end_marks:
                    alignment[i]["start"] = alignment[i]["end"] - max_duration

    merge_punctuations(alignment, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS)

    time_offset = segments[0]["seek"] * 160 / 16000
    word_index = 0
    for segment, text_tokens in zip(segments, text_tokens_per_segment):
        saved_tokens = 0
        words = []
        while word_index < len(alignment) and saved_tokens < len(text_tokens):
            timing = alignment[word_index]
            if timing["word"]:
                words.append(dict(word=timing["word"], tokens=timing["tokens"],
                                  start=round(time_offset + timing["start"], 2),
                                  end=round(time_offset + timing["end"], 2), probability=timing["probability"]))
            saved_tokens += len(timing["tokens"])
            word_index += 1

        if len(words) > 0:
            if words[0]["end"] - last_speech_timestamp > median_duration * 4 and (
                    words[0]["end"] - words[0]["start"] > max_duration
                    or (len(words) > 1 and words[1]["end"] - words[0]["start"] > max_duration * 2)):
                if len(words) > 1 and words[1]["end"] - words[1]["start"] > max_duration:
                    boundary = max(words[1]["end"] / 2, words[1]["end"] - max_duration)
                    words[0]["end"] = words[1]["start"] = boundary
                words[0]["start"] = max(0, words[0]["end"] - max_duration)

            if segment["start"] < words[0]["end"] and segment["start"] - 0.5 > words[0]["start"]:
                words[0]["start"] = max(0, min(words[0]["end"] - median_duration, segment["start"]))
            else:
                segment["start"] = words[0]["start"]

            if segment["end"] > words[-1]["start"] and segment["end"] + 0.5 < words[-1]["end"]:
                words[-1]["end"] = max(words[-1]["start"] + median_duration, segment["end"])
            else:
                segment["end"] = words[-1]["end"]

            last_speech_timestamp = segment["end"]
        segment["words"] = words


def get_end(segments):
    """utils.get_end."""
    return next((w["end"] for s in reversed(segments) for w in reversed(s["words"])),
                segments[-1]["end"] if segments else None)


def transcribe(model, samples, args):
    """openai's transcribe() at temperature 0 (greedy; no fallback, as with temperature=0), with its defaults
    otherwise: no_speech_threshold 0.6, logprob_threshold -1, condition_on_previous_text, max_initial_timestamp 1.
    Returns every decoded window ({seek, segment_size, tokens, logit_margins, no_speech_prob, avg_logprob, outcome})
    and the segments ({seek, start, end, tokens, words}), with what the hallucination rules did."""
    d = model.dims
    special = special_tokens(d["n_vocab"])
    multilingual = d["n_vocab"] != 51864
    if multilingual and args.language_token is None:
        raise SystemExit("a multilingual model needs --language-token (the language the engine decoded with)")
    if multilingual and (args.vocabulary is None or args.language is None):
        raise SystemExit("a multilingual model needs --vocabulary (its tiktoken file) and --language (the code)")
    language = args.language or "en"
    vocabulary = Vocabulary(args.vocabulary or REFERENCE_DIR / "gpt2.tiktoken", special)
    settings = DecodingSettings(args)
    sot_sequence = [special["sot"]] + ([args.language_token, special["transcribe"]] if multilingual else [])
    suppress = parse_ids(args.suppress)
    word_timestamps = bool(args.heads)
    heads = parse_heads(args.heads) if args.heads else []
    threshold = args.hallucination_silence_threshold
    no_speech_threshold, logprob_threshold = settings.no_speech_threshold, settings.logprob_threshold

    mel = padded_log_mel(samples, d["n_mels"])
    content_frames = mel.shape[-1] - WINDOW_FRAMES
    content_duration = float(content_frames * 160 / 16000)

    clip_timestamps = [float(ts) for ts in (args.clip_timestamps.split(",") if args.clip_timestamps else [])]
    seek_points = [round(ts * FRAMES_PER_SECOND) for ts in clip_timestamps]
    if len(seek_points) == 0:
        seek_points.append(0)
    if len(seek_points) % 2 == 1:
        seek_points.append(content_frames)
    # Cut to the audio: past its end openai would decode empty windows forever.
    seek_points = [min(point, content_frames) for point in seek_points]
    seek_clips = list(zip(seek_points[::2], seek_points[1::2]))

    punctuation = "\"'“¿([{-\"'.。,，!！?？:：”)]}、"
    input_stride = WINDOW_FRAMES // d["n_audio_ctx"]
    time_precision = input_stride * 160 / 16000
    all_tokens = parse_ids(args.initial_prompt)
    initial_prompt_length = len(all_tokens)
    all_segments, windows, hallucinations = [], [], []
    prompt_reset_since = 0

    def new_segment(*, start, end, tokens, result):
        return {"seek": seek, "start": start, "end": end, "tokens": tokens, "words": [],
                "temperature": result["temperature"], "avg_logprob": result["avg_logprob"],
                "compression_ratio": result["compression_ratio"], "no_speech_prob": result["no_speech_prob"]}

    def word_anomaly_score(word):
        probability = word.get("probability", 0.0)
        duration = word["end"] - word["start"]
        score = 0.0
        if probability < 0.15:
            score += 1.0
        if duration < 0.133:
            score += (0.133 - duration) * 15
        if duration > 2.0:
            score += duration - 2.0
        return score

    def is_segment_anomaly(segment):
        if segment is None or not segment["words"]:
            return False
        words = [w for w in segment["words"] if w["word"] not in punctuation]
        words = words[:8]
        score = sum(word_anomaly_score(w) for w in words)
        return score >= 3 or score + 0.01 >= len(words)

    def next_words_segment(segments):
        return next((s for s in segments if s["words"]), None)

    clip_idx = 0
    seek = seek_clips[clip_idx][0]
    last_speech_timestamp = 0.0
    window_index = 0  # counts every decoded window: window k samples with seed + k
    while clip_idx < len(seek_clips):
        seek_clip_start, seek_clip_end = seek_clips[clip_idx]
        if seek < seek_clip_start:
            seek = seek_clip_start
        if seek >= seek_clip_end:
            clip_idx += 1
            if clip_idx < len(seek_clips):
                seek = seek_clips[clip_idx][0]
            continue
        time_offset = float(seek * 160 / 16000)
        window_end_time = float((seek + WINDOW_FRAMES) * 160 / 16000)
        segment_size = min(WINDOW_FRAMES, content_frames - seek, seek_clip_end - seek)
        segment_duration = segment_size * 160 / 16000
        mel_segment = np.zeros((mel.shape[0], WINDOW_FRAMES))
        mel_segment[:, :segment_size] = mel[:, seek:seek + segment_size]
        audio = model.encode(mel_segment)

        decoder = WindowDecoder(model, audio, all_tokens[prompt_reset_since:], suppress, 1.0, args.sample_len,
                                args.language_token, vocabulary)
        result = decoder.decode_with_fallback(settings, window_index)
        window_index += 1
        window = {"seek": seek, "segment_size": segment_size, **{k: result[k] for k in (
            "tokens", "logit_margins", "token_logprobs", "no_speech_prob", "avg_logprob", "temperature",
            "temperatures_tried", "compression_ratio", "decision_margin", "window_index", "attempts")},
                  "outcome": "segments"}
        windows.append(window)
        tokens = torch.tensor(result["tokens"], dtype=torch.long)

        if no_speech_threshold is not None:
            should_skip = result["no_speech_prob"] > no_speech_threshold
            if logprob_threshold is not None and result["avg_logprob"] > logprob_threshold:
                should_skip = False
            if should_skip:
                window["outcome"] = "silence"
                seek += segment_size
                continue

        previous_seek = seek
        current_segments = []
        timestamp_tokens = tokens.ge(special["timestamp_begin"])
        single_timestamp_ending = timestamp_tokens[-2:].tolist() == [False, True]
        consecutive = torch.where(timestamp_tokens[:-1] & timestamp_tokens[1:])[0]
        consecutive.add_(1)
        if len(consecutive) > 0:
            slices = consecutive.tolist()
            if single_timestamp_ending:
                slices.append(len(tokens))
            last_slice = 0
            for current_slice in slices:
                sliced_tokens = tokens[last_slice:current_slice]
                start_timestamp_pos = sliced_tokens[0].item() - special["timestamp_begin"]
                end_timestamp_pos = sliced_tokens[-1].item() - special["timestamp_begin"]
                current_segments.append(new_segment(start=time_offset + start_timestamp_pos * time_precision,
                                                    end=time_offset + end_timestamp_pos * time_precision,
                                                    tokens=sliced_tokens.tolist(), result=result))
                last_slice = current_slice
            if single_timestamp_ending:
                seek += segment_size
            else:
                last_timestamp_pos = tokens[last_slice - 1].item() - special["timestamp_begin"]
                seek += last_timestamp_pos * input_stride
        else:
            duration = segment_duration
            timestamps = tokens[timestamp_tokens.nonzero().flatten()]
            if len(timestamps) > 0 and timestamps[-1].item() != special["timestamp_begin"]:
                last_timestamp_pos = timestamps[-1].item() - special["timestamp_begin"]
                duration = last_timestamp_pos * time_precision
            current_segments.append(new_segment(start=time_offset, end=time_offset + duration,
                                                tokens=tokens.tolist(), result=result))
            seek += segment_size

        if word_timestamps:
            alignment_args = dict(model=model, vocabulary=vocabulary, special=special, sot_sequence=sot_sequence,
                                  language=language, audio=audio, num_frames=segment_size, heads=heads)
            add_word_timestamps(current_segments, alignment_args, last_speech_timestamp)

            if not single_timestamp_ending:
                last_word_end = get_end(current_segments)
                if last_word_end is not None and last_word_end > time_offset:
                    seek = round(last_word_end * FRAMES_PER_SECOND)

            if threshold is not None:
                if not single_timestamp_ending:
                    last_word_end = get_end(current_segments)
                    if last_word_end is not None and last_word_end > time_offset:
                        remaining_duration = window_end_time - last_word_end
                        if remaining_duration > threshold:
                            seek = round(last_word_end * FRAMES_PER_SECOND)
                        else:
                            seek = previous_seek + segment_size

                first_segment = next_words_segment(current_segments)
                if first_segment is not None and is_segment_anomaly(first_segment):
                    gap = first_segment["start"] - time_offset
                    if gap > threshold:
                        seek = previous_seek + round(gap * FRAMES_PER_SECOND)
                        window["outcome"] = "leading-silence-skipped"
                        hallucinations.append({"seek": previous_seek, "rule": "leading silence", "next": seek})
                        continue

                hal_last_end = last_speech_timestamp
                for si in range(len(current_segments)):
                    segment = current_segments[si]
                    if not segment["words"]:
                        continue
                    if is_segment_anomaly(segment):
                        next_segment = next_words_segment(current_segments[si + 1:])
                        if next_segment is not None:
                            hal_next_start = next_segment["words"][0]["start"]
                        else:
                            hal_next_start = time_offset + segment_duration
                        silence_before = (segment["start"] - hal_last_end > threshold
                                          or segment["start"] < threshold
                                          or segment["start"] - time_offset < 2.0)
                        silence_after = (hal_next_start - segment["end"] > threshold
                                         or is_segment_anomaly(next_segment)
                                         or window_end_time - segment["end"] < 2.0)
                        if silence_before and silence_after:
                            seek = round(max(time_offset + 1, segment["start"]) * FRAMES_PER_SECOND)
                            if content_duration - segment["end"] < threshold:
                                seek = content_frames
                            hallucinations.append({"seek": previous_seek, "rule": "surrounded by silence",
                                                   "dropped": len(current_segments) - si, "next": seek})
                            current_segments[si:] = []
                            break
                    hal_last_end = segment["end"]

            last_word_end = get_end(current_segments)
            if last_word_end is not None:
                last_speech_timestamp = last_word_end

        for segment in current_segments:
            if segment["start"] == segment["end"] or vocabulary.decode(segment["tokens"]).strip() == "":
                segment["tokens"] = []
                segment["words"] = []
        all_segments.extend(current_segments)
        all_tokens.extend([token for segment in current_segments for token in segment["tokens"]])
        if result["temperature"] > 0.5:  # condition_on_previous_text, but not on text sampled this hot
            prompt_reset_since = len(all_tokens)

    return {"windows": windows, "segments": all_segments, "hallucinations": hallucinations,
            "text": vocabulary.decode(all_tokens[initial_prompt_length:]), "content_frames": content_frames}


def log_mel_window(wav, n_mels, dtype):
    filters = np.load(REFERENCE_DIR / "mel_filters.npz")[f"mel_{n_mels}"]
    return whisper_log_mel(read_wav(wav), filters, WINDOW_SAMPLES, dtype)[:, :WINDOW_FRAMES].astype(np.float32)


def load_audio_input(args, dims, dtype):
    if args.mel:
        mel = np.load(args.mel)
        if mel.shape != (dims["n_mels"], 2 * dims["n_audio_ctx"]):
            raise SystemExit(f"{args.mel}: shape {mel.shape}, the model needs ({dims['n_mels']}, "
                             f"{2 * dims['n_audio_ctx']})")
        return mel
    if 2 * dims["n_audio_ctx"] != WINDOW_FRAMES:
        raise SystemExit(f"--wav gives {WINDOW_FRAMES} frames; this model takes {2 * dims['n_audio_ctx']}: use --mel")
    return log_mel_window(args.wav, dims["n_mels"], dtype)


def parse_ids(text):
    return [int(t) for t in text.split(",") if t.strip()] if text else []


def parse_heads(text):
    try:
        heads = [tuple(int(v) for v in pair.split(":")) for pair in text.split(",")]
    except ValueError:
        heads = []
    if not heads or any(len(pair) != 2 for pair in heads):
        raise SystemExit(f"--heads: expected layer:head,layer:head,..., got {text!r}")
    return heads


def optional_float(text):
    """A threshold, or none (openai's None: the rule is off)."""
    return None if text.lower() in ("none", "null") else float(text)


def parse_temperatures(text):
    try:
        return [float(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected temperatures such as 0,0.2,0.4, got {text!r}")


def add_decoding_arguments(p):
    """transcribe()'s decoding options and fallback thresholds (window and transcribe)."""
    p.add_argument("--beam-size", type=int, help="beams of beam search at temperature 0 (default: greedy)")
    p.add_argument("--best-of", type=int, help="sequences sampled above temperature 0, the best kept (default 1)")
    p.add_argument("--patience", type=float, help="beam search patience (default 1.0; needs --beam-size)")
    p.add_argument("--length-penalty", type=float, help="the ranker's alpha in [0, 1] (default: sum / length)")
    p.add_argument("--temperatures", type=parse_temperatures, default=[0.0],
                   help="comma-separated fallback temperatures, tried in order (default 0: one attempt)")
    p.add_argument("--compression-ratio-threshold", type=optional_float, default=2.4, help="or none")
    p.add_argument("--logprob-threshold", type=optional_float, default=-1.0, help="or none")
    p.add_argument("--no-speech-threshold", type=optional_float, default=0.6, help="or none")
    p.add_argument("--seed", type=int, default=0, help="window k samples with std::mt19937_64(seed + k)")


def save(path, array):
    np.save(path, np.ascontiguousarray(np.asarray(array, dtype=np.float32)))
    print(f"wrote {path} {tuple(np.shape(array))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, model=True, audio=True):
        p = commands.add_parser(name)
        if model:
            p.add_argument("model", help="model folder")
        if audio:
            source = p.add_mutually_exclusive_group(required=True)
            source.add_argument("--wav", help="16 kHz mono 16-bit WAV; its first 30 s window is used")
            source.add_argument("--mel", help="log-mel .npy of shape (n_mels, 3000)")
        p.add_argument("--precision", choices=["float32", "float64"], default="float32")
        p.add_argument("--out", required=True)
        return p

    mel = command("mel", model=False, audio=False)
    mel.add_argument("--wav", required=True)
    mel.add_argument("--n-mels", type=int, choices=[80, 128], required=True)
    command("encode")
    logits = command("logits")
    logits.add_argument("--tokens", required=True, help="comma-separated token ids")
    logits.add_argument("--heads", help="cross-attention heads to record, as layer:head,layer:head")
    logits.add_argument("--attention-out", help=".npy for the --heads weights, (T, heads, n_audio_ctx)")
    decode = command("greedy")
    decode.add_argument("--tokens", required=True, help="comma-separated prefix token ids")
    decode.add_argument("--steps", type=int, required=True)
    decode.add_argument("--rules", choices=["argmax", "whisper"], default="argmax")
    decode.add_argument("--suppress", default="", help="comma-separated ids suppressed at every step")
    window = commands.add_parser("window")
    window.add_argument("model", help="model folder")
    source = window.add_mutually_exclusive_group(required=True)
    source.add_argument("--audio", help="16 kHz mono audio: a .wav (16-bit PCM) or raw little-endian float32 samples")
    source.add_argument("--requests", help="JSON list of {\"audio\", \"seek\", \"prompt\"}: many windows, one run")
    window.add_argument("--seek", type=int, default=0, help="mel frame where the window starts (with --audio)")
    window.add_argument("--prompt", default="", help="comma-separated previous tokens (with --audio)")
    window.add_argument("--suppress", default="", help="comma-separated ids suppressed at every step")
    window.add_argument("--max-initial-timestamp", type=float, default=1.0, help="seconds; 0 lifts the limit")
    window.add_argument("--sample-len", type=int, default=0, help="most tokens to sample; 0: n_text_ctx // 2")
    window.add_argument("--window-index", type=int, default=0, help="the window's number (its seed, with --audio)")
    window.add_argument("--language-token", type=int, help="multilingual models: the language token")
    window.add_argument("--vocabulary", help="tiktoken file (default: test/fixtures/reference/gpt2.tiktoken)")
    add_decoding_arguments(window)
    window.add_argument("--precision", choices=["float32", "float64"], default="float32")
    window.add_argument("--out", required=True)
    whole = commands.add_parser("transcribe")
    whole.add_argument("model", help="model folder")
    whole.add_argument("--audio", required=True,
                       help="16 kHz mono audio: a .wav (16-bit PCM) or raw little-endian float32 samples")
    whole.add_argument("--suppress", default="", help="comma-separated ids suppressed at every step")
    whole.add_argument("--initial-prompt", default="", help="comma-separated token ids of the initial prompt")
    whole.add_argument("--heads", help="word timestamps with these alignment heads, as layer:head,layer:head")
    whole.add_argument("--clip-timestamps", default="0", help="start,end,start,end,... seconds (openai's string)")
    whole.add_argument("--hallucination-silence-threshold", type=float, help="seconds (acts with --heads only)")
    whole.add_argument("--sample-len", type=int, default=0, help="most tokens to sample; 0: n_text_ctx // 2")
    whole.add_argument("--vocabulary", help="tiktoken file (default: test/fixtures/reference/gpt2.tiktoken)")
    whole.add_argument("--language", help="multilingual models: the language code (how words are split)")
    whole.add_argument("--language-token", type=int, help="multilingual models: the language token")
    add_decoding_arguments(whole)
    whole.add_argument("--precision", choices=["float32", "float64"], default="float32")
    whole.add_argument("--out", required=True)
    dequantize = command("dequantize", audio=False)
    dequantize.add_argument("--module", required=True, help="e.g. decoder.blocks.0.mlp1")
    dequantize.add_argument("--rounding", choices=["fused", "separate"], default="fused")
    args = parser.parse_args()

    dtype = torch.float64 if args.precision == "float64" else torch.float32
    torch.set_grad_enabled(False)
    if args.command == "mel":
        save(args.out, log_mel_window(args.wav, args.n_mels, dtype))
        return
    weights = WhisperWeights(args.model, dtype)
    if args.command == "dequantize":
        module = args.module[:-len(".weight")] if args.module.endswith(".weight") else args.module
        save(args.out, weights.dequantized(module, args.rounding))
        return
    if args.command == "logits" and bool(args.heads) != bool(args.attention_out):
        parser.error("--heads and --attention-out go together")

    model = Whisper(weights)
    if args.command == "transcribe":
        result = transcribe(model, read_samples(args.audio), args)
        with open(args.out, "w") as f:
            json.dump(result, f)
            f.write("\n")
        print(f"wrote {args.out} ({len(result['windows'])} windows, {len(result['segments'])} segments)")
        return
    if args.command == "window":
        if args.requests:
            with open(args.requests) as f:
                requests = json.load(f)
        else:
            requests = [{"audio": args.audio, "seek": args.seek, "prompt": parse_ids(args.prompt),
                         "window_index": args.window_index}]
        results = decode_windows(model, requests, args)
        with open(args.out, "w") as f:
            json.dump(results if args.requests else results[0], f)
            f.write("\n")
        print(f"wrote {args.out} ({len(results)} windows)")
        return
    audio = model.encode(load_audio_input(args, model.dims, dtype))
    if args.command == "encode":
        save(args.out, audio)
    elif args.command == "logits":
        result, cross = model.decode(parse_ids(args.tokens), audio)
        save(args.out, result)
        if args.heads:
            heads = parse_heads(args.heads)
            d = model.dims
            for layer, head in heads:
                if not (0 <= layer < d["n_text_layer"] and 0 <= head < d["n_text_head"]):
                    raise SystemExit(f"--heads: {layer}:{head} is outside the decoder's {d['n_text_layer']} layers "
                                     f"x {d['n_text_head']} heads")
            save(args.attention_out, torch.stack([cross[layer][head] for layer, head in heads], dim=1))
    else:
        result = greedy(model, audio, parse_ids(args.tokens), args.steps, args.rules, parse_ids(args.suppress))
        with open(args.out, "w") as f:
            json.dump(result, f)
            f.write("\n")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
