"""Training augmentations of image-file datasets by name: a recipe's ``train_transform`` and
``train_transform_args`` pick one.

- ``timm``: timm's ``create_transform(is_training=True)`` from the model's data config
  (RandomResizedCrop, flip, colour jitter as timm sets them): the ImageNet recipe.
- ``pad_crop_flip``: a random ``input_size`` crop of the image zero-padded by ``padding`` pixels,
  and a horizontal flip (He et al. 2016's CIFAR augmentation; Cao et al. 2019, appendix B, for
  Tiny-ImageNet: "random crops of size 64 x 64 from images padded by 8 pixels on each side").
- ``resize_crop_flip``: the shorter side resized to ``resize`` pixels, a random ``input_size``
  crop and a horizontal flip (Cao et al. 2019, appendix B, for iNaturalist 2018: "resized by
  setting the shorter side to 256 pixels, and then a 224 x 224 crop is randomly sampled from an
  image or its horizontal flip").

In-memory splits (CIFAR) always augment with ``pad_crop_flip`` on the tensor's device
(:mod:`ltzoo.data.tensor_pipeline`), which takes its ``padding`` too; ``timm`` needs image files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._registry import Registry

Transform = Callable[[Any], Any]
_TRANSFORMS: Registry[Transform] = Registry("train transform")
# what a split without a recipe choice uses: in-memory images / image files
IN_MEMORY_TRANSFORM, FILE_TRANSFORM = "pad_crop_flip", "timm"


def register_train_transform(name: str) -> Callable[[Callable[..., Transform]], Callable[..., Transform]]:
    """Decorator adding ``fn(data_config, **options) -> transform`` under ``name``."""
    return _TRANSFORMS.register(name)


def list_train_transforms(pattern: str = "*") -> list[str]:
    """Names of the registered training transforms.

    Example:
        >>> list_train_transforms()
        ['pad_crop_flip', 'resize_crop_flip', 'timm']
    """
    return _TRANSFORMS.names(pattern)


def create_train_transform(name: str, data_config: dict[str, Any], **options: Any) -> Transform:
    """The training transform ``name`` (PIL image -> normalised float tensor) for ``data_config``
    (timm's resolved data config: ``input_size``, ``mean``, ``std``, ...); ``options`` are the
    transform's own (a recipe's ``train_transform_args``)."""
    return _TRANSFORMS.create(name, data_config, **options)


@register_train_transform("timm")
def timm_transform(data_config: dict[str, Any]) -> Transform:
    """timm's training transform for ``data_config`` (its ``scale``: RandomResizedCrop's area
    range, which a recipe's ``train_crop_scale`` sets)."""
    from timm.data import create_transform

    return create_transform(**data_config, is_training=True)


@register_train_transform("pad_crop_flip")
def pad_crop_flip(data_config: dict[str, Any], padding: int = 4) -> Transform:
    """Zero-pad by ``padding`` pixels, crop ``input_size`` at random, flip half the images, then
    ToTensor + Normalize with the data config's mean / std. Made for datasets whose images have
    the model's input size (CIFAR 32 px, Tiny-ImageNet 64 px), which pass unresized; an image of
    another size is first resized to it."""
    from timm.data.transforms import str_to_interp_mode
    from torchvision import transforms

    height, width = data_config["input_size"][-2:]
    interpolation = str_to_interp_mode(data_config.get("interpolation", "bilinear"))
    return transforms.Compose([
        transforms.Resize((height, width), interpolation=interpolation),  # a no-op at that size
        transforms.RandomCrop((height, width), padding=padding),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(data_config["mean"], data_config["std"]),
    ])


@register_train_transform("resize_crop_flip")
def resize_crop_flip(data_config: dict[str, Any], resize: int = 256) -> Transform:
    """Shorter side to ``resize`` pixels (the data config's interpolation), a random
    ``input_size`` crop, a horizontal flip half the time, then ToTensor + Normalize."""
    from timm.data.transforms import str_to_interp_mode
    from torchvision import transforms

    height, width = data_config["input_size"][-2:]
    interpolation = str_to_interp_mode(data_config.get("interpolation", "bilinear"))
    return transforms.Compose([
        transforms.Resize(resize, interpolation=interpolation),
        transforms.RandomCrop((height, width)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(data_config["mean"], data_config["std"]),
    ])
