"""Without the torch extra, what needs it says so by name and says how to install it."""

from __future__ import annotations

import importlib.util

import pytest

import ltzoo
from ltzoo import _dependencies
from ltzoo.errors import MissingDependencyError
from ltzoo.images import sample_images


@pytest.fixture
def without_timm(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(_dependencies.importlib.util, "find_spec", lambda name: None if name == "timm" else real(name))


def test_the_torch_backend_names_the_extra_and_the_onnx_way(without_timm):
    with pytest.raises(MissingDependencyError, match=r'timm missing here\): pip install "ltzoo\[torch\]"; or .*onnx'):
        ltzoo.load("gcl-resnet32-cifar10lt")
    assert ltzoo.load("gcl-resnet32-cifar10lt", backend="onnx").predict_proba(sample_images()[:1]).shape


@pytest.mark.parametrize("command", [["train", "smoke"], ["export", "gcl-resnet32-cifar10lt"], ["eval", "x"],
                                     ["push", "x", "org/x"]])
def test_training_side_commands_name_the_extra(without_timm, command: list[str], capsys: pytest.CaptureFixture):
    from ltzoo.cli import main

    assert main(command) == 2
    assert 'needs the torch extra (timm missing here): pip install "ltzoo[torch]"' in capsys.readouterr().err
