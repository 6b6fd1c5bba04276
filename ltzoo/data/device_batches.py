"""Image-file batches decoded and augmented on the training device (a recipe's
``decode_on_device: true``), for GPU runs whose CPU loader is the wall (``benchmarks/data.py``
measures both sides).

DataLoader workers only read each file's bytes. The training process decodes a whole batch with
one ``decode_jpeg`` call on the device (nvJPEG on a CUDA GPU; TorchCodec's decoder where installed,
else torchvision.io's; files that are not JPEG are decoded on the CPU and moved), then crops,
flips and normalises the uint8 tensors there, in the device form of the recipe's training
transform (:mod:`.transforms`):

- ``pad_crop_flip``: the batch at once (:func:`~ltzoo.data.tensor_pipeline.random_crop_flip`);
- ``resize_crop_flip``: each image resized (antialiased), then cropped and flipped;
- ``timm``: each image through RandomResizedCrop (timm's scale and ratio ranges), a flip and
  timm's default colour jitter (0.4 brightness / contrast / saturation), torchvision v2's
  tensor forms.

Evaluation batches: the shorter side resized to ``input_size / crop_pct`` and the centre crop, as
timm's evaluation transform. The random draws come from torch's global generator (a resumed run
continues them), not the PIL path's, and resizing is torch's antialiased one, not PIL's: the same
augmentations, not the same pixels. EXIF orientation tags are not applied (PIL's path applies
them). Same interface as :class:`~ltzoo.data.file_batches.FileBatches`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import CorruptFileError, InvalidArgumentError, MissingFileError
from .file_datasets import FileImageDataset
from .tensor_pipeline import normalize_uint8, random_crop_flip

JPEG_MAGIC = b"\xff\xd8"


class _EncodedFiles(Dataset):
    """The files' bytes as uint8 tensors, with their labels and indices (read in the workers)."""

    def __init__(self, dataset: FileImageDataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, int]:
        path, label = self.dataset.samples[index]
        try:
            data = (self.dataset.root / path).read_bytes()
        except FileNotFoundError:
            raise MissingFileError(f"image file {self.dataset.root / path} does not exist") from None
        return torch.frombuffer(bytearray(data), dtype=torch.uint8), label, index


def _collate(items: list[tuple[torch.Tensor, int, int]]) -> tuple[list[torch.Tensor], torch.Tensor, list[int]]:
    data, labels, indices = zip(*items)
    return list(data), torch.as_tensor(labels), list(indices)


def _decoders() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(decode_jpegs(list, device), decode_any(data))`` returning RGB uint8 ``[3, H, W]``:
    TorchCodec's decoders (0.16+, the maintained ones: ``pip install "ltzoo[gpu-decode]"``), else
    torchvision.io's (deprecated since torchvision 0.29, still there)."""
    try:
        from torchcodec.decoders import decode_image, decode_jpeg
    except ImportError:
        from torchvision.io import ImageReadMode
        from torchvision.io import decode_image as tv_decode_image
        from torchvision.io import decode_jpeg as tv_decode_jpeg

        return (lambda data, device: tv_decode_jpeg(data, mode=ImageReadMode.RGB, device=device),
                lambda data: tv_decode_image(data, mode=ImageReadMode.RGB))
    return (lambda data, device: decode_jpeg(data, mode="RGB", device=device),
            lambda data: decode_image(data, mode="RGB"))


def decode_batch(data: Sequence[torch.Tensor], device: torch.device, names: Sequence[str]) -> list[torch.Tensor]:
    """RGB uint8 ``[3, H, W]`` tensors on ``device`` of encoded images ``data`` (``names`` name
    them in errors): JPEGs in one batched call on the device, the rest on the CPU."""
    decode_jpegs, decode_any = _decoders()
    images: list[torch.Tensor | None] = [None] * len(data)
    jpeg = [i for i, d in enumerate(data) if bytes(d[:2].tolist()) == JPEG_MAGIC]
    try:
        if jpeg:
            for i, image in zip(jpeg, decode_jpegs([data[i] for i in jpeg], device)):
                images[i] = image
        for i in (i for i in range(len(data)) if images[i] is None):
            images[i] = decode_any(data[i]).to(device)
    except (RuntimeError, ValueError):  # find the file at fault, one by one
        for d, name in zip(data, names):
            try:
                decode_any(d)
            except (RuntimeError, ValueError) as exc:
                raise CorruptFileError(f"image file {name} cannot be decoded: {exc}") from exc
        raise
    return images  # type: ignore[return-value]


def _resize_shorter(image: torch.Tensor, size: int, interpolation: Any) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as F

    return F.resize(image, size, interpolation=interpolation, antialias=True)


def _interpolation(data_config: dict[str, Any]) -> Any:
    from torchvision.transforms import InterpolationMode

    return InterpolationMode(data_config.get("interpolation", "bilinear"))


