"""Tiny-ImageNet-LT: Tiny-ImageNet-200 (200 classes, 500 training and 50 validation 64x64 JPEGs
per class) subsampled to a long tail as Cao et al. (NeurIPS 2019, appendix C.2) do: "the same
strategy" as their CIFAR-LT, i.e. ``n_c = int(500 * ratio^(-c / 199))`` images of class ``c``
(ratio 100: 21,549 images), drawn by :func:`~ltzoo.data.class_counts.cifar_lt_indices`. (500:
the images of each class; a smaller copy, such as the tests' stand-in, uses its smallest class's.)

The images stay JPEG files, read through the same pipeline as ImageNet-LT or a user's folder
(:class:`~ltzoo.data.file_datasets.FileImageDataset`, DataLoader workers, a registered training
transform). Classes are the sorted WordNet ids (torchvision's ImageFolder order), named by the
first name ``words.txt`` gives each. The test split is the 10,000 labelled validation images
(the papers report on them); the validation split is ``val_per_class`` images per class drawn
from the training images the subsampling discarded, as for CIFAR-LT.

Layout under ``data_dir`` (``../shared/tools/tiny-imagenet`` rebuilds it)::

    tiny-imagenet-200/wnids.txt, words.txt
    tiny-imagenet-200/train/<wnid>/images/<wnid>_<k>.JPEG
    tiny-imagenet-200/val/images/val_<k>.JPEG, val/val_annotations.txt
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, MissingFileError
from .bundle import DataBundle, Split
from .class_counts import cifar_lt_counts, cifar_lt_indices, heldout_indices
from .file_datasets import FileImageDataset
from .registry import DataOptions, register_dataset

FOLDER = "tiny-imagenet-200"


def _root(options: DataOptions) -> Path:
    root = Path(options.data_dir) / FOLDER
    if not (root / "wnids.txt").is_file():
        raise MissingFileError(
            f"Tiny-ImageNet-LT needs {root}/ (wnids.txt, words.txt, train/, val/); pass --data-dir pointing at the "
            "folder that holds tiny-imagenet-200/ (../shared/tools/tiny-imagenet/README.md rebuilds it)"
        )
    return root


def class_names(root: Path) -> tuple[list[str], list[str]]:
    """The sorted WordNet ids of ``root`` and their first names in ``words.txt``."""
    wnids = sorted((root / "wnids.txt").read_text(encoding="utf-8").split())
    words: dict[str, str] = {}
    words_file = root / "words.txt"
    if words_file.is_file():
        for line in words_file.read_text(encoding="utf-8").splitlines():
            wnid, _, text = line.partition("\t")
            words[wnid] = text.split(",")[0].strip()
    return wnids, [words.get(wnid) or wnid for wnid in wnids]


def training_samples(root: Path, wnids: list[str]) -> list[tuple[str, int]]:
    """Every training image as ``(path relative to root, class)``, class by class, files sorted."""
    samples = []
    for label, wnid in enumerate(wnids):
        folder = root / "train" / wnid / "images"
        files = sorted(p.name for p in folder.glob("*.JPEG")) if folder.is_dir() else []
        if not files:
            raise MissingFileError(f"Tiny-ImageNet-LT: no training images in {folder}")
        samples += [(f"train/{wnid}/images/{name}", label) for name in files]
    return samples


def validation_samples(root: Path, wnids: list[str]) -> list[tuple[str, int]]:
    """The labelled validation images (``val/val_annotations.txt``: file, wnid, box)."""
    annotations = root / "val" / "val_annotations.txt"
    if not annotations.is_file():
        raise MissingFileError(f"Tiny-ImageNet-LT needs {annotations} (the validation labels)")
    index = {wnid: i for i, wnid in enumerate(wnids)}
    samples = []
    for number, line in enumerate(annotations.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 2 or fields[1] not in index:
            raise CorruptFileError(f"{annotations}:{number}: expected '<file>\\t<wnid of wnids.txt>\\t...', "
                                   f"got {line[:120]!r}")
        samples.append((f"val/images/{fields[0]}", index[fields[1]]))
    return samples


@register_dataset("tiny_imagenet_lt", title="Tiny-ImageNet-LT", hub_id="zh-plus/tiny-imagenet", ratio_in_title=True,
                  layout=f"{FOLDER}/ (the standard Tiny-ImageNet-200 folders: wnids.txt, words.txt, train/, val/)")
def tiny_imagenet_lt(options: DataOptions) -> DataBundle:
    """Tiny-ImageNet-LT at ``imbalance_ratio`` (profile ``imbalance_profile``, subsampling seed
    ``dataset_seed``); test = the 10,000 validation images."""
    root = _root(options)
    wnids, names = class_names(root)
    full = training_samples(root, wnids)
    targets = np.asarray([label for _, label in full], dtype=np.int64)
    img_max = int(np.bincount(targets, minlength=len(wnids)).min())  # 500 in Tiny-ImageNet-200
    counts = cifar_lt_counts(len(wnids), options.imbalance_ratio, options.imbalance_profile, img_max)
    kept = cifar_lt_indices(targets, counts, options.dataset_seed)
    discarded = np.setdiff1d(np.arange(len(full)), kept)
    held = heldout_indices(targets, discarded, len(wnids), options.val_per_class, options.dataset_seed)
    train, val, test = (
        FileImageDataset(samples, root, classes=names)
        for samples in ([full[i] for i in kept], [full[i] for i in held], validation_samples(root, wnids))
    )
    return DataBundle(
        *(Split(np.asarray(ds.targets, dtype=np.int64), dataset=ds) for ds in (train, val, test)),
        names, train.class_counts,
        f"Tiny-ImageNet-LT(imbalance_ratio={options.imbalance_ratio}, profile={options.imbalance_profile}; "
        f"{len(train)} training images, test: the {len(test)} validation images)",
    )
