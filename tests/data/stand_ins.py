"""Small stand-ins of the real datasets' file layouts (real image files, a few per class), for
tests that build datasets, recipes and the zoo's entries without the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

LIST_COUNTS = {0: 12, 1: 5, 2: 2}  # training images per class of the split-list stand-in


def write_split_lists(root: Path, names: list[str], counts: dict[int, int] = LIST_COUNTS) -> None:
    """Writes PNGs under ``root`` and the train / val / test lists ``names`` (``<path> <label>``):
    ``counts`` training images per class, 2 per class in val and test."""
    rng = np.random.RandomState(0)
    for split, name in zip(("train", "val", "test"), names):
        rows = []
        for cls, n in (counts if split == "train" else {c: 2 for c in counts}).items():
            for i in range(n):
                path = Path(split) / str(cls) / f"{i}.png"
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(rng.randint(0, 255, (20, 24, 3), dtype=np.uint8)).save(root / path)
                rows.append(f"{path} {cls}")
        # iNaturalist's "test" list is its validation list: written once, read twice
        (root / name).write_text("\n".join(rows) + "\n")


def write_tiny_imagenet(root: Path, num_classes: int = 4, per_class: int = 12, val_per_class: int = 3) -> list[str]:
    """A Tiny-ImageNet-200 layout under ``root/tiny-imagenet-200`` with ``num_classes`` classes
    of 64x64 JPEGs (wnids.txt in a non-sorted order, as the real one); returns the wnids sorted."""
    rng = np.random.RandomState(0)
    base = root / "tiny-imagenet-200"
    wnids = [f"n{9 - c:08d}" for c in range(num_classes)]  # descending: the loader must sort them
    base.mkdir(parents=True)
    (base / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (base / "words.txt").write_text("".join(f"{w}\tthing {w[-1]}, other name\n" for w in wnids) + "n99999999\tunused\n")
    annotations = []
    for wnid in wnids:
        folder = base / "train" / wnid / "images"
        folder.mkdir(parents=True)
        for k in range(per_class):
            Image.fromarray(rng.randint(0, 255, (64, 64, 3), dtype=np.uint8)).save(folder / f"{wnid}_{k}.JPEG")
        for k in range(val_per_class):
            name = f"val_{len(annotations)}.JPEG"
            (base / "val" / "images").mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.randint(0, 255, (64, 64, 3), dtype=np.uint8)).save(base / "val" / "images" / name)
            annotations.append(f"{name}\t{wnid}\t0\t0\t63\t63")
    (base / "val" / "val_annotations.txt").write_text("\n".join(annotations) + "\n")
    return sorted(wnids)
