"""initspec.torch.audit_module against real PyTorch modules: their own defaults pass, a
wrong initializer fails on the parameter it touched (negative controls), claims override
the defaults. Every audit is at family-wise α = 1e-3 over the module's parameters, with the
module built after torch.manual_seed(0)."""

import pytest
import torch
import torch.nn as nn

import initspec
import initspec.torch


class Tiny(nn.Module):
    """One module of each type audit_module knows."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(500, 32, padding_idx=0)
        self.conv1 = nn.Conv1d(32, 48, 5)
        self.conv2 = nn.Conv2d(8, 16, 3, groups=2)
        self.conv3 = nn.Conv3d(4, 6, 3)
        self.deconv = nn.ConvTranspose2d(16, 12, 4, groups=2)
        self.lstm = nn.LSTM(32, 64)
        self.gru = nn.GRU(32, 40)
        self.attn = nn.MultiheadAttention(64, 4, add_bias_kv=True)
        self.norm = nn.LayerNorm(64)
        self.bn = nn.BatchNorm2d(16)
        self.bilinear = nn.Bilinear(20, 30, 10)
        self.head = nn.Linear(64, 300)


def _model():
    torch.manual_seed(0)
    return Tiny()


def test_pytorch_defaults_pass():
    rows = initspec.torch.audit_module(_model())
    names = {r["name"] for r in rows}
    assert {"embed.weight", "deconv.weight", "attn.in_proj_weight", "attn.out_proj.bias",
            "lstm.weight_hh_l0", "bn.weight", "bilinear.weight"} <= names
    failures = [(r["name"], r["summary"]) for r in rows if r["verdict"] != "pass"]
    assert not failures, failures
    assert all(r["alpha"] == pytest.approx(1e-3 / len(rows)) for r in rows)
    deconv = next(r for r in rows if r["name"] == "deconv.weight")
    assert deconv["layout"] == "transposed" and deconv["module"] == "ConvTranspose2d"


@pytest.mark.parametrize(
    "name, reinit",
    [
        # He-normal instead of Linear's U(±1/√fan_in): variance 6× the default's.
        ("head.weight", lambda m: nn.init.kaiming_normal_(m.head.weight)),
        # ConvTranspose with its fans taken the other way round (in/g·rf instead of out/g·rf).
        ("deconv.weight", lambda m: nn.init.uniform_(m.deconv.weight, -(1 / 128) ** 0.5, (1 / 128) ** 0.5)),
        # An embedding drawn at the transformer scale N(0, 0.02²) instead of N(0, 1).
        ("embed.weight", lambda m: nn.init.normal_(m.embed.weight, std=0.02)),
        # A padding row that is no longer zero.
        ("embed.weight", lambda m: m.embed.weight.data[0].fill_(0.5)),
        # LayerNorm gain perturbed.
        ("norm.weight", lambda m: m.norm.weight.data.mul_(1.1)),
        # MultiheadAttention's in-proj with Linear's default instead of Xavier.
        ("attn.in_proj_weight", lambda m: nn.init.kaiming_uniform_(m.attn.in_proj_weight, a=5 ** 0.5)),
    ],
)
def test_wrong_initializers_fail_where_they_are(name, reinit):
    model = _model()
    with torch.no_grad():
        reinit(model)
    rows = initspec.torch.audit_module(model)
    failed = [r["name"] for r in rows if r["verdict"] == "fail"]
    assert failed == [name], [(r["name"], r["summary"]) for r in rows if r["verdict"] == "fail"]
    assert rows[0]["name"] == name  # failures first


def test_claims_override_defaults_and_unknown_modules_say_so():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.empty(64, 64))
            self.fc = nn.Linear(64, 64)

    model = Custom()
    initspec.torch.init_(model.scale, "orthogonal", seed=0, name="scale")
    initspec.torch.init_(model.fc.weight, "xavier_uniform", seed=0, name="fc.weight")
    rows = {r["name"]: r for r in initspec.torch.audit_module(model)}
    assert rows["scale"]["verdict"] == "unknown" and "claims" in rows["scale"]["summary"]
    assert rows["fc.weight"]["verdict"] == "fail"  # not Linear's default any more
    rows = {r["name"]: r for r in initspec.torch.audit_module(
        model, claims={"scale": "orthogonal", "fc.weight": {"scheme": "xavier_uniform"}})}
    assert rows["scale"]["verdict"] == "pass" and rows["fc.weight"]["verdict"] == "pass"
    with pytest.raises(ValueError, match="does not have"):
        initspec.torch.audit_module(model, claims={"fc.wieght": "xavier_uniform"})
    with pytest.raises(ValueError, match="alpha"):
        initspec.torch.audit_module(model, alpha=0)


def test_init_then_audit_every_parameter_of_a_model():
    model = _model()
    for name, param in model.named_parameters():
        if param.dim() >= 2 and "bias" not in name:
            layout = "transposed" if name.startswith("deconv") else "out-in"
            initspec.torch.init_(param, "kaiming_normal", seed=3, name=name, layout=layout)
    claims = {name: {"scheme": "kaiming_normal", "layout": "transposed" if name.startswith("deconv") else "out-in"}
              for name, p in model.named_parameters() if p.dim() >= 2 and "bias" not in name}
    rows = initspec.torch.audit_module(model, claims=claims)
    assert all(r["verdict"] == "pass" for r in rows), [(r["name"], r["summary"]) for r in rows if r["verdict"] != "pass"]