def _pad_crop_flip(images: list[torch.Tensor], data_config: dict[str, Any], padding: int = 4) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as F

    size = list(data_config["input_size"][-2:])
    same = [image if list(image.shape[-2:]) == size else
            F.resize(image, size, interpolation=_interpolation(data_config), antialias=True) for image in images]
    return random_crop_flip(torch.stack(same), padding)


def _random_crop_flip_each(images: list[torch.Tensor], size: Sequence[int]) -> torch.Tensor:
    from torchvision.transforms import v2

    crop_flip = v2.Compose([v2.RandomCrop(list(size)), v2.RandomHorizontalFlip()])
    return torch.stack([crop_flip(image) for image in images])


def _resize_crop_flip(images: list[torch.Tensor], data_config: dict[str, Any], resize: int = 256) -> torch.Tensor:
    interpolation = _interpolation(data_config)
    return _random_crop_flip_each([_resize_shorter(image, resize, interpolation) for image in images],
                                  data_config["input_size"][-2:])


def _timm(images: list[torch.Tensor], data_config: dict[str, Any]) -> torch.Tensor:
    from torchvision.transforms import v2

    augment = v2.Compose([
        v2.RandomResizedCrop(list(data_config["input_size"][-2:]), scale=tuple(data_config.get("scale", (0.08, 1.0))),
                             ratio=tuple(data_config.get("ratio", (3 / 4, 4 / 3))),
                             interpolation=_interpolation(data_config), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.ColorJitter(0.4, 0.4, 0.4),  # timm's create_transform default color_jitter=0.4
    ])
    return torch.stack([augment(image) for image in images])


# the device form of each registered training transform (tests check every one has its form)
DEVICE_AUGMENTATIONS: dict[str, Callable[..., torch.Tensor]] = {
    "pad_crop_flip": _pad_crop_flip,
    "resize_crop_flip": _resize_crop_flip,
    "timm": _timm,
}


def _evaluation_view(images: list[torch.Tensor], data_config: dict[str, Any]) -> torch.Tensor:
    """timm's evaluation transform on tensors: shorter side to floor(size / crop_pct), centre crop."""
    from torchvision.transforms.v2 import functional as F

    height, width = data_config["input_size"][-2:]
    scale = math.floor(min(height, width) / data_config.get("crop_pct", 0.875))
    interpolation = _interpolation(data_config)
    return torch.stack([F.center_crop(_resize_shorter(image, scale, interpolation), [height, width])
                        for image in images])


class DeviceBatches:
    """Batches of an image-file dataset decoded and augmented on ``device`` (module docstring).

    Args:
        dataset: the image files.
        batch_size, device, num_workers, drop_last, views: as :class:`FileBatches`.
        train: augment with ``transform`` (a registered training transform's name) and
            ``transform_args``; else the evaluation view.
        data_config: timm's resolved data config (input size, mean, std, interpolation, crop_pct).
    """

    def __init__(self, dataset: FileImageDataset, batch_size: int, *, device: torch.device | str, train: bool,
                 data_config: dict[str, Any], transform: str = "timm", transform_args: dict[str, Any] | None = None,
                 num_workers: int = 0, drop_last: bool = False, views: int = 1):
        if views < 1 or (views > 1 and not train):
            raise InvalidArgumentError(f"views must be 1, or >= 2 for training batches, got {views}")
        if train and transform not in DEVICE_AUGMENTATIONS:
            raise InvalidArgumentError(f"decode_on_device has no device form of train_transform {transform!r}; "
                                       f"it has: {', '.join(sorted(DEVICE_AUGMENTATIONS))}")
        self.dataset, self.files = dataset, _EncodedFiles(dataset)
        self.batch_size, self.num_workers, self.drop_last, self.views = batch_size, num_workers, drop_last, views
        self.device, self.train, self.data_config = torch.device(device), train, data_config
        self.transform, self.transform_args = transform, dict(transform_args or {})

    def num_batches(self, num_samples: int) -> int:
        return num_samples // self.batch_size if self.drop_last else -(-num_samples // self.batch_size)

    def _view(self, images: list[torch.Tensor]) -> torch.Tensor:
        if not self.train:
            batch = _evaluation_view(images, self.data_config)
        else:
            augment = DEVICE_AUGMENTATIONS[self.transform]
            batch = torch.cat([augment(images, self.data_config, **self.transform_args) for _ in range(self.views)])
        return normalize_uint8(batch, self.data_config["mean"], self.data_config["std"])

    def epoch(self, order: Sequence[int] | torch.Tensor | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = range(len(self.files)) if order is None else torch.as_tensor(order).tolist()
        loader = DataLoader(self.files, batch_size=self.batch_size, sampler=indices, num_workers=self.num_workers,
                            drop_last=self.drop_last, collate_fn=_collate)
        for data, targets, batch_indices in loader:
            names = [str(self.dataset.root / self.dataset.samples[i][0]) for i in batch_indices]
            images = decode_batch(data, self.device, names)
            yield self._view(images), targets.to(self.device, non_blocking=True)
