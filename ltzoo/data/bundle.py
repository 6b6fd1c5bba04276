"""What a dataset builder returns: the train / val / test splits, class names and training class
counts, each split able to stream training or evaluation batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from .device_batches import DeviceBatches
from .file_batches import FileBatches
from .file_datasets import FileImageDataset
from .tensor_pipeline import TensorBatches
from .transforms import FILE_TRANSFORM, IN_MEMORY_TRANSFORM, create_train_transform


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
                num_workers: int = 0, views: int = 1, drop_last: bool = False, transform: str | None = None,
                transform_args: dict[str, Any] | None = None, decode_on_device: bool = False) -> Any:
        """Training (augmented, ``views`` copies per image) or evaluation batches for this split;
        ``drop_last`` leaves out an epoch's last incomplete batch. ``transform`` /
        ``transform_args``: the training augmentation (:mod:`ltzoo.data.transforms`; None: the
        split's default, ``pad_crop_flip`` in memory, ``timm`` for image files).
        ``decode_on_device``: image files are decoded and augmented on ``device``
        (:mod:`ltzoo.data.device_batches`); in-memory images always are."""
        transform_args = transform_args or {}
        if self.images is not None:
            name = transform or IN_MEMORY_TRANSFORM
            if name != IN_MEMORY_TRANSFORM:
                raise InvalidArgumentError(f"train_transform {name!r} needs image files; in-memory images (CIFAR) are "
                                           f"augmented with {IN_MEMORY_TRANSFORM!r} (its option: padding)")
            create_train_transform(name, data_config, **transform_args)  # checks the options
            return TensorBatches(self.images, self.targets, data_config["mean"], data_config["std"], batch_size,
                                 augment=train, device=device, views=views, drop_last=drop_last, **transform_args)
        if decode_on_device:
            return DeviceBatches(self.dataset, batch_size, device=device, train=train, data_config=data_config,
                                 transform=transform or FILE_TRANSFORM, transform_args=transform_args,
                                 num_workers=num_workers, drop_last=drop_last, views=views)
        if train:
            pipeline = create_train_transform(transform or FILE_TRANSFORM, data_config, **transform_args)
        else:
            from timm.data import create_transform

            pipeline = create_transform(**data_config, is_training=False)
        return FileBatches(self.dataset, pipeline, batch_size, device=device, num_workers=num_workers, views=views,
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
