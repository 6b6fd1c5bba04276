"""The training transforms: every registered one makes a normalised tensor of the model's input
size from images of any size; each crops and flips as its paper says; in-memory splits take the
pad-crop-flip options and refuse the others."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ltzoo.data import create_data, create_train_transform, list_train_transforms
from ltzoo.errors import InvalidArgumentError

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _config(size: int) -> dict:
    return {"input_size": (3, size, size), "mean": MEAN, "std": STD, "interpolation": "bilinear", "crop_pct": 0.875}


def _normalized(image: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(image).permute(2, 0, 1).float() / 255
    return (tensor - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)


@pytest.mark.parametrize("name", list_train_transforms())
@pytest.mark.parametrize("width,height", [(64, 64), (300, 200), (50, 90)])
def test_every_transform_makes_a_normalised_tensor_of_the_input_size(name: str, width: int, height: int):
    transform = create_train_transform(name, _config(64))
    image = Image.fromarray(np.random.RandomState(0).randint(0, 256, (height, width, 3), dtype=np.uint8))
    out = transform(image)
    assert out.shape == (3, 64, 64) and out.dtype == torch.float32
    assert out.min() >= (0 - max(MEAN)) / min(STD) - 1e-4 and out.max() <= (1 - min(MEAN)) / min(STD) + 1e-4


def _is_window_of(out: torch.Tensor, padded: torch.Tensor) -> bool:
    """``out`` is a crop of ``padded`` or of its mirror image."""
    size = out.shape[-1]
    for source in (padded, padded.flip(-1)):
        for top in range(padded.shape[-2] - size + 1):
            for left in range(padded.shape[-1] - size + 1):
                if torch.allclose(source[:, top:top + size, left:left + size], out, atol=1e-5):
                    return True
    return False


def test_pad_crop_flip_is_a_window_of_the_zero_padded_image_or_its_mirror():
    torch.manual_seed(0)
    image = np.random.RandomState(1).randint(0, 256, (16, 16, 3), dtype=np.uint8)
    padded = np.zeros((24, 24, 3), dtype=np.uint8)
    padded[4:20, 4:20] = image
    transform = create_train_transform("pad_crop_flip", _config(16), padding=4)
    outs = [transform(Image.fromarray(image)) for _ in range(12)]
    assert all(_is_window_of(out, _normalized(padded)) for out in outs)
    assert len({out.sum().item() for out in outs}) > 1  # random, not a fixed crop


def test_resize_crop_flip_resizes_the_shorter_side_then_crops():
    image = np.random.RandomState(2).randint(0, 256, (20, 30, 3), dtype=np.uint8)  # shorter side 20
    transform = create_train_transform("resize_crop_flip", _config(20), resize=20)  # no resize: a crop of 20x30
    torch.manual_seed(0)
    assert all(_is_window_of(transform(Image.fromarray(image)), _normalized(image)) for _ in range(6))
    with pytest.raises(InvalidArgumentError, match="no option 'size'. Did you mean resize"):
        create_train_transform("resize_crop_flip", _config(20), size=20)


def test_in_memory_splits_take_pad_crop_flip_options_and_refuse_other_transforms():
    bundle = create_data("synthetic_lt")
    config = _config(32)
    batches = bundle.train.batches(8, train=True, data_config=config, device="cpu", transform="pad_crop_flip",
                                   transform_args={"padding": 8})
    assert batches.padding == 8
    assert bundle.train.batches(8, train=True, data_config=config, device="cpu").padding == 4  # CIFAR's default
    with pytest.raises(InvalidArgumentError, match="train_transform 'timm' needs image files"):
        bundle.train.batches(8, train=True, data_config=config, device="cpu", transform="timm")
