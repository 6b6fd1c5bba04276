"""Data-pipeline speed on CPU.

1. CIFAR-LT training augmentation (random crop 32 / padding 4 + flip + normalise) with the
   in-memory pipeline, in images/s (target >= 20,000), next to torchvision's per-image
   transforms through a DataLoader measured in the same run.
2. ListDataset on a 437,513-line split list (iNaturalist 2018 train size): time to parse and
   count classes (target < 2 s).

    python benchmarks/data.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ltzoo.data import CIFAR10LT, ListDataset, TensorBatches
from ltzoo.models.resnet_cifar import CIFAR_MEAN, CIFAR_STD

INAT18_TRAIN_SIZE = 437_513


def cifar_images(data_dir: Path | None) -> tuple[np.ndarray, np.ndarray, str]:
    if data_dir is not None and (data_dir / "cifar-10-batches-py").is_dir():
        ds = CIFAR10LT(data_dir, imbalance_ratio=100)
        return ds.data, np.asarray(ds.targets), "CIFAR-10-LT (12,406 real images)"
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, (12406, 32, 32, 3), dtype=np.uint8), rng.randint(0, 10, 12406), "random uint8 images"


def bench_augmentation(images: np.ndarray, targets: np.ndarray, batch_size: int, epochs: int) -> float:
    batches = TensorBatches(images, targets, CIFAR_MEAN, CIFAR_STD, batch_size, augment=True)
    seen, start = 0, time.perf_counter()
    for _ in range(epochs):
        for x, _ in batches.epoch(torch.randperm(len(targets))):
            seen += len(x)
    return seen / (time.perf_counter() - start)


def bench_torchvision(images: np.ndarray, targets: np.ndarray, batch_size: int, limit: int) -> float:
    from PIL import Image
    from torchvision import transforms

    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(CIFAR_MEAN, CIFAR_STD)])

    class DS(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return limit

        def __getitem__(self, i: int):
            return tf(Image.fromarray(images[i])), int(targets[i])

    seen, start = 0, time.perf_counter()
    for x, _ in torch.utils.data.DataLoader(DS(), batch_size=batch_size, shuffle=True):
        seen += len(x)
    return seen / (time.perf_counter() - start)


def bench_list_dataset(lines: int) -> tuple[float, int]:
    rng = np.random.RandomState(0)
    labels = np.minimum(rng.zipf(1.3, lines), 8142) - 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        path.write_text("".join(f"train_val2018/Plantae/{y}/{i:032x}.jpg {y}\n" for i, y in enumerate(labels)))
        start = time.perf_counter()
        ds = ListDataset(tmp, path)
        counts = ds.class_counts
        elapsed = time.perf_counter() - start
    return elapsed, len(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    images, targets, source = cifar_images(args.data_dir)
    ours = bench_augmentation(images, targets, args.batch_size, args.epochs)
    theirs = bench_torchvision(images, targets, args.batch_size, limit=4096)
    print(f"augmentation on {source}, batch {args.batch_size}, threads {torch.get_num_threads()}:")
    print(f"  ltzoo TensorBatches : {ours:>10,.0f} images/s  (target >= 20,000: {'ok' if ours >= 20000 else 'MISSED'})")
    print(f"  torchvision per-image (DataLoader, 0 workers): {theirs:>10,.0f} images/s  -> {ours / theirs:.1f}x")
    elapsed, classes = bench_list_dataset(INAT18_TRAIN_SIZE)
    print(f"ListDataset: {INAT18_TRAIN_SIZE:,} lines, {classes} classes counted in {elapsed:.2f} s "
          f"(target < 2 s: {'ok' if elapsed < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
