"""What Hugging Face transformers' `_init_weights` specifies for each tensor of a model.

Shared by examples/make_manifests.py (GPT-2 small, Llama 3.2 1B) and
crates/initspec-cli/tests/fixtures/transformers/make_transformers_fixtures.py (tiny GPT-2, BERT,
Llama checkpoints). Python and transformers are used to write manifests and fixtures only; initspec
itself never runs them.

How transformers initializes a model it builds from a config (read from the installed
transformers, 5.x; `source_citations()` prints the file and line of every function named here):

1. Every module's constructor runs first (nn.Linear: kaiming_uniform(a=√5), nn.Embedding: N(0, 1),
   GPT-2's Conv1D: N(0, 0.02²), ...). None of these survive: step 2 overwrites every parameter.
2. `PreTrainedModel.post_init` -> `init_weights` -> `initialize_weights`, which walks the module
   tree children first (`smart_apply`, the order of `nn.Module.apply`) and calls
   `_initialize_weights(module)` -> the model family's `_init_weights(module)` on each module once.
   A family's `_init_weights` first calls `PreTrainedModel._init_weights` (modeling_utils.py):
     - nn.Linear / nn.Conv{1,2,3}d / nn.ConvTranspose{1,2}d: weight N(0, std²), bias 0,
       with std = config.initializer_range (0.02 by default);
     - nn.Embedding: weight N(0, std²), then the row `padding_idx` (if any) set to 0;
     - any module whose class name contains "LayerNorm" or "RMSNorm", nn.GroupNorm, BatchNorm:
       weight 1, bias 0;
   then its own rules (below). A parent module runs after its children, so a parent's rule for a
   child's parameter (GPT-2's c_proj) wins.
3. `tie_weights` then points the tied targets (`lm_head.weight`, BERT's
   `cls.predictions.decoder.{weight,bias}`) at their sources; `save_pretrained` writes the source
   only, and non-persistent buffers (position_ids, rotary inv_freq) not at all.

This module replays step 2 symbolically: `init_rules(model)` walks the same tree in the same order
and records, for every parameter name, the initspec scheme string of the last rule that wrote it
and the rule's citation. Run it on a model built on the `meta` device, so it costs no memory.
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Rule:
    """The scheme one `_init_weights` rule gives a parameter, and where that rule is written."""

    scheme: str
    layout: str | None  # None: the manifest's default ("out-in")
    cite: str  # the function and the module type it matched
    note: str | None = None  # what the scheme string cannot say (a zeroed row)


def _num(x: float) -> str:
    """A float as Rust float syntax accepts it, shortest round-trip form."""
    return repr(float(x))


def base_std(config) -> float:
    """`PreTrainedModel._init_weights`: `std = config.initializer_range or 0.02` (first branch)."""
    if hasattr(config, "initializer_range"):
        return config.initializer_range or 0.02
    raise ValueError("config without initializer_range: not a model this module knows")


def _family(model) -> str:
    name = type(model).__name__
    for family in ("GPT2", "Bert", "Llama"):
        if name.startswith(family):
            return family
    raise ValueError(f"{name}: no _init_weights rules written for this family")


def _base_rules(module: nn.Module, std: float, out: dict[str, Rule], prefix: str) -> None:
    """`PreTrainedModel._init_weights` (modeling_utils.py), the branches these models reach."""
    cite = "PreTrainedModel._init_weights"
    if isinstance(
        module,
        (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d),
    ):
        kind = type(module).__name__
        if getattr(module, "weight", None) is not None:
            out[prefix + "weight"] = Rule(
                f"normal(std={_num(std)})", None, f"{cite} ({kind}: normal_(weight, std=initializer_range))"
            )
        if module.bias is not None:
            out[prefix + "bias"] = Rule("zeros", None, f"{cite} ({kind}: zeros_(bias))")
    elif isinstance(module, nn.Embedding):
        note = None
        if module.padding_idx is not None:
            note = (
                f"row {module.padding_idx} (padding_idx = pad_token_id) is then set to 0: "
                f"{module.embedding_dim} exact zeros, so the tensor is not iid normal"
            )
        what = "normal_(weight, std=initializer_range)"
        if module.padding_idx is not None:
            what += f"; zeros_(weight[padding_idx={module.padding_idx}])"
        out[prefix + "weight"] = Rule(f"normal(std={_num(std)})", None, f"{cite} (nn.Embedding: {what})", note)
    elif (
        isinstance(module, (nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
        or "LayerNorm" in type(module).__name__
        or "RMSNorm" in type(module).__name__
    ):
        kind = type(module).__name__
        if getattr(module, "weight", None) is not None:
            out[prefix + "weight"] = Rule("ones", None, f"{cite} ({kind}: ones_(weight))")
        if getattr(module, "bias", None) is not None:
            out[prefix + "bias"] = Rule("zeros", None, f"{cite} ({kind}: zeros_(bias))")


def _gpt2_rules(module: nn.Module, config, out: dict[str, Rule], prefix: str) -> None:
    """`GPT2PreTrainedModel._init_weights` (models/gpt2/modeling_gpt2.py)."""
    from transformers.models.gpt2.modeling_gpt2 import GPT2MLP, GPT2Attention
    from transformers.pytorch_utils import Conv1D

    cite = "GPT2PreTrainedModel._init_weights"
    std = config.initializer_range
    if isinstance(module, Conv1D):
        # Conv1D stores its weight [in, out] (x @ W): layout in-out.
        out[prefix + "weight"] = Rule(
            f"normal(std={_num(std)})", "in-out", f"{cite} (Conv1D: normal_(weight, std=initializer_range))"
        )
        if module.bias is not None:
            out[prefix + "bias"] = Rule("zeros", None, f"{cite} (Conv1D: zeros_(bias))")
    if isinstance(module, (GPT2Attention, GPT2MLP)):
        # std = initializer_range / math.sqrt(2 * n_layer): GPT-2's residual scaling, 2 residual
        # branches per block; initspec's scaled_normal(n_layer, std, residuals=2) is this law.
        n = config.n_layer
        sigma = std / math.sqrt(2 * n)
        out[prefix + "c_proj.weight"] = Rule(
            f"scaled_normal(n_layer={n}, std={_num(std)})",
            "in-out",
            f"{cite} ({type(module).__name__}: normal_(c_proj.weight, "
            f"std=initializer_range / math.sqrt(2 * n_layer)) = {_num(std)}/sqrt({2 * n}) = {_num(sigma)})",
        )


def _bert_rules(module: nn.Module, config, out: dict[str, Rule], prefix: str) -> None:
    """`BertPreTrainedModel._init_weights` (models/bert/modeling_bert.py)."""
    from transformers.models.bert.modeling_bert import BertLMPredictionHead

    if isinstance(module, BertLMPredictionHead):
        out[prefix + "bias"] = Rule(
            "zeros", None, "BertPreTrainedModel._init_weights (BertLMPredictionHead: zeros_(bias))"
        )
    # BertEmbeddings: copy_(position_ids, arange), zeros_(token_type_ids): non-persistent
    # buffers, never saved.


def init_rules(model: nn.Module) -> dict[str, Rule]:
    """Every parameter name of `model` (tied targets included) -> the rule that wrote it last.

    Walks the module tree children first, as `PreTrainedModel.initialize_weights` does, and for
    each module applies the base rules and then the family's own, so later writes win exactly as
    they do in transformers.
    """
    family = _family(model)
    config = model.config
    std = base_std(config)
    out: dict[str, Rule] = {}

    def visit(module: nn.Module, prefix: str) -> None:
        for name, child in module.named_children():
            visit(child, f"{prefix}{name}.")
        _base_rules(module, std, out, prefix)
        if family == "GPT2":
            _gpt2_rules(module, config, out, prefix)
        elif family == "Bert":
            _bert_rules(module, config, out, prefix)
        # Llama: LlamaPreTrainedModel defines no _init_weights of its own (models/llama/
        # modeling_llama.py); the base rules are all. LlamaRotaryEmbedding's inv_freq is a
        # non-persistent buffer, recomputed, never saved.

    visit(model, "")
    return out


def saved_tensors(model: nn.Module) -> dict[str, tuple[list[int], torch.dtype]]:
    """Names, shapes and dtypes that `save_pretrained` writes: the state dict (parameters and
    persistent buffers) less the tied targets, which are stored once under their source's name."""
    tied = set(getattr(model, "all_tied_weights_keys", {}) or {})
    return {
        name: (list(t.shape), t.dtype)
        for name, t in model.state_dict().items()
        if name not in tied
    }


