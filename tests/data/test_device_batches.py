"""Batches decoded and augmented on the device (here the CPU: the same code path as on a GPU,
where decode_jpeg runs nvJPEG): the same images and augmentations as the PIL path, every
registered transform with its device form, bad files named, and a run trains with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ltzoo.data import create_data, list_train_transforms
from ltzoo.data.device_batches import DEVICE_AUGMENTATIONS, DeviceBatches, decode_batch
from ltzoo.errors import CorruptFileError, InvalidArgumentError

from .stand_ins import LIST_COUNTS, write_split_lists, write_tiny_imagenet

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _config(size: int, crop_pct: float = 1.0) -> dict:
    return {"input_size": (3, size, size), "mean": MEAN, "std": STD, "interpolation": "bilinear", "crop_pct": crop_pct}


@pytest.fixture
def tiny(tmp_path: Path):
    write_tiny_imagenet(tmp_path, num_classes=3, per_class=8, val_per_class=2)
    return create_data("tiny_imagenet_lt", data_dir=str(tmp_path), imbalance_ratio=2)


def test_every_training_transform_has_its_device_form():
    assert sorted(DEVICE_AUGMENTATIONS) == list_train_transforms()


def test_the_evaluation_view_is_the_pil_paths_image(tiny):
    """64-px JPEGs evaluated whole: the device decode gives the PIL decode's pixels (both are
    libjpeg-turbo; a rounding step apart at most)."""
    from timm.data import create_transform

    config = _config(64)
    ours = torch.cat([x for x, _ in DeviceBatches(tiny.test.dataset, 4, device="cpu", train=False,
                                                  data_config=config).epoch()])
    pil = create_transform(**config, is_training=False)
    theirs = torch.stack([pil(Image.open(path).convert("RGB")) for path in tiny.test.inputs()])
    assert ours.shape == theirs.shape == (6, 3, 64, 64)
    assert (ours - theirs).abs().max() * min(STD) <= 2 / 255 + 1e-6


@pytest.mark.parametrize("name", list_train_transforms())
def test_training_batches_of_every_transform(tiny, name: str):
    torch.manual_seed(0)
    batches = DeviceBatches(tiny.train.dataset, 5, device="cpu", train=True, data_config=_config(48),
                            transform=name, views=2)
    shapes = [(x.shape, y.shape) for x, y in batches.epoch()]
    n = len(tiny.train)
    assert batches.num_batches(n) == len(shapes) and shapes[0] == (torch.Size([10, 3, 48, 48]), torch.Size([5]))


def test_pad_crop_flip_on_the_device_is_a_window_of_the_padded_image(tiny):
    torch.manual_seed(0)
    batches = DeviceBatches(tiny.train.dataset, 1, device="cpu", train=True, data_config=_config(64),
                            transform="pad_crop_flip", transform_args={"padding": 0})
    for (x, _), path in zip(batches.epoch(), tiny.train.inputs()):
        data = torch.frombuffer(bytearray(Path(path).read_bytes()), dtype=torch.uint8)
        raw = decode_batch([data], torch.device("cpu"), [str(path)])[0].float() / 255
        image = (raw - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
        assert torch.allclose(x[0], image, atol=1e-5) or torch.allclose(x[0], image.flip(-1), atol=1e-5)


def test_png_and_odd_sizes_decode_on_the_cpu_side(tmp_path: Path):
    write_split_lists(tmp_path, ["train.txt", "val.txt", "test.txt"])  # 20x24 PNGs
    bundle = create_data("list", data_dir=str(tmp_path), **{f"{s}_list": str(tmp_path / f"{s}.txt")
                                                           for s in ("train", "val", "test")})
    x, y = next(DeviceBatches(bundle.train.dataset, 32, device="cpu", train=False,
                              data_config=_config(16, crop_pct=0.875)).epoch())
    assert x.shape == (sum(LIST_COUNTS.values()), 3, 16, 16) and y.tolist() == sorted(y.tolist())


def test_a_corrupt_file_is_named(tiny):
    victim = Path(tiny.train.inputs()[3])
    victim.write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(CorruptFileError, match=victim.name):
        list(DeviceBatches(tiny.train.dataset, 4, device="cpu", train=False, data_config=_config(64)).epoch())


def test_bad_options_are_named(tiny):
    with pytest.raises(InvalidArgumentError, match="views must be 1"):
        DeviceBatches(tiny.train.dataset, 4, device="cpu", train=False, data_config=_config(64), views=2)


def test_a_run_trains_and_evaluates_with_decode_on_device(tmp_path: Path):
    from ltzoo.training import Trainer, resolve_config

    write_tiny_imagenet(tmp_path / "data", num_classes=3, per_class=8, val_per_class=2)
    config = resolve_config({
        "model": "resnet18", "dataset": "tiny_imagenet_lt", "data_dir": str(tmp_path / "data"), "imbalance_ratio": 2,
        "val_per_class": 2, "image_size": 64, "crop_pct": 1.0, "train_transform": "pad_crop_flip",
        "train_transform_args": {"padding": 8}, "decode_on_device": True, "num_workers": 0, "device": "cpu",
        "stages": [{"loss": "ce", "epochs": 1, "batch_size": 4, "lr": 0.01, "warmup_epochs": 0}],
    })
    result = Trainer(config, tmp_path / "run", log=lambda _: None).fit()
    assert np.isfinite(result["test_last"]["nll"]) and (tmp_path / "run" / "model" / "model.safetensors").is_file()
