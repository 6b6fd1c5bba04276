"""CIFAR-LT counts and subsampling (fake files in the real format; real data when present)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torchvision import transforms

from ltzoo.data import CIFAR10LT, CIFAR100LT, TensorBatches, cifar_lt_counts, cifar_lt_indices, shot_groups
from ltzoo.data.tensor_pipeline import random_crop_flip
from ltzoo.errors import InvalidArgumentError, MissingFileError

PAPER_COUNTS_R100 = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


def test_cifar_lt_counts_exp_and_step():
    assert cifar_lt_counts(10, 100) == PAPER_COUNTS_R100
    assert sum(cifar_lt_counts(10, 10)) == 20431
    assert sum(cifar_lt_counts(10, 50)) == 13996
    assert sum(cifar_lt_counts(10, 200)) == 11203
    assert cifar_lt_counts(100, 100)[0] == 500 and cifar_lt_counts(100, 100)[-1] == 5
    assert cifar_lt_counts(10, 10, profile="step") == [5000] * 5 + [500] * 5
    assert cifar_lt_counts(4, 1, img_max=7) == [7] * 4


@pytest.mark.parametrize("kwargs,match", [
    ({"num_classes": 10, "imbalance_ratio": 0.5}, "imbalance_ratio"),
    ({"num_classes": 10, "profile": "linear"}, "profile"),
    ({"num_classes": 7}, "img_max"),
])
def test_cifar_lt_counts_bad_input(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        cifar_lt_counts(**kwargs)


def _reference_draw(targets: np.ndarray, counts: list[int], seed: int) -> np.ndarray:
    """The IMBALANCECIFAR procedure with numpy's global generator, as the reference runs it."""
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        kept = []
        for cls, n in zip(np.unique(targets), counts):
            idx = np.where(targets == cls)[0]
            np.random.shuffle(idx)
            kept.extend(idx[:n].tolist())
        return np.array(kept)
    finally:
        np.random.set_state(state)


def test_cifar_lt_indices_reproduce_the_reference_and_are_nested():
    targets = np.random.RandomState(9).randint(0, 10, 3000)
    per_class = np.bincount(targets)
    counts = cifar_lt_counts(10, 100, img_max=int(per_class.min()))
    for seed in (0, 1):
        np.testing.assert_array_equal(cifar_lt_indices(targets, counts, seed), _reference_draw(targets, counts, seed))
    r10 = set(cifar_lt_indices(targets, cifar_lt_counts(10, 10, img_max=int(per_class.min()))).tolist())
    assert set(cifar_lt_indices(targets, counts).tolist()) <= r10


def test_shot_groups():
    groups = shot_groups([500, 101, 100, 20, 19, 1])
    assert groups["many"].tolist() == [0, 1]
    assert groups["medium"].tolist() == [2, 3]
    assert groups["few"].tolist() == [4, 5]
    assert shot_groups([50, 5], many_min=40, few_max=10)["many"].tolist() == [0]


