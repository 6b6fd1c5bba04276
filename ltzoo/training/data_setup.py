"""Datasets a recipe can name, loaded into a :class:`DataBundle` for the trainer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._registry import Registry
from ..data.cifar import CIFAR10LT, CIFAR100LT
from ..data.class_counts import cifar_lt_counts, counts_from_targets
from ..errors import MissingFileError


@dataclass
class DataBundle:
    """In-memory uint8 images ``[N, H, W, C]`` and labels of the train / val / test splits."""

    train_images: np.ndarray
    train_targets: np.ndarray
    val_images: np.ndarray
    val_targets: np.ndarray
    test_images: np.ndarray
    test_targets: np.ndarray
    class_names: list[str]
    class_counts: np.ndarray
    description: str

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


_DATASETS: Registry[DataBundle] = Registry("dataset")


def create_data(config: dict[str, Any]) -> DataBundle:
    """Loads the dataset named by ``config["dataset"]``."""
    return _DATASETS.create(config["dataset"], config)


def list_datasets() -> list[str]:
    return _DATASETS.names()


def _cifar(cls: type, archive: str, config: dict[str, Any]) -> DataBundle:
    root = Path(config["data_dir"])
    if not (root / archive).is_dir():
        raise MissingFileError(
            f"{cls.__name__} needs {root / archive} (the CIFAR 'python version' batches); "
            f"pass --data-dir pointing at the folder that holds {archive}/, or download it with "
            f"torchvision.datasets.{cls.__name__[:-2]}(root=DIR, download=True)"
        )
    train = cls(root, train=True, imbalance_ratio=config["imbalance_ratio"],
                profile=config["imbalance_profile"], seed=config["dataset_seed"])
    test = cls(root, train=False)
    val_images, val_targets = train.heldout_split(config["val_per_class"], seed=config["dataset_seed"])
    return DataBundle(
        train.data, np.asarray(train.targets), val_images, val_targets, test.data, np.asarray(test.targets),
        train.classes, train.class_counts,
        f"{cls.__name__}(imbalance_ratio={config['imbalance_ratio']}, profile={config['imbalance_profile']})",
    )


@_DATASETS.register("cifar10_lt")
def cifar10_lt(config: dict[str, Any]) -> DataBundle:
    """CIFAR-10-LT; validation = a balanced split of the images the subsampling discarded."""
    return _cifar(CIFAR10LT, "cifar-10-batches-py", config)


@_DATASETS.register("cifar100_lt")
def cifar100_lt(config: dict[str, Any]) -> DataBundle:
    """CIFAR-100-LT; validation as for CIFAR-10-LT."""
    return _cifar(CIFAR100LT, "cifar-100-python", config)


@_DATASETS.register("synthetic_lt")
def synthetic_lt(config: dict[str, Any]) -> DataBundle:
    """A learnable synthetic 10-class long-tailed set of 32x32 images (no files needed): each
    class is a noisy colour gradient of its own orientation. For smoke tests and benchmarks."""
    rng = np.random.RandomState(config["dataset_seed"])
    num_classes, size = 10, 32
    counts = np.asarray(cifar_lt_counts(num_classes, config["imbalance_ratio"], img_max=200))
    palette = rng.randint(40, 216, size=(num_classes, 3))
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)

    def make(per_class: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(np.arange(num_classes), per_class)
        angle = labels[:, None, None] * np.pi / num_classes
        ramp = np.cos(angle) * xx + np.sin(angle) * yy
        base = palette[labels][:, None, None, :] * (0.6 + 0.4 * ramp[..., None])
        noisy = base + rng.normal(0, 25, size=base.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8), labels

    train_images, train_targets = make(counts)
    val_images, val_targets = make(np.full(num_classes, 20))
    test_images, test_targets = make(np.full(num_classes, 50))
    return DataBundle(
        train_images, train_targets, val_images, val_targets, test_images, test_targets,
        [f"class_{c}" for c in range(num_classes)], counts_from_targets(train_targets, num_classes),
        f"synthetic_lt(imbalance_ratio={config['imbalance_ratio']})",
    )
