"""Long-tailed datasets, samplers, class-count utilities and the in-memory image pipeline."""

from . import own_images, split_lists, synthetic, tiny_imagenet  # noqa: F401  (register their datasets)
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
from .transforms import create_train_transform, list_train_transforms, register_train_transform

__all__ = [
    "CIFAR10LT",
    "CIFAR100LT",
    "CSVDataset",
    "ClassAwareSampler",
    "ClassBalancedSampler",
    "ClassBasedEffectiveNumberSampler",
    "ClassWeightedSampler",
    "DataBundle",
    "DataOptions",
    "DatasetEntry",
    "EffectiveNumberSampler",
    "FileImageDataset",
    "FolderDataset",
    "InstanceSampler",
    "ListDataset",
    "ProgressivelyBalancedSampler",
    "Split",
    "SquareRootSampler",
    "TensorBatches",
    "cifar_lt_counts",
    "cifar_lt_indices",
    "counts_from_targets",
    "create_data",
    "create_sampler",
    "create_train_transform",
    "dataset_entry",
    "list_datasets",
    "list_samplers",
    "list_train_transforms",
    "normalize_uint8",
    "random_crop_flip",
    "register_dataset",
    "register_sampler",
    "register_train_transform",
    "shot_groups",
]