@pytest.fixture
def fake_cifar10(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CIFAR-10 'python version' batches with 60 random images per class (torchvision's md5
    check is switched off for these fake files)."""
    rng = np.random.RandomState(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = [f"data_batch_{i}" for i in range(1, 6)]
    labels = np.repeat(np.arange(10), 60)
    rng.shuffle(labels)
    for i, name in enumerate(names):
        part = labels[i * 120 : (i + 1) * 120]
        data = rng.randint(0, 256, (len(part), 3072), dtype=np.uint8)
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": part.tolist()}, f)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": rng.randint(0, 256, (50, 3072), dtype=np.uint8), "labels": [i % 10 for i in range(50)]}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, f)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    return tmp_path


def test_cifar10lt_on_fake_files(fake_cifar10: Path):
    ds = CIFAR10LT(fake_cifar10, imbalance_ratio=10, img_max=60)
    assert ds.class_counts.tolist() == cifar_lt_counts(10, 10, img_max=60)
    assert len(ds) == len(ds.targets) == ds.data.shape[0] and ds.classes[0] == "c0"
    assert len(ds.discarded_indices) == 600 - len(ds)
    images, labels = ds.heldout_split(per_class=5)
    assert images.shape[1:] == (32, 32, 3) and np.bincount(labels, minlength=10)[0] == 0


def test_cifar10lt_refuses_counts_above_available(fake_cifar10: Path):
    with pytest.raises(InvalidArgumentError, match="asks 5000 images"):
        CIFAR10LT(fake_cifar10, imbalance_ratio=10)


def test_cifar10lt_missing_files_error(tmp_path: Path):
    with pytest.raises(MissingFileError, match="cifar-10-batches-py"):
        CIFAR10LT(tmp_path)


@pytest.mark.data
@pytest.mark.parametrize("ratio,total", [(10, 20431), (50, 13996), (100, 12406), (200, 11203)])
def test_real_cifar10lt_totals(cifar_root: Path, ratio: int, total: int):
    ds = CIFAR10LT(cifar_root, imbalance_ratio=ratio)
    assert len(ds) == total == int(ds.class_counts.sum())
    assert ds.class_counts.tolist() == cifar_lt_counts(10, ratio)
    assert len(ds.discarded_indices) == 50000 - total


@pytest.mark.data
def test_real_cifar10lt_nested_and_heldout(cifar_root: Path):
    r100 = CIFAR10LT(cifar_root, imbalance_ratio=100)
    r10 = CIFAR10LT(cifar_root, imbalance_ratio=10)
    assert set(r100.indices.tolist()) <= set(r10.indices.tolist())
    images, labels = r100.heldout_split(per_class=100)
    assert images.shape == (900, 32, 32, 3)
    assert np.bincount(labels, minlength=10).tolist() == [0] + [100] * 9  # the head class keeps all
    assert not set(r100.indices.tolist()) & set(np.flatnonzero(np.isin(np.arange(50000), r100.discarded_indices)))
    test = CIFAR10LT(cifar_root, train=False)
    assert len(test) == 10000 and test.class_counts.tolist() == [1000] * 10
    img, label = r100[0]
    assert isinstance(img, Image.Image) and label == r100.targets[0]


@pytest.mark.data
@pytest.mark.parametrize("ratio,total", [(10, 19573), (50, 12608), (100, 10847)])
def test_real_cifar100lt_totals(cifar100_root: Path, ratio: int, total: int):
    """The training-set sizes LDAM-DRW and GCL report for CIFAR-100-LT (500 images at the head)."""
    ds = CIFAR100LT(cifar100_root, imbalance_ratio=ratio)
    assert len(ds) == total == int(ds.class_counts.sum())
    assert ds.class_counts.tolist() == cifar_lt_counts(100, ratio)
    assert ds.class_counts[0] == 500 and ds.class_counts[-1] == round(500 / ratio)
    assert ds.classes[:3] == ["apple", "aquarium_fish", "baby"]
    test = CIFAR100LT(cifar100_root, train=False)
    assert len(test) == 10000 and test.class_counts.tolist() == [100] * 100


def test_tensor_pipeline_matches_torchvision_per_image():
    """Same crop offsets and flips -> identical tensors to RandomCrop+Flip+ToTensor+Normalize."""
    rng = np.random.RandomState(1)
    images = rng.randint(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
    batches = TensorBatches(images, np.arange(6), mean, std, batch_size=6, augment=True)
    torch.manual_seed(42)
    x, _ = next(batches.epoch())
    gen = torch.Generator().manual_seed(42)  # replay the draws to apply them with torchvision
    torch.manual_seed(42)
    oy = torch.randint(0, 9, (6, 1)).flatten().tolist()
    ox = torch.randint(0, 9, (6, 1)).flatten().tolist()
    flip = (torch.rand(6, 1) < 0.5).flatten().tolist()
    del gen
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    for i in range(6):
        padded = transforms.functional.pad(Image.fromarray(images[i]), 4, fill=0)
        crop = transforms.functional.crop(padded, oy[i], ox[i], 32, 32)
        if flip[i]:
            crop = transforms.functional.hflip(crop)
        torch.testing.assert_close(x[i], to_tensor(crop), rtol=0, atol=1e-6)


def test_tensor_pipeline_eval_is_plain_normalisation():
    images = np.full((3, 32, 32, 3), 255, dtype=np.uint8)
    x, y = next(TensorBatches(images, [0, 1, 2], (0.5,) * 3, (0.5,) * 3, batch_size=2).epoch())
    assert x.shape == (2, 3, 32, 32) and torch.all(x == 1.0) and y.tolist() == [0, 1]


def test_random_crop_flip_keeps_content_statistics():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = random_crop_flip(images, padding=0, flip=False)
    torch.testing.assert_close(out, images)


def test_tensor_pipeline_bad_input():
    with pytest.raises(InvalidArgumentError, match="uint8"):
        TensorBatches(np.zeros((2, 32, 32, 3), dtype=np.float32), [0, 1], (0,), (1,), 2)
    with pytest.raises(InvalidArgumentError, match="labels"):
        TensorBatches(np.zeros((2, 32, 32, 3), dtype=np.uint8), [0], (0,), (1,), 2)
