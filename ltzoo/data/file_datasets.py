"""Datasets of image files: split lists (ImageNet-LT, Places-LT, iNaturalist 2018), one folder
per class, and CSV (path,label). All expose ``targets`` and ``class_counts`` without decoding an
image; a missing or corrupt image raises an error naming the file, or with
``skip_corrupt=True`` is replaced by the next readable sample with a warning.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import CorruptFileError, InvalidArgumentError, MissingFileError
from ..images import IMAGE_SUFFIXES, load_image
from .class_counts import counts_from_targets


class FileImageDataset:
    """A list of ``(path, label)`` samples under ``root``.

    Attributes:
        samples, targets, classes, class_to_idx, class_counts.
    """

    def __init__(
        self,
        samples: Sequence[tuple[str, int]],
        root: str | Path,
        classes: Sequence[str] | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        skip_corrupt: bool = False,
        num_classes: int | None = None,
    ):
        self.root = Path(root)
        self.samples = list(samples)
        self.targets = [label for _, label in self.samples]
        if num_classes is None and classes is not None:
            num_classes = len(classes)
        self.class_counts = counts_from_targets(np.asarray(self.targets, dtype=np.int64), num_classes)
        self.classes = list(classes) if classes is not None else [str(i) for i in range(len(self.class_counts))]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.transform, self.target_transform = transform, target_transform
        self.skip_corrupt = skip_corrupt

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, index: int) -> tuple[Image.Image, int]:
        path, label = self.samples[index]
        return load_image(self.root / path), label

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        try:
            img, label = self._load(index)
        except (MissingFileError, CorruptFileError) as exc:
            if not self.skip_corrupt:
                raise
            warnings.warn(f"skipping sample {index}: {exc}", stacklevel=2)
            img, label = self._next_readable(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return img, label

    def _next_readable(self, index: int) -> tuple[Image.Image, int]:
        for offset in range(1, len(self.samples)):
            try:
                return self._load((index + offset) % len(self.samples))
            except (MissingFileError, CorruptFileError):
                continue
        raise CorruptFileError(f"no readable image in the {len(self.samples)} samples under {self.root}")


def parse_split_list(list_file: str | Path, num_classes: int | None = None) -> list[tuple[str, int]]:
    """Parses ``<relative path> <label>`` lines (paths may contain spaces; the label is the last
    field). Blank lines are ignored; a malformed line raises with its line number, as does a path
    that leaves the image root (absolute, or through ``..``) and a label outside the classes:
    ``0 .. num_classes - 1``, or without ``num_classes`` below the number of images listed (classes
    are numbered 0..C-1 and each needs an image to be inferred from the list)."""
    list_file = Path(list_file)
    if not list_file.is_file():
        raise MissingFileError(f"split list {list_file} does not exist")
    samples, numbers = [], []
    with open(list_file, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            path, sep, label = line.rpartition(" ")
            if not sep or not path or not label.lstrip("-").isdigit():
                raise CorruptFileError(
                    f"{list_file}:{number}: expected '<relative path> <integer label>', got {line[:120]!r}"
                )
            if label.startswith("-"):
                raise CorruptFileError(f"{list_file}:{number}: label must be >= 0, got {label}")
            # string tests, not pathlib: a 437,513-line iNaturalist list parses in well under 2 s
            drive = path[1:2] == ":" and path[0].isalpha()
            if path[0] in "/\\" or drive or ".." in path.replace("\\", "/").split("/"):
                raise CorruptFileError(
                    f"{list_file}:{number}: image paths must be relative to the image root and stay inside it, "
                    f"got {path[:120]!r}"
                )
            samples.append((path, int(label)))
            numbers.append(number)
    limit = num_classes if num_classes is not None else len(samples)
    for (path, label), number in zip(samples, numbers):
        if label >= limit:
            why = (f"the model / dataset has {num_classes} classes" if num_classes is not None else
                   f"the list holds {len(samples)} images, so classes 0..{label} cannot all have one; labels "
                   "must number the classes 0..C-1 (a split that lacks some classes needs num_classes=C)")
            raise CorruptFileError(f"{list_file}:{number}: label {label} is out of range: {why}")
    return samples


class ListDataset(FileImageDataset):
    """Images listed in a split file (``<relative path> <label>`` per line), relative to ``root``.

    Example:
        >>> ds = ListDataset("/data/places365", "Places_LT_train.txt")  # doctest: +SKIP
        >>> ds.class_counts.min(), ds.class_counts.max()  # doctest: +SKIP
        (5, 4980)
    """

    def __init__(self, root: str | Path, list_file: str | Path, transform: Callable | None = None,
                 num_classes: int | None = None, **kwargs: Any):
        super().__init__(parse_split_list(list_file, num_classes), root, transform=transform, num_classes=num_classes,
                         **kwargs)
        self.list_file = Path(list_file)


class FolderDataset(FileImageDataset):
    """One sub-folder per class (sorted names, as torchvision's ImageFolder).

    ``classes``: the class names and order to use (a validation folder takes its training
    folder's); a sub-folder not among them is an error, a class without a sub-folder is allowed.
    """

    def __init__(self, root: str | Path, transform: Callable | None = None, classes: Sequence[str] | None = None,
                 **kwargs: Any):
        root = Path(root)
        if not root.is_dir():
            raise MissingFileError(f"image folder {root} does not exist")
        found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not found:
            raise InvalidArgumentError(f"{root} holds no class sub-folders (expected root/<class>/<image>)")
        if classes is not None:
            unknown = [name for name in found if name not in classes]
            if unknown:
                raise InvalidArgumentError(
                    f"{root} has class folder(s) the training data lacks: {', '.join(unknown[:10])} "
                    f"(the training classes: {', '.join(list(classes)[:20])})"
                )
        classes = list(classes) if classes is not None else found
        index = {name: i for i, name in enumerate(classes)}
        samples = [
            (str(path.relative_to(root)), index[name])
            for name in found
            for path in sorted((root / name).rglob("*"))
            if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
        ]
        super().__init__(samples, root, classes=classes, transform=transform, **kwargs)
        empty = [name for name in found if self.class_counts[index[name]] == 0]
        if empty:
            raise InvalidArgumentError(f"class folder(s) without images under {root}: {', '.join(empty[:10])}")


class CSVDataset(FileImageDataset):
    """A CSV with ``path`` and ``label`` columns (header required); labels are integers or class
    names (names are sorted to indices, or numbered as ``classes`` lists them)."""

    def __init__(self, root: str | Path, csv_file: str | Path, transform: Callable | None = None,
                 classes: Sequence[str] | None = None, **kwargs: Any):
        csv_file = Path(csv_file)
        if not csv_file.is_file():
            raise MissingFileError(f"CSV file {csv_file} does not exist")
        with open(csv_file, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
                raise CorruptFileError(f"{csv_file}: needs a header with 'path' and 'label' columns, got {reader.fieldnames}")
            rows = [(number, row["path"], (row["label"] or "").strip()) for number, row in enumerate(reader, start=2)]
        for number, path, label in rows:
            if not path or not label:
                raise CorruptFileError(f"{csv_file}:{number}: empty path or label")
        if all(label.lstrip("-").isdigit() for _, _, label in rows):  # integer labels, not names to sort
            for number, _, label in rows:
                if label.startswith("-"):
                    raise CorruptFileError(f"{csv_file}:{number}: label must be >= 0, got {label}")
                if classes is not None and int(label) >= len(classes):
                    raise CorruptFileError(f"{csv_file}:{number}: label {label} is not one of the {len(classes)} "
                                           "training classes")
            samples = [(path, int(label)) for _, path, label in rows]
        else:
            named = sorted({label for _, _, label in rows})
            unknown = [name for name in named if classes is not None and name not in classes]
            if unknown:
                raise CorruptFileError(f"{csv_file}: label(s) the training data lacks: {', '.join(unknown[:10])}")
            classes = list(classes) if classes is not None else named
            index = {name: i for i, name in enumerate(classes)}
            samples = [(path, index[label]) for _, path, label in rows]
        super().__init__(samples, root, classes=classes, transform=transform, **kwargs)
