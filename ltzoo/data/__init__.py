"""Long-tailed datasets, samplers, class-count utilities and the in-memory image pipeline."""

from . import own_images, split_lists, synthetic  # noqa: F401  (register their datasets)
from .bundle import DataBundle, Split
from .cifar import CIFAR10LT, CIFAR100LT
from .class_counts import cifar_lt_counts, cifar_lt_indices, counts_from_targets, shot_groups
from .file_datasets import CSVDataset, FileImageDataset, FolderDataset, ListDataset
from .registry import DataOptions, DatasetEntry, create_data, dataset_entry, list_datasets, register_dataset
from .samplers import (
    ClassAwareSampler,
    ClassBalancedSampler,
    ClassBasedEffectiveNumberSampler,
    ClassWeightedSampler,
    EffectiveNumberSampler,
    InstanceSampler,
    ProgressivelyBalancedSampler,
    SquareRootSampler,
    create_sampler,
    list_samplers,
    register_sampler,
)
from .tensor_pipeline import TensorBatches, normalize_uint8, random_crop_flip

__all__ = [
    "DataBundle",
    "DataOptions",
    "DatasetEntry",
    "Split",
    "create_data",
    "dataset_entry",
    "list_datasets",
    "register_dataset",
    "CIFAR100LT",
    "CSVDataset",
    "FileImageDataset",
    "FolderDataset",
    "ListDataset",
    "CIFAR10LT",
    "ClassAwareSampler",
    "ClassBalancedSampler",
    "ClassBasedEffectiveNumberSampler",
    "ClassWeightedSampler",
    "EffectiveNumberSampler",
    "InstanceSampler",
    "ProgressivelyBalancedSampler",
    "SquareRootSampler",
    "TensorBatches",
    "cifar_lt_counts",
    "cifar_lt_indices",
    "counts_from_targets",
    "create_sampler",
    "list_samplers",
    "register_sampler",
    "normalize_uint8",
    "random_crop_flip",
    "shot_groups",
]
