"""initspec for PyTorch: fill parameters in place (plain tensors and DTensor shards) and
audit a whole module against PyTorch's own defaults.

Sharded initialization that does not depend on the sharding::

    from torch.distributed.tensor import distribute_tensor, Shard
    w = distribute_tensor(torch.empty(4096, 1024), mesh, [Shard(0)])
    initspec.torch.init_(w, "normal(std=0.02)", seed=0, name="layers.0.mlp.w1")
    # w.full_tensor() is the same for every mesh, placement and world size, and equals
    # initspec.sample("normal(std=0.02)", [4096, 1024], seed=0, name="layers.0.mlp.w1").

Each rank fills only its local shard, from the shard's offsets in the global tensor
(no communication): element ``i`` of the global tensor (C order) is drawn from counter ``i``
of the stream keyed by ``(seed, name)``, whichever rank draws it.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from . import _arrays
from . import _fill as _fill_memory
from . import audit as _audit

__all__ = ["audit_module", "full_cpu_tensor", "init_", "pytorch_default"]

#: PyTorch's default for nn.Linear and nn.ConvNd weights, ``kaiming_uniform_(w, a=√5)``:
#: gain √(2/(1+5)) = √(1/3), bound = gain·√(3/fan_in) = 1/√fan_in.
LINEAR_WEIGHT = "kaiming_uniform(a=2.23606797749979)"

Claim = Union[str, Dict[str, Any]]


def _is_dtensor(tensor: Any) -> bool:
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # torch built without distributed
        return False
    return isinstance(tensor, DTensor)


def init_(
    param: torch.Tensor,
    scheme: str,
    *,
    seed: int = 0,
    name: str,
    layout: Optional[str] = None,
    groups: int = 1,
    allow_lossy_dtype: bool = False,
) -> torch.Tensor:
    """Fills ``param`` in place with ``scheme`` (stream ``(seed, name)``) and returns it.

    ``param`` is a CPU tensor or ``nn.Parameter`` (float32, float64, float16, bfloat16), or a
    ``torch.distributed`` DTensor whose placements are ``Shard(d)`` or ``Replicate()`` on each
    mesh dimension: each rank fills its local shard from the shard's global offsets, so
    ``full_tensor()`` equals :func:`initspec.sample` of the global shape for every mesh,
    placement and world size. ``Partial`` placements (pending sums) and strided shards are
    refused. ``layout=None`` means ``"out-in"`` (``[out, in/g, *k]``, PyTorch's Linear/Conv);
    pass ``"transposed"`` for ConvTranspose weights.

    Autograd: the write is made outside the graph (as ``torch.nn.init`` does under
    ``no_grad``) and bumps the tensor's version counter, so a graph that saved the old values
    raises instead of silently using the new ones.
    """
    if _is_dtensor(param):
        local, shape, block = _local_block(param)
    else:
        local, shape, block = param, list(param.shape), None
    memory = _arrays.writable(local, "the tensor" if block is None else "the local shard")
    _fill_memory(local, scheme, block, shape, seed, name, layout, groups, allow_lossy_dtype,
                 memory=memory)
    torch.autograd.graph.increment_version(local)
    return param


def _local_block(dtensor: Any) -> Tuple[torch.Tensor, List[int], List[Tuple[int, int]]]:
    """The local tensor of a DTensor, the global shape, and the block the local tensor holds."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    for placement in dtensor.placements:
        strided = type(placement).__name__ == "_StridedShard"
        if strided or not isinstance(placement, (Shard, Replicate)):
            raise ValueError(
                f"DTensor placement {placement} is not supported: initspec fills Shard(d) and "
                "Replicate() placements (a Partial tensor holds summands, not values; "
                "redistribute it to Shard or Replicate first)"
            )
    shape = list(dtensor.shape)
    local_shape, offset = compute_local_shape_and_global_offset(
        dtensor.shape, dtensor.device_mesh, dtensor.placements
    )
    local = dtensor._local_tensor
    if list(local.shape) != list(local_shape):
        raise ValueError(
            f"the local shard has shape {list(local.shape)} but its placements give "
            f"{list(local_shape)}; initspec fills shards laid out as torch.chunk lays them out"
        )
    block = [(int(o), int(o) + int(n)) for o, n in zip(offset, local_shape)]
    return local, shape, block


def full_cpu_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``'s values as a dense CPU tensor (a DTensor gathered with ``full_tensor()``,
    which every rank must call), detached from autograd."""
    if _is_dtensor(tensor):
        tensor = tensor.full_tensor()
    tensor = tensor.detach()
    if tensor.device.type != "cpu":
        tensor = tensor.cpu()
    return tensor


def _uniform(bound: float) -> str:
    return f"uniform(a={-bound!r}, b={bound!r})"


def _receptive_field(weight: torch.Tensor) -> int:
    return math.prod(weight.shape[2:]) if weight.dim() > 2 else 1


def pytorch_default(module: nn.Module, param_name: str) -> Optional[Dict[str, Any]]:
    """The claim PyTorch's own initialization makes for parameter ``param_name`` of
    ``module`` (its direct parameter), as ``{"scheme", "layout", "groups"}``, or ``None`` when
    the module type is not one whose default initialization initspec knows.

    - ``Linear``, ``Conv1d/2d/3d``: weight ``kaiming_uniform(a=√5)``, i.e. U(±1/√fan_in) with
      fan_in = in/g·rf; bias U(±1/√fan_in).
    - ``ConvTranspose1d/2d/3d``: weight ``[in, out/g, *k]`` (``"transposed"`` layout). PyTorch
      computes its fans as if the weight were ``[out, in, *k]``, so its bound is
      1/√(shape[1]·rf) = 1/√(fan_out) of the transposed layout:
      ``kaiming_uniform(a=√5, mode=fan_out)``. Bias U(±1/√(shape[1]·rf)).
    - ``Bilinear``: weight ``[out, in1, in2]`` and bias U(±1/√in1).
    - ``Embedding``/``EmbeddingBag``: N(0, 1) (the ``padding_idx`` row is zero, checked apart).
    - ``RNN``/``LSTM``/``GRU``: every weight and bias U(±1/√hidden_size).
    - ``MultiheadAttention``: ``in_proj_weight`` (or q/k/v_proj_weight) ``xavier_uniform`` on
      the whole ``[3E, E]`` matrix; ``in_proj_bias`` and ``out_proj.bias`` zero;
      ``bias_k``/``bias_v`` ``xavier_normal``.
    - ``LayerNorm``, ``GroupNorm``, ``RMSNorm``, ``BatchNorm*``, ``InstanceNorm*``: weight one,
      bias zero.
    """
    weight = getattr(module, "weight", None)
    conv_transposed = isinstance(module, nn.modules.conv._ConvTransposeNd)
    if isinstance(module, nn.MultiheadAttention):
        if param_name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            return {"scheme": "xavier_uniform", "layout": "out-in", "groups": 1}
        if param_name == "in_proj_bias":
            return {"scheme": "zeros", "layout": "out-in", "groups": 1}
        if param_name in ("bias_k", "bias_v"):
            return {"scheme": "xavier_normal", "layout": "out-in", "groups": 1}
        return None
    if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)) and weight is not None:
        groups = getattr(module, "groups", 1)
        if param_name == "weight":
            if conv_transposed:
                return {"scheme": LINEAR_WEIGHT[:-1] + ", mode=fan_out)", "layout": "transposed",
                        "groups": groups}
            return {"scheme": LINEAR_WEIGHT, "layout": "out-in", "groups": groups}
        if param_name == "bias":
            fan_in = weight.shape[1] * _receptive_field(weight)
            return {"scheme": _uniform(1.0 / math.sqrt(fan_in)), "layout": "out-in", "groups": 1}
        return None
    if isinstance(module, nn.Bilinear) and weight is not None:
        return {"scheme": _uniform(1.0 / math.sqrt(weight.shape[1])), "layout": "out-in",
                "groups": 1}
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)) and param_name == "weight":
        return {"scheme": "normal(mean=0, std=1)", "layout": "out-in", "groups": 1}
    if isinstance(module, nn.RNNBase):
        return {"scheme": _uniform(1.0 / math.sqrt(module.hidden_size)), "layout": "out-in",
                "groups": 1}
    norms = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase)
    rms_norm = getattr(nn, "RMSNorm", None)
    if isinstance(module, norms) or (rms_norm is not None and isinstance(module, rms_norm)):
        if param_name == "weight":
            return {"scheme": "ones", "layout": "out-in", "groups": 1}
        if param_name == "bias":
            return {"scheme": "zeros", "layout": "out-in", "groups": 1}
    return None


def _normalize_claim(claim: Claim) -> Dict[str, Any]:
    if isinstance(claim, str):
        return {"scheme": claim, "layout": "out-in", "groups": 1}
    if isinstance(claim, dict) and "scheme" in claim:
        unknown = set(claim) - {"scheme", "layout", "groups"}
        if unknown:
            raise ValueError(f"claim {claim!r} has unknown keys {sorted(unknown)}; use scheme, layout, groups")
        return {"scheme": claim["scheme"], "layout": claim.get("layout", "out-in"),
                "groups": int(claim.get("groups", 1))}
    raise ValueError(f"a claim is a scheme string or a dict with 'scheme' (and 'layout', 'groups'), got {claim!r}")


def audit_module(
    module: nn.Module,
    alpha: float = 1e-3,
    *,
    claims: Optional[Dict[str, Claim]] = None,
) -> List[Dict[str, Any]]:
    """Audits every parameter of ``module`` against PyTorch's default initialization for its
    module type (:func:`pytorch_default`, layouts from the type), or against ``claims``
    (``{"layers.0.weight": "xavier_uniform"}`` or ``{"...": {"scheme": ..., "layout": ...}}``),
    which take precedence.

    ``alpha`` is family-wise for the whole module: each of the T audited parameters is tested
    at α/T (Bonferroni), Holm over its checks. Returns one row per parameter, failures first:
    ``name``, ``module`` (type name), ``scheme``, ``layout``, ``law``, ``verdict`` (``"pass"``,
    ``"fail"``, or ``"unknown"`` when no default is known and no claim is given), ``summary``,
    ``alpha`` (the per-parameter level) and ``shape``. An ``Embedding``'s ``padding_idx`` row
    must be exactly zero; the other rows are audited against N(0, 1).

    DTensor parameters are gathered with ``full_tensor()``: call it on every rank.
    """
    claims = dict(claims or {})
    names = {n for n, _ in module.named_parameters()}
    unknown = sorted(set(claims) - names)
    if unknown:
        raise ValueError(f"claims name parameters the module does not have: {unknown}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    plans = []
    overrides: Dict[str, Dict[str, Any]] = {}
    for prefix, sub in module.named_modules():
        if isinstance(sub, nn.MultiheadAttention) and sub.out_proj.bias is not None:
            # MultiheadAttention._reset_parameters sets out_proj.bias to 0 after Linear's init.
            key = f"{prefix}.out_proj.bias" if prefix else "out_proj.bias"
            overrides[key] = {"scheme": "zeros", "layout": "out-in", "groups": 1}
    for prefix, sub in module.named_modules():
        for pname, param in sub.named_parameters(recurse=False):
            full = f"{prefix}.{pname}" if prefix else pname
            if full in claims:
                claim = _normalize_claim(claims[full])
            elif full in overrides:
                claim = overrides[full]
            else:
                claim = pytorch_default(sub, pname)
            plans.append((full, sub, pname, param, claim, full in claims))
    audited = sum(1 for plan in plans if plan[4] is not None)
    level = alpha / max(audited, 1)
    rows = []
    for full, sub, pname, param, claim, claimed in plans:
        row: Dict[str, Any] = {"name": full, "module": type(sub).__name__,
                               "shape": list(param.shape), "alpha": level}
        if claim is None:
            row.update(scheme=None, layout=None, law=None, verdict="unknown",
                       summary=f"no PyTorch default known for {type(sub).__name__}.{pname}; "
                               "pass claims={name: scheme} to audit it")
            rows.append(row)
            continue
        values = full_cpu_tensor(param)
        padding = getattr(sub, "padding_idx", None) if pname == "weight" else None
        note = ""
        if isinstance(sub, (nn.Embedding, nn.EmbeddingBag)) and padding is not None and not claimed:
            padding_row = values[padding]
            keep = torch.ones(values.shape[0], dtype=torch.bool)
            keep[padding] = False
            values = values[keep]
            if bool((padding_row != 0).any()):
                row.update(scheme=claim["scheme"], layout=claim["layout"], law=None,
                           verdict="fail",
                           summary=f"the padding_idx row {padding} is not zero, as nn.Embedding leaves it")
                rows.append(row)
                continue
            note = f"; padding_idx row {padding} is zero"
        result = _audit(values, claim["scheme"], layout=claim["layout"], groups=claim["groups"],
                        alpha=level)
        row.update(scheme=claim["scheme"], layout=claim["layout"], law=result.law,
                   verdict=result.verdict, summary=result.summary + note)
        rows.append(row)
    order = {"fail": 0, "unknown": 1, "pass": 2}
    rows.sort(key=lambda r: order[r["verdict"]])
    return rows