def not_saved(model: nn.Module) -> list[str]:
    """One line per tensor the model has but `save_pretrained` does not write, and why."""
    lines = []
    tied = dict(getattr(model, "all_tied_weights_keys", {}) or {})
    for target, source in sorted(tied.items()):
        lines.append(f"{target}: tied to {source}, stored once under that name")
    persistent = set(model.state_dict())
    for name, _ in model.named_buffers():
        if name not in persistent:
            lines.append(f"{name}: non-persistent buffer, not saved")
    return lines


def source_citations(model: nn.Module) -> list[str]:
    """File (relative to the transformers package) and first line of each function whose rules
    apply to `model`."""
    import transformers
    from transformers.modeling_utils import PreTrainedModel

    items = [
        ("PreTrainedModel.initialize_weights (the walk, children first)", PreTrainedModel.initialize_weights),
        ("PreTrainedModel._init_weights", PreTrainedModel._init_weights),
    ]
    family = _family(model)
    if family == "GPT2":
        from transformers.models.gpt2.modeling_gpt2 import GPT2PreTrainedModel
        from transformers.pytorch_utils import Conv1D

        items += [
            ("GPT2PreTrainedModel._init_weights", GPT2PreTrainedModel._init_weights),
            ("Conv1D (weight [in, out])", Conv1D),
        ]
    elif family == "Bert":
        from transformers.models.bert.modeling_bert import BertPreTrainedModel

        items.append(("BertPreTrainedModel._init_weights", BertPreTrainedModel._init_weights))
    elif family == "Llama":
        from transformers.models.llama.modeling_llama import LlamaPreTrainedModel

        items.append(("LlamaPreTrainedModel (no _init_weights of its own)", LlamaPreTrainedModel))
    root = os.path.dirname(transformers.__file__)
    out = []
    for label, obj in items:
        obj = inspect.unwrap(obj)
        path = os.path.relpath(inspect.getsourcefile(obj), root)
        line = inspect.getsourcelines(obj)[1]
        out.append(f"{label}: transformers/{path}:{line}")
    return out


