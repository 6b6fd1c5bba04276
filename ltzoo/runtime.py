"""OnnxPredictor: serve an exported ltzoo model with numpy, Pillow and onnxruntime alone.

Importing this module never imports torch. Preprocessing reproduces timm's eval transform
exactly (resize of the shorter side to ``floor(size / crop_pct)`` with the checkpoint's
interpolation, centre crop with round-half-even offsets, ``(x / 255 - mean) / std`` in
float32); calibration (temperature and prior shift) and softmax run inside the graph.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._validation import as_distribution, check_count, resolve_prior
from .download import ONNX_NAME
from .errors import CorruptFileError, InvalidArgumentError, MissingFileError
from .images import as_image_list, to_pil

PIL_INTERPOLATION = {
    "nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING,
}
DEFAULT_DATA_CONFIG = {"input_size": [3, 224, 224], "interpolation": "bilinear", "crop_pct": 0.875,
                       "crop_mode": "center", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def resize_shorter_side(img: Image.Image, size: int, resample: int) -> Image.Image:
    """torchvision ``Resize(size)`` on a PIL image: the shorter side becomes ``size``, the longer
    ``int(size * long / short)``; an image already of that size is returned as is."""
    width, height = img.size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    if (new_w, new_h) == (width, height):
        return img
    return img.resize((new_w, new_h), resample)


def center_crop(arr: np.ndarray, height: int, width: int) -> np.ndarray:
    """torchvision ``CenterCrop``: zero-pad if smaller, then offsets ``int(round((H - h) / 2))``
    (Python's round: half to even)."""
    img_h, img_w = arr.shape[:2]
    if height > img_h or width > img_w:
        pad_top, pad_left = max(height - img_h, 0) // 2, max(width - img_w, 0) // 2
        pad_bottom, pad_right = (max(height - img_h, 0) + 1) // 2, (max(width - img_w, 0) + 1) // 2
        arr = np.pad(arr, ((pad_top, pad_bottom), (pad_left, pad_right), (0, 0)))
        img_h, img_w = arr.shape[:2]
        if (img_h, img_w) == (height, width):
            return arr
    top, left = int(round((img_h - height) / 2.0)), int(round((img_w - width) / 2.0))
    return arr[top : top + height, left : left + width]


class ImagePreprocessor:
    """timm's eval transform for one data config (``input_size``, ``interpolation``,
    ``crop_pct``, ``crop_mode``, ``mean``, ``std``), in numpy."""

    def __init__(self, data_config: dict[str, Any]):
        self.config = {**DEFAULT_DATA_CONFIG, **{k: v for k, v in data_config.items() if v is not None}}
        _, self.height, self.width = (int(v) for v in self.config["input_size"])
        interpolation = self.config["interpolation"]
        if interpolation not in PIL_INTERPOLATION:
            raise InvalidArgumentError(f"interpolation {interpolation!r} is not one of {sorted(PIL_INTERPOLATION)}")
        self.resample = PIL_INTERPOLATION[interpolation]
        self.crop_mode = self.config["crop_mode"] or "center"
        if self.crop_mode not in ("center", "squash"):
            raise InvalidArgumentError(f"crop_mode {self.crop_mode!r} is not supported by the runtime (center, squash)")
        crop_pct = float(self.config["crop_pct"])
        self.scale = (math.floor(self.height / crop_pct), math.floor(self.width / crop_pct))
        self.mean = np.asarray(self.config["mean"], dtype=np.float32)
        self.std = np.asarray(self.config["std"], dtype=np.float32)

    def resize_crop(self, image: Any) -> np.ndarray:
        """uint8 ``[H, W, 3]``: resized and centre-cropped RGB pixels."""
        img = to_pil(image)
        if self.crop_mode == "squash":
            if img.size != (self.scale[1], self.scale[0]):
                img = img.resize((self.scale[1], self.scale[0]), self.resample)
        elif self.scale[0] == self.scale[1]:
            img = resize_shorter_side(img, self.scale[0], self.resample)
        else:
            raise InvalidArgumentError("non-square scale sizes need timm's ResizeKeepRatio, not supported here")
        return center_crop(np.asarray(img, dtype=np.uint8), self.height, self.width)

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """float32 ``[N, 3, H, W]`` from uint8 ``[N, H, W, 3]``, as ToTensor + Normalize."""
        x = pixels.astype(np.float32) / np.float32(255.0)
        return np.ascontiguousarray(((x - self.mean) / self.std).transpose(0, 3, 1, 2))


class OnnxPredictor:
    """Same ``predict`` / ``predict_proba`` API as :class:`ltzoo.predict.Predictor`, on onnxruntime.

    Args:
        path_or_folder: ``model.onnx`` or a checkpoint folder holding it.
        providers: onnxruntime execution providers (default: CUDA first when available).
        threads: intra-op threads (default: onnxruntime's choice).
        target_prior: default test-time prior (``"balanced"``, ``"train"`` or C numbers).

    Example:
        >>> predictor = OnnxPredictor("runs/gcl-resnet32-cifar10lt/model")  # doctest: +SKIP
        >>> predictor.predict("cat.png", topk=3)  # doctest: +SKIP
    """

    def __init__(
        self,
        path_or_folder: str | Path,
        providers: list[str] | None = None,
        threads: int | None = None,
        target_prior: Any = "balanced",
        batch_size: int = 32,
    ):
        import onnxruntime as ort

        path = Path(path_or_folder)
        if path.is_dir():
            path = path / ONNX_NAME
        if not path.is_file():
            raise MissingFileError(f"no ONNX model at {path}: export one with `python -m export FOLDER`")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        available = ort.get_available_providers()
        if providers is None:
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime's own exception types (InvalidProtobuf, Fail, ...) are not exported
            raise CorruptFileError(f"{path} cannot be loaded as an ONNX model (truncated or not ONNX?): "
                                   f"{type(exc).__name__}: {exc}") from exc
        self.path = path
        self.metadata = self._read_metadata()
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.preprocessor = ImagePreprocessor(self.metadata["data_config"])
        self.uint8_input = self.metadata["input_format"] == "uint8_nhwc"
        self.target_prior = target_prior
        self.batch_size = check_count(batch_size, "batch_size")

    def _read_metadata(self) -> dict[str, Any]:
        props = self.session.get_modelmeta().custom_metadata_map
        if "ltzoo" not in props:
            num_classes = self.session.get_outputs()[0].shape[-1]
            height, width = self.session.get_inputs()[0].shape[-2:]
            static = isinstance(height, int) and isinstance(width, int)
            data_config = {"input_size": (3, height, width)} if static else {}
            warnings.warn(
                f"{self.path} carries no ltzoo metadata: using defaults (ImageNet mean/std, "
                f"{f'its {height}x{width} input' if static else '224 px'} with a bilinear crop of 0.875, temperature "
                "1, no prior shift, labels '0'..'C-1', float NCHW input)",
                stacklevel=3,
            )
            return {"data_config": data_config, "input_format": "float32_nchw", "label_names": None,
                    "num_classes": num_classes if isinstance(num_classes, int) else None,
                    "calibration": {}, "class_counts": None, "exported_target_prior": None}
        meta = json.loads(props["ltzoo"])
        return meta

    @property
    def label_names(self) -> list[str]:
        names = self.metadata.get("label_names")
        if names:
            return list(names)
        return [str(i) for i in range(int(self.metadata.get("num_classes") or 0))]

    def _prior_bias(self, target_prior: Any) -> np.ndarray:
        """Log ratio moving the exported prior to ``target_prior`` (0 when they agree)."""
        target = self.target_prior if target_prior is None else target_prior
        exported = self.metadata.get("exported_target_prior")
        counts = self.metadata.get("class_counts")
        if exported is None or counts is None:
            if target in ("balanced", None) or target == exported:
                return 0.0
            raise InvalidArgumentError("this ONNX model records no class counts: no prior shift is possible")
        return _log_prior(target, counts) - _log_prior(exported, counts)

    def _run(self, items: list[Any]) -> dict[str, np.ndarray]:
        pixels = np.stack([self.preprocessor.resize_crop(item) for item in items])
        feed = pixels if self.uint8_input else self.preprocessor.normalize(pixels)
        return dict(zip(self.output_names, self.session.run(None, {self.input_name: feed})))

    def logits(self, inputs: Any) -> np.ndarray:
        """The graph's calibrated logits ``[N, C]`` (exported prior)."""
        items = as_image_list(inputs)
        out = [self._run(items[i : i + self.batch_size]) for i in range(0, len(items), self.batch_size)]
        key = "logits" if "logits" in self.output_names else self.output_names[0]
        if key == "probs":
            return np.concatenate([np.log(np.clip(o["probs"], 1e-30, None)) for o in out])
        return np.concatenate([o[key] for o in out])

    def predict_proba(self, inputs: Any, target_prior: Any = None) -> np.ndarray:
        """Calibrated class probabilities ``[N, C]`` under ``target_prior``."""
        z = self.logits(inputs) + self._prior_bias(target_prior)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, inputs: Any, topk: int = 5, target_prior: Any = None) -> list[list[dict[str, Any]]]:
        """Per image, the ``topk`` classes as ``{"label", "index", "score"}``, best first."""
        topk = check_count(topk, "topk")
        probs = self.predict_proba(inputs, target_prior)
        names = self.label_names or [str(i) for i in range(probs.shape[1])]
        order = np.argsort(-probs, axis=1, kind="stable")[:, : min(topk, probs.shape[1])]
        return [[{"label": names[i], "index": int(i), "score": float(row[i])} for i in idx]
                for row, idx in zip(probs, order)]


def _log_prior(prior: Any, counts: list[int]) -> np.ndarray:
    with np.errstate(divide="ignore"):  # a class the target prior leaves out: log 0 = -inf, probability 0
        return np.log(resolve_prior(prior, as_distribution(counts, "class_counts"), "target_prior"))