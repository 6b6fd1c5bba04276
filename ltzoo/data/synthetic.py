"""A learnable synthetic long-tailed dataset, built in memory: smoke tests and benchmarks run
the whole program with no files."""

from __future__ import annotations

import numpy as np

from .bundle import DataBundle, Split
from .class_counts import cifar_lt_counts, counts_from_targets
from .registry import DataOptions, register_dataset


@register_dataset("synthetic_lt", title="synthetic long-tailed images", hub_id="synthetic",
                  layout="nothing (the images are made in memory)")
def synthetic_lt(options: DataOptions) -> DataBundle:
    """A learnable synthetic 10-class long-tailed set of ``image_size`` (default 32) square images
    (no files needed): each class is a noisy colour gradient of its own orientation. For smoke
    tests and benchmarks (224 for ImageNet-sized models)."""
    rng = np.random.RandomState(options.dataset_seed)
    num_classes, size = 10, options.image_size or 32
    counts = np.asarray(cifar_lt_counts(num_classes, options.imbalance_ratio, img_max=200))
    palette = rng.randint(40, 216, size=(num_classes, 3))
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)

    def make(per_class: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels = np.repeat(np.arange(num_classes), per_class)
        angle = labels[:, None, None] * np.pi / num_classes
        ramp = np.cos(angle) * xx + np.sin(angle) * yy
        base = palette[labels][:, None, None, :] * (0.6 + 0.4 * ramp[..., None])
        noisy = base + rng.normal(0, 25, size=base.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8), labels

    train_images, train_targets = make(counts)
    val_images, val_targets = make(np.full(num_classes, 20))
    test_images, test_targets = make(np.full(num_classes, 50))
    return DataBundle(
        Split(train_targets, train_images), Split(val_targets, val_images), Split(test_targets, test_images),
        [f"class_{c}" for c in range(num_classes)], counts_from_targets(train_targets, num_classes),
        f"synthetic_lt(imbalance_ratio={options.imbalance_ratio})",
    )