def versions() -> str:
    import transformers

    return f"torch {torch.__version__}, transformers {transformers.__version__}"


def manifest_text(
    model: nn.Module,
    *,
    title: str,
    header: list[str],
    dtype: str,
    seed: int = 0,
) -> tuple[str, int, int]:
    """The manifest (TOML, docs/CLI.md schema) of every tensor `save_pretrained` writes.

    Returns (text, tensor count, parameter count). Raises if a saved tensor has no rule, so a
    manifest never guesses.
    """
    rules = init_rules(model)
    saved = saved_tensors(model)
    missing = [n for n in saved if n not in rules]
    if missing:
        raise ValueError(f"no _init_weights rule for saved tensors {missing}")
    n_params = sum(math.prod(shape) for shape, _ in saved.values())
    lines = [f"# {title}", "#"]
    lines += [f"# {h}" if h else "#" for h in header]
    lines += [
        "#",
        f"# {len(saved)} tensors, {n_params:,} parameters (each stored tensor counted once).",
        f"# Generated with {versions()}; the rules and their sources:",
    ]
    lines += [f"#   {c}" for c in source_citations(model)]
    ns = not_saved(model)
    if ns:
        lines.append("# Not in the checkpoint:")
        lines += [f"#   {n}" for n in ns]
    lines += ["", f"seed = {seed}", f'dtype = "{dtype}"', 'layout = "out-in"']
    for name, (shape, _) in saved.items():
        r = rules[name]
        lines.append("")
        lines.append(f"# {r.cite}")
        if r.note:
            lines.append(f"# NOTE: {r.note}")
        lines.append("[[tensor]]")
        lines.append(f'name = "{name}"')
        lines.append(f"shape = [{', '.join(str(d) for d in shape)}]")
        lines.append(f'scheme = "{r.scheme}"')
        if r.layout:
            lines.append(f'layout = "{r.layout}"')
    return "\n".join(lines) + "\n", len(saved), n_params
