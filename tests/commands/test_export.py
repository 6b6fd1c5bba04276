"""``ltzoo export`` from anywhere: beside a user's checkpoint, never into the installed package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ltzoo.hub import sha256_of
from ltzoo.images import sample_images
from ltzoo.runtime import OnnxPredictor
from ltzoo.zoo import get_entry


def test_a_zoo_model_is_exported_into_the_working_directory_not_the_package(tmp_path: Path):
    shipped = get_entry("ce-resnet32-cifar10lt").embedded_path / "model.onnx"
    before = sha256_of(shipped)
    out = subprocess.run([sys.executable, "-m", "ltzoo", "export", "ce-resnet32-cifar10lt"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert sha256_of(shipped) == before
    exported = tmp_path / "ce-resnet32-cifar10lt.onnx"
    assert OnnxPredictor(exported).predict_proba(sample_images()).shape == (len(sample_images()), 10)
