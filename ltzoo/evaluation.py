"""One evaluation for the trainer, ``ltzoo eval`` and the tests: a model or a predictor over a
dataset split, to the long-tailed report (:func:`~ltzoo.metrics.lt_report`) with its logits.

A model (``nn.Module``) sees batches it is given as they are (a split streams them with the
preprocessing of ``data_config``); a predictor (:class:`~ltzoo.predict.Predictor`,
:class:`~ltzoo.runtime.OnnxPredictor`) preprocesses images itself, as it does when deployed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from .data.bundle import Split
from .errors import InvalidArgumentError
from .metrics import lt_report


@torch.inference_mode()
def collect_logits(
    model: Any,
    data: Split | Iterable[tuple[Any, Any]] | tuple[Sequence[Any], Sequence[int]],
    *,
    batch_size: int = 500,
    data_config: dict[str, Any] | None = None,
    device: torch.device | str | None = None,
    autocast: Callable[[], Any] | None = None,
    channels_last: bool = False,
    num_workers: int = 0,
    decode_on_device: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The float32 logits of ``model`` on ``data`` and the targets, on the CPU.

    Args:
        model: an ``nn.Module`` (put in eval mode for the pass, then back) or a predictor.
        data: a :class:`~ltzoo.data.Split`, batches of ``(images, targets)`` (a DataLoader; models
            only), or ``(inputs, targets)`` a predictor reads (paths, PIL images, arrays).
        batch_size, data_config, device, num_workers: how a model's batches are made from a split
            (``data_config``: the checkpoint's ``pretrained_cfg`` preprocessing; ``num_workers``:
            DataLoader workers reading image files; ``decode_on_device``: decode them on ``device``).
        autocast: a context factory for the forward pass (mixed precision); channels_last: the
            memory format of a model's batches.
    """
    if not isinstance(model, nn.Module):
        inputs, targets = (data.inputs(), data.targets) if isinstance(data, Split) else data
        return torch.as_tensor(model.logits(inputs)).float(), torch.as_tensor(targets).long()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    if isinstance(data, Split):
        if data_config is None:
            raise InvalidArgumentError("evaluating a model on a split needs its data_config (mean, std, input size)")
        data = data.batches(batch_size, train=False, data_config=data_config, device=device,
                            num_workers=num_workers, decode_on_device=decode_on_device).epoch()
    was_training = model.training
    model.eval()
    logits, labels = [], []
    try:
        for images, targets in data:
            images = images.to(device)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with (autocast or nullcontext)():
                logits.append(model(images).float().cpu())
            labels.append(torch.as_tensor(targets).long().cpu())
    finally:
        model.train(was_training)
    if not logits:
        raise InvalidArgumentError("the data to evaluate holds no batch")
    return torch.cat(logits), torch.cat(labels)


def evaluate(model: Any, data: Any, class_counts: Any, **options: Any) -> dict[str, Any]:
    """The long-tailed report of ``model`` (a model or a predictor) on ``data`` (see
    :func:`collect_logits` for both and the ``options``), with the ``logits`` and ``targets`` it
    was computed from (for calibration and plots). ``class_counts``: the training counts that
    define the many / medium / few groups.

    Example:
        >>> model = torch.nn.Linear(4, 3)
        >>> batches = [(torch.randn(8, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))]
        >>> report = evaluate(model, batches, class_counts=[300, 50, 5])
        >>> report["num_samples"], report["logits"].shape
        (8, torch.Size([8, 3]))
    """
    logits, targets = collect_logits(model, data, **options)
    report = lt_report(logits, targets, class_counts)
    report["logits"], report["targets"] = logits, targets
    return report
