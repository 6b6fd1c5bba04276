"""A user's own images as a dataset: a folder of class sub-folders, a CSV (``path,label``) or a
split list, with an optional validation and test source. Without a validation source a
class-balanced validation split is held out of the training images (seeded), and without a test
source the test figures are that validation split's; the description says which.

The class names (folder names, or the CSV's label names) are the dataset's, so they reach the
checkpoint's ``label_names``, the card, the ONNX metadata and every prediction.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError, MissingFileError
from .bundle import DataBundle, Split
from .file_datasets import CSVDataset, FileImageDataset, FolderDataset, ListDataset
from .registry import DataOptions, register_dataset

# a data folder in split layout: these sub-folders, each of class sub-folders
SPLIT_FOLDERS = ("train", "val", "test")
# the share of the rarest class's images the held-out validation split may take per class
HOLDOUT_SHARE = 0.2


def open_images(source: str | Path, classes: list[str] | None = None) -> FileImageDataset:
    """The images ``source`` names: a folder of class sub-folders, a ``.csv`` (paths relative
    to its folder) or a split list (``<relative path> <label>`` lines, relative to its folder).
    ``classes``: the training classes a validation / test source must use."""
    path = Path(source).expanduser()
    if path.is_dir():
        return FolderDataset(path, classes=classes)
    if not path.is_file():
        raise MissingFileError(f"--data {path} does not exist (expected a folder of class sub-folders, a CSV or a "
                               "split list)")
    if path.suffix.lower() == ".csv":
        return CSVDataset(path.parent, path, classes=classes)
    return ListDataset(path.parent, path, num_classes=len(classes) if classes is not None else None, classes=classes)


def split_layout(root: Path) -> dict[str, Path] | None:
    """``{"train": root/train, "val": ..., "test": ...}`` when ``root`` holds only split folders
    (``train`` required), else None (``root`` is itself a folder of class sub-folders)."""
    if not root.is_dir() or not (root / "train").is_dir():
        return None
    children = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    if not children <= set(SPLIT_FOLDERS):
        return None
    return {split: root / split for split in SPLIT_FOLDERS if (root / split).is_dir()}


def balanced_holdout(targets: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (training, held out) with ``per_class`` images of every class held out, drawn
    with ``numpy.random.default_rng(seed)``; both sorted."""
    rng = np.random.default_rng(seed)
    held = np.concatenate([rng.choice(np.flatnonzero(targets == c), per_class, replace=False)
                           for c in np.unique(targets)])
    keep = np.setdiff1d(np.arange(len(targets)), held)
    return keep, np.sort(held)


def holdout_size(counts: np.ndarray, val_per_class: int) -> int:
    """Images per class to hold out: ``val_per_class`` at most, and at most a fifth (rounded up)
    of the rarest class, which keeps the rest for training."""
    rarest = int(counts.min())
    if rarest < 2:
        raise InvalidArgumentError(
            f"a class has {rarest} image(s): holding out a validation split needs 2 or more per class; give a "
            "validation source (val_data=PATH or --val PATH) or add images"
        )
    return max(1, min(val_per_class, math.ceil(HOLDOUT_SHARE * rarest), rarest - 1))


def _subset(dataset: FileImageDataset, indices: np.ndarray) -> FileImageDataset:
    return FileImageDataset([dataset.samples[i] for i in indices], dataset.root, classes=dataset.classes)


def _split(dataset: FileImageDataset) -> Split:
    return Split(np.asarray(dataset.targets, dtype=np.int64), dataset=dataset)


@register_dataset("images", title="your images", hub_id="custom",
                  layout="a folder of class sub-folders (or train/ val/ test/ folders of them), a CSV or a split list")
def own_images(options: DataOptions) -> DataBundle:
    """A user's images: ``data_dir`` is a folder of class sub-folders (or of ``train`` / ``val`` /
    ``test`` folders of them), a CSV or a split list; ``val_data`` / ``test_data`` name the other
    splits' sources (optional)."""
    root = Path(options.data_dir).expanduser()
    layout = split_layout(root) or {"train": root}
    train = open_images(layout["train"])
    if len(train.classes) < 2:
        raise InvalidArgumentError(f"--data {root}: a classifier needs 2 or more classes, found {train.classes}")
    val_source, test_source = options.val_data or layout.get("val"), options.test_data or layout.get("test")
    notes = []
    if val_source is not None:
        val = open_images(val_source, train.classes)
    else:
        per_class = holdout_size(train.class_counts, options.val_per_class)
        keep, held = balanced_holdout(np.asarray(train.targets), per_class, options.dataset_seed)
        train, val = _subset(train, keep), _subset(train, held)
        notes.append(f"validation: {per_class} image(s) per class held out of the training images "
                     f"(dataset_seed {options.dataset_seed}; give val_data=PATH to use your own)")
    if test_source is not None:
        test = open_images(test_source, train.classes)
    else:
        test = val
        notes.append("no test split: the test figures are the validation split's (give test_data=PATH)")
    counts = train.class_counts
    return DataBundle(
        _split(train), _split(val), _split(test), list(train.classes), counts,
        f"images in {root} ({len(train)} training images, {len(counts)} classes, imbalance ratio "
        f"{counts.max() / max(counts.min(), 1):.1f})" + "".join(f"; {note}" for note in notes),
    )
