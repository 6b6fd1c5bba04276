"""Datasets a recipe can name, loaded into a :class:`DataBundle` for the trainer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._registry import Registry
from ..data.cifar import CIFAR10LT, CIFAR100LT
from ..data.class_counts import cifar_lt_counts, counts_from_targets
from ..data.file_batches import FileBatches
from ..data.file_datasets import FileImageDataset, ListDataset
from ..data.tensor_pipeline import TensorBatches
from ..errors import InvalidArgumentError, MissingFileError


@dataclass
class Split:
    """One split: in-memory uint8 images ``[N, H, W, C]`` (small images) or an image-file dataset,
    and its labels."""

    targets: np.ndarray
    images: np.ndarray | None = None
    dataset: FileImageDataset | None = None

    def __len__(self) -> int:
        return len(self.targets)

    def inputs(self) -> list[Any]:
        """The images as a Predictor takes them (arrays or file paths)."""
        if self.images is not None:
            return list(self.images)
        return [self.dataset.root / path for path, _ in self.dataset.samples]

    def batches(self, batch_size: int, *, train: bool, data_config: dict[str, Any], device: Any,
                num_workers: int = 0, views: int = 1, drop_last: bool = False) -> Any:
        """Training (augmented, ``views`` copies per image) or evaluation batches for this split;
        ``drop_last`` leaves out an epoch's last incomplete batch."""
        if self.images is not None:
            return TensorBatches(self.images, self.targets, data_config["mean"], data_config["std"], batch_size,
                                 augment=train, device=device, views=views, drop_last=drop_last)
        from timm.data import create_transform

        transform = create_transform(**data_config, is_training=train)
        return FileBatches(self.dataset, transform, batch_size, device=device, num_workers=num_workers, views=views,
                           drop_last=drop_last)


@dataclass
class DataBundle:
    """The train / val / test splits, class names and training class counts."""

    train: Split
    val: Split
    test: Split
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
        Split(np.asarray(train.targets), train.data), Split(val_targets, val_images),
        Split(np.asarray(test.targets), test.data), train.classes, train.class_counts,
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
    """A learnable synthetic 10-class long-tailed set of ``image_size`` (default 32) square images
    (no files needed): each class is a noisy colour gradient of its own orientation. For smoke
    tests and benchmarks (224 for ImageNet-sized models)."""
    rng = np.random.RandomState(config["dataset_seed"])
    num_classes, size = 10, config["image_size"] or 32
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
        Split(train_targets, train_images), Split(val_targets, val_images), Split(test_targets, test_images),
        [f"class_{c}" for c in range(num_classes)], counts_from_targets(train_targets, num_classes),
        f"synthetic_lt(imbalance_ratio={config['imbalance_ratio']})",
    )


# official split-list names (OLTR release for ImageNet-LT / Places-LT; iNaturalist 2018 has no
# labelled test set: the papers report on its validation list)
LIST_DATASETS = {
    "imagenet_lt": ("ImageNet-LT", "ImageNet_LT_train.txt", "ImageNet_LT_val.txt", "ImageNet_LT_test.txt"),
    "places_lt": ("Places-LT", "Places_LT_train.txt", "Places_LT_val.txt", "Places_LT_test.txt"),
    "inat2018": ("iNaturalist 2018", "iNaturalist18_train.txt", "iNaturalist18_val.txt", "iNaturalist18_val.txt"),
}


def _list_file(config: dict[str, Any], key: str, default_name: str | None, title: str) -> Path:
    given = config[key]
    path = Path(given) if given else (Path(config["data_dir"]) / default_name if default_name else None)
    if path is None:
        raise InvalidArgumentError(f"the 'list' dataset needs {key}=PATH (a '<relative path> <label>' file)")
    if not path.is_file():
        raise MissingFileError(
            f"{title} needs the split list {path.name} (expected at {path}); pass {key}=PATH if it lives "
            f"elsewhere. Image paths in it are relative to --data-dir ({config['data_dir']})."
        )
    return path


def _from_lists(config: dict[str, Any], title: str, names: tuple[str | None, str | None, str | None]) -> DataBundle:
    root = Path(config["data_dir"])
    splits = [ListDataset(root, _list_file(config, key, name, title))
              for key, name in zip(("train_list", "val_list", "test_list"), names)]
    train, val, test = splits
    num_classes = max(len(train.class_counts), len(val.class_counts), len(test.class_counts))
    counts = counts_from_targets(np.asarray(train.targets), num_classes)
    return DataBundle(
        *(Split(np.asarray(ds.targets), dataset=ds) for ds in splits),
        [str(c) for c in range(num_classes)], counts, f"{title} ({len(train)} training images, {num_classes} classes)",
    )


def _register_list_dataset(key: str) -> None:
    title, *names = LIST_DATASETS[key]

    def build(config: dict[str, Any]) -> DataBundle:
        return _from_lists(config, title, tuple(names))

    build.__doc__ = f"{title} from its official split lists; images under data_dir."
    _DATASETS.register(key)(build)


for _key in LIST_DATASETS:
    _register_list_dataset(_key)


@_DATASETS.register("list")
def list_dataset(config: dict[str, Any]) -> DataBundle:
    """Any long-tailed dataset given as split lists: train_list, val_list, test_list."""
    return _from_lists(config, "the list dataset", (None, None, None))
