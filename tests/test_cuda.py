"""What must hold on a GPU (run by benchmarks/gpu_session.sh; skipped where CUDA is absent):
every loss under bf16 autocast against float32, the predictor on CUDA against CPU, onnxruntime's
CUDA provider against its CPU one, and a training run end to end on the device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import ltzoo
import ltzoo.losses as L
from ltzoo.images import sample_images

from .losses.test_losses import COUNTS, _inputs_for

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]
MODEL = "ce-resnet32-cifar10lt"  # embedded with its ONNX twin


@pytest.mark.parametrize("name", L.list_losses())
def test_every_loss_under_bf16_autocast_matches_float32(name: str):
    fn = L.create_loss(name, class_counts=COUNTS).cuda()
    inputs = [t.cuda() for t in _inputs_for(name)]
    torch.manual_seed(0)  # losses that draw noise (GCL) draw the same under both precisions
    reference = fn(*inputs)
    torch.manual_seed(0)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        autocast = fn(*inputs)
    assert autocast.dtype == torch.float32 or torch.isfinite(autocast)
    torch.testing.assert_close(autocast.float(), reference, rtol=3e-2, atol=3e-2)


def test_the_predictor_on_cuda_matches_cpu():
    photos = sample_images()
    on_cpu = ltzoo.load(MODEL, device="cpu").predict_proba(photos)
    np.testing.assert_allclose(ltzoo.load(MODEL, device="cuda").predict_proba(photos), on_cpu, atol=1e-4)
    half = ltzoo.load(MODEL, device="cuda", dtype=torch.float16).predict_proba(photos)
    assert (half.argmax(1) == on_cpu.argmax(1)).all() and np.abs(half - on_cpu).max() < 2e-2


def test_onnxruntime_cuda_provider_matches_cpu():
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip(f"this onnxruntime build has no CUDA provider ({ort.get_available_providers()})")
    from ltzoo.runtime import OnnxPredictor
    from ltzoo.zoo import get_entry

    folder, photos = get_entry(MODEL).embedded_path, sample_images()
    np.testing.assert_allclose(OnnxPredictor(folder, providers=["CUDAExecutionProvider"]).predict_proba(photos),
                               OnnxPredictor(folder, providers=["CPUExecutionProvider"]).predict_proba(photos),
                               atol=1e-4)


def test_a_two_stage_run_trains_on_the_device(tmp_path: Path):
    from ltzoo.recipes import recipe_path
    from ltzoo.training import Trainer, load_recipe_file, resolve_config

    config = resolve_config(load_recipe_file(str(recipe_path("smoke-synthetic"))),
                            ["device=cuda", "amp=true", "channels_last=true", "epochs=1"])
    report = Trainer(config, tmp_path / "run", log=lambda _: None).fit()
    assert 0.0 <= report["test_last"]["top1"] <= 1.0
    assert (tmp_path / "run" / "model" / "model.safetensors").is_file()
