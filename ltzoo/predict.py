"""Predictor: preprocessing from the checkpoint's pretrained_cfg + model + calibrated
probabilities, on CPU or GPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from PIL import Image
from torch import nn

from ._validation import check_count, check_temperature
from .calibration import prior_log_ratio
from .errors import InvalidArgumentError
from .images import as_image_list, to_pil

ImageInput = Union[str, Path, Image.Image, np.ndarray, torch.Tensor]


class Predictor:
    """Calibrated predictions of a classifier loaded from a checkpoint folder.

    Probabilities are ``softmax(z / T + log(pi_target) - log(pi_output))``: ``T`` the fitted
    temperature, ``pi_output`` the prior the model's outputs reflect and ``pi_target`` the
    test-time prior (``"balanced"`` by default, ``"train"``, or C numbers).

    Example:
        >>> predictor = ltzoo.load("gcl-resnet32-cifar10lt")  # doctest: +SKIP
        >>> predictor.predict("cat.png", topk=3)  # doctest: +SKIP
        [[{'label': 'cat', 'index': 3, 'score': 0.91}, ...]]
    """

    def __init__(
        self,
        model: nn.Module,
        config: dict[str, Any],
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        target_prior: Any = "balanced",
        batch_size: int = 32,
    ):
        from timm.data import create_transform, resolve_data_config

        self.device = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = dtype
        self.model = model.eval().to(self.device)
        if dtype is not None:
            self.model = self.model.to(dtype)
        self.config = config
        num_classes = config["num_classes"]
        self.label_names = list(config.get("label_names") or [str(i) for i in range(num_classes)])
        block = config.get("ltzoo", {})
        self.class_counts = block.get("class_counts")
        calibration = block.get("calibration", {})
        self.temperature = check_temperature(calibration.get("temperature", 1.0), "ltzoo.calibration.temperature")
        self.output_prior = calibration.get("output_prior", "train")
        self.target_prior = target_prior
        self.batch_size = check_count(batch_size, "batch_size")
        self.data_config = resolve_data_config(pretrained_cfg=config.get("pretrained_cfg", {}), model=model)
        self.transform = create_transform(**self.data_config, is_training=False)

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def _prior_bias(self, target_prior: Any) -> torch.Tensor:
        """Log ratio moving the outputs' prior to ``target_prior`` (this predictor's default when
        None)."""
        target = self.target_prior if target_prior is None else target_prior
        if self.class_counts is None:
            if not (isinstance(target, str) and target == self.output_prior):
                raise InvalidArgumentError("this checkpoint records no class_counts, so no prior shift is possible")
            return torch.zeros(self.num_classes)
        return prior_log_ratio(self.output_prior, target, self.class_counts).float()

    def preprocess(self, inputs: ImageInput | Sequence[ImageInput]) -> torch.Tensor:
        """The model's input batch ``[N, 3, H, W]`` (float32, CPU) for one or many images."""
        items = as_image_list(inputs)
        return torch.stack([self.transform(to_pil(item)) for item in items])

    @torch.inference_mode()
    def logits(self, inputs: ImageInput | Sequence[ImageInput]) -> torch.Tensor:
        """Raw model outputs ``[N, C]`` (float32, CPU), batched by ``batch_size``."""
        items = as_image_list(inputs)
        out = []
        for start in range(0, len(items), self.batch_size):
            batch = self.preprocess(items[start : start + self.batch_size]).to(self.device)
            if self.dtype is not None:
                batch = batch.to(self.dtype)
            out.append(self.model(batch).float().cpu())
        return torch.cat(out)

    def calibrate(self, logits: torch.Tensor, target_prior: Any = None) -> torch.Tensor:
        """Calibrated logits ``z / T + log(pi_target) - log(pi_output)`` of raw ``logits``
        ``[N, C]`` (from :meth:`logits`): their softmax is :meth:`predict_proba`."""
        if logits.ndim != 2 or logits.shape[1] != self.num_classes:
            raise InvalidArgumentError(
                f"logits must have shape [N, {self.num_classes}], got {list(logits.shape)}"
            )
        return logits.float() / self.temperature + self._prior_bias(target_prior)

    def predict_proba(self, inputs: ImageInput | Sequence[ImageInput], target_prior: Any = None) -> np.ndarray:
        """Calibrated class probabilities ``[N, C]`` under ``target_prior``."""
        return self.calibrate(self.logits(inputs), target_prior).softmax(1).numpy()

    def predict(
        self, inputs: ImageInput | Sequence[ImageInput], topk: int = 5, target_prior: Any = None
    ) -> list[list[dict[str, Any]]]:
        """Per image, the ``topk`` classes as ``{"label", "index", "score"}``, best first."""
        topk = check_count(topk, "topk")
        probs = self.predict_proba(inputs, target_prior)
        k = min(topk, probs.shape[1])
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return [
            [{"label": self.label_names[i], "index": int(i), "score": float(row[i])} for i in idx]
            for row, idx in zip(probs, order)
        ]
