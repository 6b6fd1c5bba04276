"""Data-pipeline speed on CPU.

1. CIFAR-LT training augmentation (random crop 32 / padding 4 + flip + normalise) with the
   in-memory pipeline, in images/s (target >= 20,000), next to torchvision's per-image
   transforms through a DataLoader measured in the same run.
2. ListDataset on a 437,513-line split list (iNaturalist 2018 train size): time to parse and
   count classes (target < 2 s).
3. The image-file pipeline on real JPEGs (Tiny-ImageNet-LT, the recipes' pad-crop-flip
   augmentation): images/s of decode + augment + batching through the DataLoader with 0, 1 and 2
   workers, against the rate of the training step it feeds (ResNet-18 at 64 px, forward +
   backward + SGD on ready tensors), measured in the same run; says which side is the wall.
   Skipped when ``--tiny-dir`` holds no ``tiny-imagenet-200/``.

   A fourth row decodes and augments on ``--device`` (``decode_on_device``), against the step there.

    python benchmarks/data.py [--data-dir ../shared/data] [--tiny-dir ~/data] [--threads 1] [--device cuda]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from timing import synchronize

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


def bench_file_pipeline(tiny_dir: Path, batch_size: int, workers: int, batches: int,
                        device: str | None = None) -> float:
    """Images/s of Tiny-ImageNet-LT training batches (JPEG decode, pad-crop-flip, collate) with
    ``workers`` DataLoader processes; the loader's start-up (forking workers) is not timed.
    ``device``: decode and augment there (decode_on_device) instead of in PIL on the CPU."""
    from ltzoo.data import create_data

    bundle = create_data("tiny_imagenet_lt", data_dir=str(tiny_dir), val_per_class=1)
    data_config = {"input_size": (3, 64, 64), "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
    stream = bundle.train.batches(batch_size, train=True, data_config=data_config, device=device or "cpu",
                                  num_workers=workers, transform="pad_crop_flip", transform_args={"padding": 8},
                                  decode_on_device=device is not None)
    order = torch.randperm(len(bundle.train), generator=torch.Generator().manual_seed(0))[: (batches + 2) * batch_size]
    for index in order.tolist():  # the files in the page cache: decode and augment are measured, not the disk
        (bundle.train.dataset.root / bundle.train.dataset.samples[index][0]).read_bytes()
    iterator = stream.epoch(order)
    next(iterator), next(iterator)  # workers started and warm
    synchronize(device or "cpu")
    seen, start = 0, time.perf_counter()
    for images, _ in iterator:
        seen += len(images)
    synchronize(device or "cpu")
    return seen / (time.perf_counter() - start)


def bench_training_step(batch_size: int, steps: int, channels_last: bool = True, device: str = "cpu") -> float:
    """Images/s of ResNet-18 (200 classes) training steps at 64 px on ready tensors."""
    import torch.nn.functional as F

    import ltzoo

    torch.manual_seed(0)
    model = ltzoo.create_model("resnet18", num_classes=200)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    images = torch.randn(batch_size, 3, 64, 64, device=device).contiguous(memory_format=memory_format)
    targets = torch.randint(0, 200, (batch_size,), device=device)
    for step in range(steps + 2):  # two untimed warm-up steps
        if step == 2:
            synchronize(device)
            start = time.perf_counter()
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            loss = F.cross_entropy(model(images).float(), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    synchronize(device)
    return steps * batch_size / (time.perf_counter() - start)


def report_file_pipeline(tiny_dir: Path, batch_size: int, device: str) -> None:
    if not (tiny_dir / "tiny-imagenet-200").is_dir():
        print(f"file pipeline: skipped ({tiny_dir}/tiny-imagenet-200 absent; "
              "../shared/tools/tiny-imagenet rebuilds it)")
        return
    step = bench_training_step(batch_size, steps=8 if device == "cpu" else 50, device=device)
    print(f"file pipeline on Tiny-ImageNet-LT JPEGs, batch {batch_size}, torch threads {torch.get_num_threads()}:")
    print(f"  training step (resnet18, 64 px, channels_last{', bf16' if device != 'cpu' else ''}) on {device}: "
          f"{step:>8,.0f} images/s")
    rows = [(f"PIL on the CPU, {workers} worker(s)", workers, None) for workers in (0, 1, 2)]
    rows.append((f"decode_on_device ({device}), 2 workers reading", 2, device))
    for label, workers, on_device in rows:
        rate = bench_file_pipeline(tiny_dir, batch_size, workers, batches=12, device=on_device)
        wall = "the loader" if rate < step else "the training step"
        print(f"  decode + augment, {label}: {rate:>8,.0f} images/s  ({rate / step:.2f}x the step; the wall: {wall})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--tiny-dir", type=Path, default=Path("~/data").expanduser(),
                        help="folder holding tiny-imagenet-200/ (the file-pipeline part)")
    parser.add_argument("--device", default="cpu", help="the file pipeline's training step and decode_on_device")
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
    report_file_pipeline(args.tiny_dir, args.batch_size, args.device)


if __name__ == "__main__":
    main()
