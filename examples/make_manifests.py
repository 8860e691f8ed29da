"""Write examples/gpt2-small.toml and examples/llama-1b.toml: every tensor that transformers'
`save_pretrained` writes for GPT-2 small (124M) and a Llama 3.2 1B-shaped model, with the scheme
that transformers' `_init_weights` gives it (rules and citations: examples/transformers_init.py).

The models are built on the `meta` device: shapes only, no memory, no weights drawn.

    pip install torch transformers
    nice -n 19 python examples/make_manifests.py [--save DIR]

With --save DIR it also builds both models for real (f32 on the CPU, then cast to the manifest's
dtype), as a user of transformers has them, and saves them sharded under DIR, for
`initspec audit DIR/gpt2-small --manifest examples/gpt2-small.toml`.

Then, for example:

    initspec init  --manifest examples/gpt2-small.toml --out gpt2-init --shards 4
    initspec audit gpt2-init --manifest examples/gpt2-small.toml
"""

from __future__ import annotations

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import transformers_init as ti  # noqa: E402

# GPT-2 small: GPT2Config's defaults are exactly this model (transformers
# models/gpt2/configuration_gpt2.py; the config.json of openai-community/gpt2 on the Hugging Face
# Hub; Radford et al. 2019, Table 2, 117M as counted there).
GPT2_SMALL = dict(
    vocab_size=50257,
    n_positions=1024,
    n_embd=768,
    n_layer=12,
    n_head=12,
    initializer_range=0.02,
    tie_word_embeddings=True,
)

# Llama 3.2 1B: the config.json of meta-llama/Llama-3.2-1B on the Hugging Face Hub. RoPE
# (rope_theta 500000, llama3 scaling with factor 32) has no saved tensor and does not change any
# shape, so it is left at the defaults here.
LLAMA_3_2_1B = dict(
    vocab_size=128256,
    hidden_size=2048,
    intermediate_size=8192,
    num_hidden_layers=16,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=64,
    max_position_embeddings=131072,
    rms_norm_eps=1e-5,
    tie_word_embeddings=True,
    attention_bias=False,
    mlp_bias=False,
    initializer_range=0.02,
    bos_token_id=128000,
    eos_token_id=128001,
    pad_token_id=None,
)


def config_lines(cfg: dict) -> list[str]:
    items = [f"{k}={v}" for k, v in cfg.items()]
    out, line = [], "  "
    for item in items:
        if len(line) + len(item) > 94:
            out.append(line.rstrip(", "))
            line = "  "
        line += item + ", "
    out.append(line.rstrip(", "))
    return out


def build_meta(cls, config):
    with torch.device("meta"):
        return cls(config)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--save",
        metavar="DIR",
        help="also build each model for real with transformers and save_pretrained it under DIR",
    )
    args = parser.parse_args()
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    jobs = [
        (
            "gpt2-small.toml",
            "GPT-2 small (124M) as transformers' GPT2LMHeadModel initializes it from its config.",
            GPT2LMHeadModel,
            GPT2Config(**GPT2_SMALL),
            GPT2_SMALL,
            "f32",
            [
                "Config (GPT2Config defaults = openai-community/gpt2's config.json):",
                *config_lines(GPT2_SMALL),
                "",
                "Every weight N(0, 0.02²) but the residual projections attn.c_proj and mlp.c_proj,",
                "N(0, (0.02/√(2·12))²) = N(0, 0.004082482904638631²) = scaled_normal(n_layer=12);",
                "LayerNorm weight 1, every bias 0. Conv1D weights are [in, out]: layout in-out.",
                "lm_head.weight is tied to transformer.wte.weight and not stored.",
                "",
                "  initspec init  --manifest examples/gpt2-small.toml --out gpt2-init --shards 4",
                "  initspec audit gpt2-init --manifest examples/gpt2-small.toml",
            ],
        ),
        (
            "llama-1b.toml",
            "A Llama 3.2 1B-shaped model as transformers' LlamaForCausalLM initializes it.",
            LlamaForCausalLM,
            LlamaConfig(**LLAMA_3_2_1B),
            LLAMA_3_2_1B,
            "bf16",
            [
                "Config (meta-llama/Llama-3.2-1B's config.json on the Hugging Face Hub):",
                *config_lines(LLAMA_3_2_1B),
                "",
                "LlamaPreTrainedModel has no _init_weights of its own: every nn.Linear and the",
                "embedding N(0, 0.02²) regardless of width or depth (o_proj and down_proj are NOT",
                "depth-scaled, unlike GPT-2's c_proj), every RMSNorm weight 1, no biases. The",
                "embedding has no padding row (pad_token_id is null). lm_head is tied and not stored.",
                "dtype bf16, as the published checkpoint; transformers draws in f32 and casts.",
                "",
                "  initspec init  --manifest examples/llama-1b.toml --out llama-init --shards 8",
                "  initspec audit llama-init --manifest examples/llama-1b.toml",
            ],
        ),
    ]
    for file, title, cls, config, _, dtype, header in jobs:
        model = build_meta(cls, config)
        text, n_tensors, n_params = ti.manifest_text(model, title=title, header=header, dtype=dtype)
        path = os.path.join(HERE, file)
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}: {n_tensors} tensors, {n_params:,} parameters ({ti.versions()})")
        if args.save:
            # The real thing, for `initspec audit DIR --manifest` at full size: transformers builds
            # and initializes the model on the CPU (f32), casts it to the manifest's dtype and
            # writes it sharded. GPT-2 small needs ~1 GB of memory, the Llama 1B ~8 GB.
            out = os.path.join(args.save, file.removesuffix(".toml"))
            torch.manual_seed(0)
            real = cls(config)
            if dtype == "bf16":
                real = real.to(torch.bfloat16)
            real.save_pretrained(out, max_shard_size="1GB")
            print(f"saved {out}: initspec audit {out} --manifest {path}")
            del real


if __name__ == "__main__":
    main()
