"""Batches of an image-file dataset through a DataLoader, with the same interface as
:class:`~ltzoo.data.tensor_pipeline.TensorBatches` (``num_batches``, ``epoch(order)``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import InvalidArgumentError
from .file_datasets import FileImageDataset


class _Transformed(Dataset):
    def __init__(self, dataset: FileImageDataset, transform: Callable, views: int):
        self.dataset, self.transform, self.views = dataset, transform, views

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image, label = self.dataset[index]
        if self.views == 1:
            return self.transform(image), label
        return torch.stack([self.transform(image) for _ in range(self.views)]), label


class FileBatches:
    """Decodes and transforms images in ``num_workers`` processes; batches land on ``device``.

    Worker seeds derive from torch's global generator, so a seeded run (and its resumption,
    which restores that generator) draws the same augmentations. With ``views > 1`` each image is
    transformed that many times and batches are ``[views * B, C, H, W]``, view-major.
    """

    def __init__(
        self,
        dataset: FileImageDataset,
        transform: Callable,
        batch_size: int,
        device: torch.device | str = "cpu",
        num_workers: int = 0,
        drop_last: bool = False,
        views: int = 1,
    ):
        if views < 1:
            raise InvalidArgumentError(f"views must be >= 1, got {views}")
        self.dataset = _Transformed(dataset, transform, views)
        self.batch_size, self.num_workers, self.drop_last = batch_size, num_workers, drop_last
        self.device = torch.device(device)

    def num_batches(self, num_samples: int) -> int:
        return num_samples // self.batch_size if self.drop_last else -(-num_samples // self.batch_size)

    def epoch(self, order: Sequence[int] | torch.Tensor | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = range(len(self.dataset)) if order is None else torch.as_tensor(order).tolist()
        loader = DataLoader(self.dataset, batch_size=self.batch_size, sampler=indices, num_workers=self.num_workers,
                            pin_memory=self.device.type == "cuda", drop_last=self.drop_last)
        for images, targets in loader:
            if images.ndim == 5:  # [B, V, C, H, W] -> view-major [V * B, C, H, W]
                images = images.transpose(0, 1).reshape(-1, *images.shape[2:])
            yield images.to(self.device, non_blocking=True), targets.to(self.device, non_blocking=True)
