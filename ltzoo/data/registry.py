"""Datasets by name: the one registry that recipes, ``ltzoo eval``, the model cards and the zoo
read, each entry with its title and its Hugging Face dataset id.

A dataset is a builder ``fn(options: DataOptions) -> DataBundle`` registered with
:func:`register_dataset` in the module that defines the dataset (CIFAR-LT in ``cifar.py``, the
split-list sets in ``file_datasets.py``, the synthetic set in ``synthetic.py``): adding one
touches that module and its test.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .._registry import Registry
from ..errors import InvalidArgumentError, did_you_mean
from .bundle import DataBundle


@dataclass(frozen=True)
class DataOptions:
    """What a dataset builder reads: a recipe's run options of the same names (see
    ``ltzoo.training.RUN_DEFAULTS``, which takes its defaults from here)."""

    data_dir: str = "data"
    imbalance_ratio: float = 100.0
    imbalance_profile: str = "exp"
    dataset_seed: int = 0
    val_per_class: int = 100  # held-out validation images per class (CIFAR-LT: from the discarded ones)
    train_list: str | None = None
    val_list: str | None = None
    test_list: str | None = None
    # the "images" dataset (a user's own): validation / test sources beside data_dir (folders of
    # class sub-folders, CSVs or split lists)
    val_data: str | None = None
    test_data: str | None = None
    image_size: int | None = None

    def __post_init__(self) -> None:
        for key in ("data_dir", "train_list", "val_list", "test_list", "val_data", "test_data"):  # "~/data" works
            if getattr(self, key) is not None:
                object.__setattr__(self, key, os.path.expanduser(str(getattr(self, key))))
        ratio = self.imbalance_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not math.isfinite(ratio) or ratio < 1:
            raise InvalidArgumentError(f"imbalance_ratio must be a finite number >= 1 (n_max / n_min), got {ratio!r}")
        for key, low in (("val_per_class", 1), ("dataset_seed", 0), ("image_size", 1)):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
                raise InvalidArgumentError(f"{key} must be an integer >= {low}, got {value!r}")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DataOptions:
        """The dataset options of a resolved recipe."""
        return cls(**{f.name: config[f.name] for f in fields(cls)})

    def as_config(self) -> dict[str, Any]:
        return asdict(self)


Builder = Callable[[DataOptions], DataBundle]


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset: ``title`` for people (cards, zoo, logs), ``hub_id`` for the model
    card's metadata; ``ratio_in_title``: the title names the imbalance ratio (CIFAR-LT, whose
    ratio is an option, not a property of the data); ``layout``: what ``data_dir`` must hold (the
    zoo says it when it tells how to train an entry); ``train_images``: the size of its standard
    training split, where fixed (the zoo's training-time estimates)."""

    name: str
    title: str
    hub_id: str
    build: Builder
    ratio_in_title: bool = False
    layout: str = ""
    train_images: int | None = None

    def describe(self, imbalance_ratio: float | None = None) -> str:
        """The title, with the imbalance ratio where the dataset takes one."""
        if self.ratio_in_title and imbalance_ratio is not None:
            return f"{self.title} (imbalance ratio {imbalance_ratio:g})"
        return self.title


_BUILDERS: Registry[DataBundle] = Registry("dataset")
_ENTRIES: dict[str, DatasetEntry] = {}


def register_dataset(
    name: str, *, title: str, hub_id: str | None = None, ratio_in_title: bool = False, layout: str = "",
    train_images: int | None = None,
) -> Callable[[Builder], Builder]:
    """Decorator adding a dataset builder under ``name`` (``hub_id`` defaults to the name); see
    :class:`DatasetEntry` for the rest."""

    def decorator(build: Builder) -> Builder:
        _BUILDERS.register(name)(build)
        _ENTRIES[name] = DatasetEntry(name, title, hub_id or name, build, ratio_in_title, layout, train_images)
        return build

    return decorator


def list_datasets(pattern: str = "*") -> list[str]:
    """Names of the registered datasets.

    Example:
        >>> list_datasets("cifar*")
        ['cifar100_lt', 'cifar10_lt']
    """
    return _BUILDERS.names(pattern)


def dataset_entry(name: str) -> DatasetEntry:
    """The registered entry ``name``; an unknown name suggests close ones."""
    _BUILDERS.get(name)
    return _ENTRIES[name]


def create_data(name: str, options: DataOptions | None = None, **overrides: Any) -> DataBundle:
    """Loads the dataset ``name`` with ``options`` (default :class:`DataOptions`), any of whose
    fields ``overrides`` replaces.

    Example:
        >>> bundle = create_data("synthetic_lt", imbalance_ratio=10)
        >>> bundle.num_classes, int(bundle.class_counts[0] / bundle.class_counts[-1])
        (10, 10)
    """
    known = [f.name for f in fields(DataOptions)]
    for key in overrides:
        if key not in known:
            raise InvalidArgumentError(f"create_data has no option {key!r}.{did_you_mean(key, known)} "
                                       f"Its options: {', '.join(known)}")
    build = _BUILDERS.get(name)
    return build(replace(options or DataOptions(), **overrides))
