#!/usr/bin/env python3
"""A Nemotron Speech Streaming folder in transformers' layout (config.json, model.safetensors, tokenizer.json, what
test/reference/nemotron_reference.py make-model writes) as a NeMo `.nemo` archive, the input of nemotron-asr.cpp's
scripts/convert_to_gguf.py: the same weights for our engine, transformers and nemotron-asr.cpp in
test/bench/nemotron.mjs.

usage: nemotron_nemo.py MODEL_DIR OUT.nemo

Run it with the reference Python (torch, librosa, PyYAML, safetensors). The archive is an uncompressed tar of:
  model_config.yaml   the fields the converter reads, in NeMo's config names (encoder, decoder.prednet,
                      joint.jointnet, joint.num_classes, joint.vocabulary), from config.json and the tokenizer
  model_weights.ckpt  torch.save of the state dict under NeMo's names (NEMO_NAMES: transformers' NeMo→HF renaming for
                      this model inverted; both sides are PyTorch modules, so no tensor changes layout), in float32,
                      plus the preprocessor's mel filterbank (librosa Slaney, as transformers' feature extractor and
                      NeMo build it) and window (symmetric Hann), which NeMo's checkpoint carries and transformers drops

nemotron-asr.cpp implements the English model's form only: no biases in the encoder's linear and convolution layers,
no input scaling, no language prompt. A folder of another form is refused (the GGML model would compute something
else).
"""
import json
import os
import re
import sys

from nemo_archive import add_preprocessor, write_nemo

# transformers' name (a regular expression) → NeMo's, in order; the first match is used.
NEMO_NAMES = [
    (r"^encoder\.subsampling\.conv_in\.", "encoder.pre_encode.conv.0."),
    (r"^encoder\.subsampling\.layers\.0\.depthwise_conv\.", "encoder.pre_encode.conv.2."),
    (r"^encoder\.subsampling\.layers\.0\.pointwise_conv\.", "encoder.pre_encode.conv.3."),
    (r"^encoder\.subsampling\.layers\.1\.depthwise_conv\.", "encoder.pre_encode.conv.5."),
    (r"^encoder\.subsampling\.layers\.1\.pointwise_conv\.", "encoder.pre_encode.conv.6."),
    (r"^encoder\.subsampling\.linear\.", "encoder.pre_encode.out."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.q_proj\.", r"\1.linear_q."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.k_proj\.", r"\1.linear_k."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.v_proj\.", r"\1.linear_v."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.o_proj\.", r"\1.linear_out."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.relative_k_proj\.", r"\1.linear_pos."),
    (r"^(encoder\.layers\.\d+\.self_attn)\.bias_([uv])$", r"\1.pos_bias_\2"),
    # NeMo keeps the attribute name batch_norm when the convolution module's norm is a LayerNorm
    (r"^(encoder\.layers\.\d+\.conv)\.norm\.", r"\1.batch_norm."),
    (r"^(encoder\.layers\.\d+\.(?:feed_forward[12]\.linear[12]|conv\.(?:depthwise_conv|pointwise_conv[12])"
     r"|norm_(?:feed_forward[12]|self_att|conv|out))\.)", r"\1"),
    (r"^decoder\.embedding\.", "decoder.prediction.embed."),
    (r"^decoder\.lstm\.", "decoder.prediction.dec_rnn.lstm."),
    (r"^decoder\.decoder_projector\.", "joint.pred."),
    (r"^encoder_projector\.", "joint.enc."),
    (r"^joint\.head\.", "joint.joint_net.2."),
]


def nemo_name(name):
    for pattern, replacement in NEMO_NAMES:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name)
    raise SystemExit(f"{name}: no NeMo name for this tensor (nemotron_nemo.py knows the English model's tensors only)")


def vocabulary(folder, size):
    """The pieces in id order, without the blank (the last id), from tokenizer.json's Unigram model."""
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        pieces = [piece for piece, _score in json.load(f)["model"]["vocab"]]
    if len(pieces) < size:
        raise SystemExit(f"{folder}/tokenizer.json: {len(pieces)} pieces, the model has {size} (+ blank)")
    return pieces[:size]


def model_config(cfg, state, pieces):
    enc = cfg["encoder_config"]
    for key in ("attention_bias", "convolution_bias", "scale_input"):
        if enc.get(key):
            raise SystemExit(f"config.json: encoder_config.{key} is true; nemotron-asr.cpp implements the English "
                             "model's form only (no encoder biases, no input scaling)")
    if cfg.get("num_prompts"):
        raise SystemExit("config.json: a prompted (Nemotron 3.5) model; this writer handles the English model only")
    left = enc["sliding_window"] - 1
    return {
        "encoder": {
            "feat_in": enc["num_mel_bins"],
            "d_model": enc["hidden_size"],
            "n_heads": enc["num_attention_heads"],
            "ff_expansion_factor": enc["intermediate_size"] // enc["hidden_size"],
            "n_layers": enc["num_hidden_layers"],
            "conv_kernel_size": enc["conv_kernel_size"],
            "subsampling": "dw_striding",
            "subsampling_factor": enc["subsampling_factor"],
            "subsampling_conv_channels": enc["subsampling_conv_channels"],
            "causal_downsampling": True,
            "self_attention_model": "rel_pos",
            "att_context_style": "chunked_limited",
            "att_context_size": [[left, r] for r in (13, 6, 1, 0)],
            "conv_norm_type": "layer_norm",
            "conv_context_size": "causal",
            "xscaling": False,
        },
        "decoder": {
            "vocab_size": len(pieces),
            "blank_as_pad": True,
            "prednet": {"pred_hidden": cfg["decoder_hidden_size"], "pred_rnn_layers": cfg["num_decoder_layers"]},
        },
        "joint": {
            "num_classes": len(pieces),
            "vocabulary": pieces,
            "jointnet": {
                "joint_hidden": int(state["joint.enc.weight"].shape[0]),
                "activation": cfg.get("hidden_act", "relu"),
                "encoder_hidden": enc["hidden_size"],
                "pred_hidden": cfg["decoder_hidden_size"],
            },
        },
        "preprocessor": {
            "sample_rate": 16000, "window_size": 0.025, "window_stride": 0.01, "n_fft": 512,
            "features": enc["num_mel_bins"], "window": "hann", "normalize": "NA", "dither": 0.0,
        },
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    folder, out = sys.argv[1], sys.argv[2]
    from safetensors.torch import load_file

    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    state = {nemo_name(name): value.float() for name, value in load_file(os.path.join(folder, "model.safetensors")).items()}
    pieces = vocabulary(folder, cfg["vocab_size"] - 1)
    config = model_config(cfg, state, pieces)

    add_preprocessor(state, config["preprocessor"])
    write_nemo(out, config, state)
    print(f"{out}: {len(pieces)} pieces")


if __name__ == "__main__":
    main()
