"""CIFAR-10-LT and CIFAR-100-LT, drawn exactly as the LDAM-DRW / GCL reference code draws them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import MissingFileError
from .bundle import DataBundle, Split
from .class_counts import cifar_lt_counts, cifar_lt_indices, counts_from_targets, heldout_indices
from .registry import DataOptions, register_dataset

__all__ = ["CIFAR10LT", "CIFAR100LT"]


class _CIFARLT:
    """Long-tailed CIFAR over torchvision's CIFAR10/100 (its download and md5 checks).

    Args:
        root: folder holding ``cifar-10-batches-py`` / ``cifar-100-python``.
        train: the long-tailed training subset (True) or the full balanced test set (False).
        imbalance_ratio: ``n_max / n_min`` of the training subset.
        profile: ``exp`` or ``step``.
        seed: seed of the per-class shuffle (0 in the papers).
        download: let torchvision download the archive if missing.
        img_max: images of the largest class (default: all of them, 5000 / 500).
        transform, target_transform: applied to the PIL image / label in ``__getitem__``.

    Attributes:
        data: uint8 images ``[N, 32, 32, 3]``; targets: list of labels; classes;
        class_to_idx; class_counts; indices (into the full set); discarded_indices (training
        images the subsampling dropped: a pool never seen in training, for validation).
    """

    base_class: Any = None
    num_classes = 0

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        imbalance_ratio: float = 100,
        profile: str = "exp",
        seed: int = 0,
        download: bool = False,
        img_max: int | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ):
        try:
            full = self.base_class(root=str(root), train=train, download=download)
        except RuntimeError as exc:  # torchvision: "Dataset not found or corrupted"
            raise MissingFileError(
                f"{type(self).__name__}: no valid {self.base_class.base_folder}/ under {root} ({exc}). "
                f"Point root at the folder holding {self.base_class.base_folder}/ or pass download=True."
            ) from exc
        full_targets = np.asarray(full.targets, dtype=np.int64)
        self.classes = list(full.classes)
        self.class_to_idx = dict(full.class_to_idx)
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        if train:
            counts = cifar_lt_counts(self.num_classes, imbalance_ratio, profile, img_max)
            self.indices = cifar_lt_indices(full_targets, counts, seed)
            mask = np.ones(len(full_targets), dtype=bool)
            mask[self.indices] = False
            self.discarded_indices = np.flatnonzero(mask)
        else:
            self.indices = np.arange(len(full_targets))
            self.discarded_indices = np.array([], dtype=np.int64)
        self._full_data, self._full_targets = full.data, full_targets
        self.data = full.data[self.indices]
        self.targets = full_targets[self.indices].tolist()
        self.class_counts = counts_from_targets(self.targets, self.num_classes)

    @property
    def class_names(self) -> list[str]:
        return self.classes

    def heldout_split(self, per_class: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """A balanced validation split drawn (seeded) from ``discarded_indices``.

        Returns uint8 images ``[M, 32, 32, 3]`` and labels ``[M]``: up to ``per_class`` images
        of each class. Classes the subsampling kept whole (the head class of CIFAR-LT keeps all
        its images) have none to give and are absent; callers report this.
        """
        picked = heldout_indices(self._full_targets, self.discarded_indices, self.num_classes, per_class, seed)
        return self._full_data[picked], self._full_targets[picked]

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


def _torchvision_cifar(name: str) -> Any:
    import torchvision.datasets

    return getattr(torchvision.datasets, name)


class CIFAR10LT(_CIFARLT):
    """CIFAR-10-LT (10 classes, 5000 images per class before subsampling).

    Example:
        >>> ds = CIFAR10LT("../shared/data", imbalance_ratio=100)  # doctest: +SKIP
        >>> ds.class_counts.tolist()  # doctest: +SKIP
        [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    """

    num_classes = 10
    archive = "cifar-10-batches-py"

    def __init__(self, *args: Any, **kwargs: Any):
        self.base_class = _torchvision_cifar("CIFAR10")
        super().__init__(*args, **kwargs)


class CIFAR100LT(_CIFARLT):
    """CIFAR-100-LT (100 classes, 500 images per class before subsampling)."""

    num_classes = 100
    archive = "cifar-100-python"

    def __init__(self, *args: Any, **kwargs: Any):
        self.base_class = _torchvision_cifar("CIFAR100")
        super().__init__(*args, **kwargs)


def _cifar_bundle(cls: type[_CIFARLT], options: DataOptions) -> DataBundle:
    root = Path(options.data_dir)
    archive = cls.archive
    if not (root / archive).is_dir():
        raise MissingFileError(
            f"{cls.__name__} needs {root / archive} (the CIFAR 'python version' batches); "
            f"pass --data-dir pointing at the folder that holds {archive}/, or download it with "
            f"torchvision.datasets.{cls.__name__[:-2]}(root=DIR, download=True)"
        )
    train = cls(root, train=True, imbalance_ratio=options.imbalance_ratio, profile=options.imbalance_profile,
                seed=options.dataset_seed)
    test = cls(root, train=False)
    val_images, val_targets = train.heldout_split(options.val_per_class, seed=options.dataset_seed)
    return DataBundle(
        Split(np.asarray(train.targets), train.data), Split(val_targets, val_images),
        Split(np.asarray(test.targets), test.data), train.classes, train.class_counts,
        f"{cls.__name__}(imbalance_ratio={options.imbalance_ratio}, profile={options.imbalance_profile})",
    )


@register_dataset("cifar10_lt", title="CIFAR-10-LT", hub_id="cifar10", ratio_in_title=True,
                  layout="cifar-10-batches-py/ (CIFAR-10's python version; torchvision's "
                         "CIFAR10(download=True) fetches it)")
def cifar10_lt(options: DataOptions) -> DataBundle:
    """CIFAR-10-LT; validation = a balanced split of the images the subsampling discarded."""
    return _cifar_bundle(CIFAR10LT, options)


@register_dataset("cifar100_lt", title="CIFAR-100-LT", hub_id="cifar100", ratio_in_title=True,
                  layout="cifar-100-python/ (CIFAR-100's python version; torchvision's "
                         "CIFAR100(download=True) fetches it)")
def cifar100_lt(options: DataOptions) -> DataBundle:
    """CIFAR-100-LT; validation as for CIFAR-10-LT."""
    return _cifar_bundle(CIFAR100LT, options)
