"""What a dataset builder returns: the train / val / test splits, class names and training class
counts, each split able to stream training or evaluation batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .file_batches import FileBatches
from .file_datasets import FileImageDataset
from .tensor_pipeline import TensorBatches


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
