"""Image inputs without torch: decoding files, mode conversion (grayscale, palette, RGBA,
16-bit) and the array / tensor conventions shared by the torch and onnxruntime predictors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import CorruptFileError, InvalidArgumentError, MissingFileError

SAMPLES_DIR = Path(__file__).resolve().parent / "assets" / "samples"
# the file types an image folder is searched for (datasets, `ltzoo predict DIR`, export calibration)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm")


def load_image(path: str | Path) -> Image.Image:
    """Opens an image file as RGB, turned upright by its EXIF orientation; raises MissingFileError
    / CorruptFileError naming it."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"image file {path} does not exist")
    try:
        with Image.open(path) as img:
            img.load()
            # the camera's orientation tag, as PIL-based loaders in timm / torchvision pipelines apply it
            return _check_size(to_rgb(ImageOps.exif_transpose(img)), str(path))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CorruptFileError(f"image file {path} cannot be decoded: {exc}") from exc
    except Image.DecompressionBombError as exc:  # PIL refuses to decode it: a pixel count past its limit
        raise CorruptFileError(f"image file {path} is refused as a possible decompression bomb: {exc} "
                               "(raise PIL.Image.MAX_IMAGE_PIXELS if the image is genuine)") from exc


def _check_size(img: Image.Image, what: str) -> Image.Image:
    if img.width == 0 or img.height == 0:
        raise InvalidArgumentError(f"{what} is an empty image ({img.width}x{img.height} pixels)")
    return img


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB view of any PIL image: grayscale, palette, RGBA (alpha dropped on black) and
    16-bit integer images (scaled to 8 bits)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") else max(float(arr.max()), 1.0)
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if img.mode == "RGBA" or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (0, 0, 0))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB") if img.mode != "RGB" else img


def to_pil(image: Any) -> Image.Image:
    """Any supported input as an RGB PIL image.

    Paths are opened; PIL images of any mode (grayscale, palette, RGBA, 16-bit) are converted;
    numpy arrays and torch tensors are images, HWC or CHW, uint8 / uint16 or float in [0, 1].
    """
    if isinstance(image, (str, Path)):
        return load_image(image)
    if isinstance(image, Image.Image):
        return _check_size(to_rgb(image), "a PIL input")
    if hasattr(image, "detach"):  # a torch tensor (without importing torch)
        image = image.detach().cpu()
        if image.is_floating_point() and str(image.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            image = image.float()
        image = image.numpy()
    if isinstance(image, np.ndarray):
        return _check_size(to_rgb(Image.fromarray(_array_to_uint8_hwc(image))), "an array input")
    raise InvalidArgumentError(
        f"inputs must be paths, PIL images, numpy arrays or torch tensors, got {type(image).__name__}"
    )


def _array_to_uint8_hwc(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and arr.shape[-1] not in (1, 3, 4):
        arr = np.transpose(arr, (1, 2, 0))
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise InvalidArgumentError(f"an image array must be HxW, HxWxC or CxHxW with C in 1/3/4, got {arr.shape}")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.uint16:
        return (arr.astype(np.float64) / 65535.0 * 255.0 + 0.5).astype(np.uint8)
    if arr.dtype.kind == "f":
        if arr.size and not np.all(np.isfinite(arr)):
            raise InvalidArgumentError("float image arrays must be finite: this one holds NaN or inf pixels")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise InvalidArgumentError("float image arrays must hold values in [0, 1] (not normalised tensors)")
        return (np.clip(arr, 0, 1) * 255.0 + 0.5).astype(np.uint8)
    raise InvalidArgumentError(f"image arrays must be uint8, uint16 or float in [0, 1], got {arr.dtype}")


def as_image_list(inputs: Any) -> list[Any]:
    """One image or a sequence / 4-D batch of images as a non-empty list."""
    if isinstance(inputs, (str, Path, Image.Image)):
        return [inputs]
    ndim = getattr(inputs, "ndim", None)  # numpy arrays and torch tensors
    if ndim in (2, 3):
        return [inputs]
    if ndim == 4:
        return list(inputs)
    if ndim is not None or not hasattr(inputs, "__iter__"):  # None, a number, a 1-D or 5-D array
        raise InvalidArgumentError(
            "inputs must be an image (a path, a PIL image, an HxW / HxWxC array or CxHxW tensor), a 4-D batch or a "
            f"sequence of images, got {type(inputs).__name__}" + (f" of {ndim} dimensions" if ndim is not None else "")
        )
    items = list(inputs)
    if not items:
        raise InvalidArgumentError("inputs is empty: pass at least one image")
    return items


def find_images(folder: str | Path) -> list[Path]:
    """The image files under ``folder`` (recursively, hidden files left out), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def sample_images() -> list[Path]:
    """The public-domain / CC0 photos bundled with ltzoo (see assets/samples/SOURCES.md)."""
    return sorted(p for p in SAMPLES_DIR.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
