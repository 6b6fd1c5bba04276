"""Optimiser groups: the backbone's lr scale and the parameters exempt from weight decay."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ltzoo.errors import InvalidArgumentError
from ltzoo.models import create_model
from ltzoo.training import Trainer, resolve_config
from ltzoo.training.param_groups import param_groups


def _names(model: torch.nn.Module, group: dict) -> set[str]:
    ids = {id(p) for p in group["params"]}
    return {name for name, p in model.named_parameters() if id(p) in ids}


def test_without_options_one_group_in_parameter_order():
    model = create_model("resnet20_cifar", num_classes=10)
    (group,) = param_groups(model, model)
    assert group["params"] == list(model.parameters()) and group["lr_scale"] == 1.0
    assert "weight_decay" not in group  # the optimiser's own weight decay applies


def test_each_kind_exempts_exactly_its_parameters():
    model = create_model("resnet20_cifar", num_classes=10)
    names = [n for n, _ in model.named_parameters()]
    norms = {n for n in names if ".bn" in n or n.startswith("bn")}
    assert norms and all(n.endswith((".weight", ".bias")) for n in norms)
    expected = {
        "classifier_bias": {"fc.bias"},
        "norm": norms,
        "bias": {n for n in names if n.endswith(".bias")},
    }
    for kind, exempt in expected.items():
        decayed, free = param_groups(model, model, no_weight_decay=[kind])
        assert _names(model, free) == exempt and free["weight_decay"] == 0.0, kind
        assert _names(model, decayed) == set(names) - exempt and "weight_decay" not in decayed, kind


def test_exempt_parameters_do_not_shrink_under_sgd():
    model = create_model("resnet20_cifar", num_classes=10)
    with torch.no_grad():
        model.fc.bias.fill_(-2.0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD(param_groups(model, model, no_weight_decay=["classifier_bias", "norm"]), lr=0.1,
                                weight_decay=0.5)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()  # with zero gradients only the weight decay moves parameters
    after = dict(model.named_parameters())
    assert torch.equal(after["fc.bias"], before["fc.bias"])
    assert torch.equal(after["bn1.weight"], before["bn1.weight"])
    torch.testing.assert_close(after["fc.weight"], before["fc.weight"] * 0.95)
    torch.testing.assert_close(after["conv1.weight"], before["conv1.weight"] * 0.95)


def test_lr_scale_and_exemptions_combine_in_a_fixed_order():
    model = create_model("resnet20_cifar", num_classes=10)
    groups = param_groups(model, model, backbone_lr_scale=0.1, no_weight_decay=["bias"])
    assert [(g["lr_scale"], g.get("weight_decay")) for g in groups] == [(1.0, None), (1.0, 0.0), (0.1, None), (0.1, 0.0)]
    assert _names(model, groups[0]) == {"fc.weight"} and _names(model, groups[1]) == {"fc.bias"}
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_bad_options_are_refused():
    model = create_model("resnet20_cifar", num_classes=10)
    with pytest.raises(InvalidArgumentError, match="unknown kinds \\['batchnorm'\\]; known: bias, classifier_bias, norm"):
        param_groups(model, model, no_weight_decay=["batchnorm"])
    with pytest.raises(InvalidArgumentError, match="backbone_lr_scale must be >= 0"):
        param_groups(model, model, backbone_lr_scale=-1.0)


def test_a_run_checkpoints_the_exempt_group(tmp_path: Path):
    config = resolve_config({
        "model": "resnet20_cifar", "head": "linear", "dataset": "synthetic_lt", "imbalance_ratio": 10, "threads": 1,
        "stages": [{"loss": "ce", "epochs": 2, "batch_size": 64, "warmup_epochs": 0, "max_steps_per_epoch": 2,
                    "weight_decay": 5e-4, "no_weight_decay": ["classifier_bias"]}],
    })
    saved: list[list[float]] = []

    def after_each_line(line: str) -> None:  # an epoch's line is logged right after its checkpoint
        if line.startswith("stage=") and not saved:
            state = torch.load(tmp_path / "train_state.pt", weights_only=True)
            saved.append([g["weight_decay"] for g in state["optimizer"]["param_groups"]])

    Trainer(config, tmp_path, log=after_each_line).fit()
    assert saved == [[5e-4, 0.0]]
