"""Data-pipeline speed (CPU; the file pipelines also on a GPU).

1. CIFAR-LT training augmentation (random crop 32 / padding 4 + flip + normalise) with the
   in-memory pipeline, in images/s (target >= 20,000), next to torchvision's per-image
   transforms through a DataLoader measured in the same run.
2. ListDataset on a 437,513-line split list (iNaturalist 2018 train size): time to parse and
   count classes (target < 2 s).
3. The image-file pipelines: images/s of decode + augment + batching through the DataLoader with
   each ``--workers`` count, and decoded + augmented on ``--device`` (decode_on_device), against
   the rate of the training step they feed (forward + backward + SGD on ready tensors), measured
   in the same run; says which side is the wall. ``tiny``: Tiny-ImageNet-LT's JPEGs as its recipes
   read them (64 px, pad-crop-flip, ResNet-18; skipped without ``--tiny-dir``); ``photos``:
   ImageNet-sized JPEGs cut from the photos ltzoo ships (224 px, timm's augmentation, ResNet-50;
   needs no dataset, so it also runs on a bare GPU machine).

    python benchmarks/data.py [--data-dir ../shared/data] [--tiny-dir ~/data] [--threads 1]
        [--device cuda] [--pipelines tiny,photos] [--workers 0,1,2] [--photos 1024] [--steps 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from timing import synchronize

from ltzoo.data import CIFAR10LT, ListDataset, TensorBatches
from ltzoo.models.resnet_cifar import CIFAR_MEAN, CIFAR_STD

INAT18_TRAIN_SIZE = 437_513
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


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


def tiny_imagenet_pipeline(tiny_dir: Path) -> tuple[Any, dict, str, dict, str, int] | None:
    """Tiny-ImageNet-LT's training JPEGs as its recipes read them (64 px, pad-crop-flip 8, ResNet-18)."""
    if not (tiny_dir / "tiny-imagenet-200").is_dir():
        print(f"file pipeline: Tiny-ImageNet-LT skipped ({tiny_dir}/tiny-imagenet-200 absent; "
              "../shared/tools/tiny-imagenet rebuilds it)")
        return None
    from ltzoo.data import create_data

    dataset = create_data("tiny_imagenet_lt", data_dir=str(tiny_dir), val_per_class=1).train.dataset
    config = {"input_size": (3, 64, 64), "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "interpolation": "bicubic"}
    return dataset, config, "pad_crop_flip", {"padding": 8}, "resnet18", 200


def photo_pipeline(folder: Path, count: int) -> tuple[Any, dict, str, dict, str, int]:
    """ImageNet-sized JPEGs (500x375, quality 90) cut at random from the photos ltzoo ships, as
    the large recipes read them (224 px, timm's RandomResizedCrop + flip + colour jitter, ResNet-50):
    runs anywhere, the GPU machine included, with no dataset."""
    from PIL import Image

    from ltzoo.data import FolderDataset
    from ltzoo.images import load_image, sample_images

    photos = [load_image(p) for p in sample_images()]
    rng = np.random.RandomState(0)
    for i in range(count):
        photo = photos[i % len(photos)]
        w, h = photo.size
        cw, ch = int(w * rng.uniform(0.5, 1.0)), int(h * rng.uniform(0.5, 1.0))
        x, y = rng.randint(0, w - cw + 1), rng.randint(0, h - ch + 1)
        out = folder / f"class_{i % len(photos)}" / f"{i:05d}.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        photo.crop((x, y, x + cw, y + ch)).resize((500, 375), Image.BICUBIC).save(out, quality=90)
    config = {"input_size": (3, 224, 224), "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "interpolation": "bicubic",
              "crop_pct": 0.875}
    return FolderDataset(folder), config, "timm", {}, "resnet50", 1000


def bench_file_pipeline(dataset: Any, data_config: dict, transform: str, transform_args: dict, batch_size: int,
                        workers: int, batches: int, device: str | None = None) -> float:
    """Images/s of training batches of ``dataset`` (decode, augment, collate) with ``workers``
    DataLoader processes; the loader's start-up (forking workers) is not timed. ``device``:
    decode and augment there (decode_on_device) instead of in PIL on the CPU."""
    from ltzoo.data import Split

    split = Split(np.asarray(dataset.targets), dataset=dataset)
    stream = split.batches(batch_size, train=True, data_config=data_config, device=device or "cpu",
                           num_workers=workers, transform=transform, transform_args=transform_args,
                           decode_on_device=device is not None)
    generator = torch.Generator().manual_seed(0)
    order = torch.cat([torch.randperm(len(dataset), generator=generator)
                       for _ in range(-(-(batches + 2) * batch_size // len(dataset)))])[: (batches + 2) * batch_size]
    for index in set(order.tolist()):  # the files in the page cache: decode and augment are measured, not the disk
        (dataset.root / dataset.samples[index][0]).read_bytes()
    iterator = stream.epoch(order)
    next(iterator), next(iterator)  # workers started and warm
    synchronize(device or "cpu")
    seen, start = 0, time.perf_counter()
    for images, _ in iterator:
        seen += len(images)
    synchronize(device or "cpu")
    return seen / (time.perf_counter() - start)


def bench_training_step(model_name: str, num_classes: int, size: int, batch_size: int, steps: int,
                        device: str = "cpu") -> float:
    """Images/s of training steps (channels_last; bf16 autocast on CUDA) on ready tensors."""
    import torch.nn.functional as F

    import ltzoo

    torch.manual_seed(0)
    model = ltzoo.create_model(model_name, num_classes=num_classes).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    images = torch.randn(batch_size, 3, size, size, device=device).contiguous(memory_format=torch.channels_last)
    targets = torch.randint(0, num_classes, (batch_size,), device=device)
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


def report_file_pipeline(name: str, pipeline: tuple, batch_size: int, device: str, workers: list[int],
                         steps: int) -> None:
    dataset, config, transform, transform_args, model, classes = pipeline
    size = config["input_size"][-1]
    step = bench_training_step(model, classes, size, batch_size, steps, device)
    print(f"file pipeline, {name} ({len(dataset):,} files, {transform}), batch {batch_size}, torch threads "
          f"{torch.get_num_threads()}:")
    print(f"  training step ({model}, {size} px, channels_last{', bf16' if device != 'cpu' else ''}) on {device}: "
          f"{step:>8,.0f} images/s")
    rows = [(f"PIL on the CPU, {n} worker(s)", n, None) for n in workers]
    rows.append((f"decode_on_device ({device}), {max(workers)} workers reading", max(workers), device))
    for label, n, on_device in rows:
        rate = bench_file_pipeline(dataset, config, transform, transform_args, batch_size, n, batches=12,
                                   device=on_device)
        wall = "the loader" if rate < step else "the training step"
        print(f"  decode + augment, {label}: {rate:>8,.0f} images/s  ({rate / step:.2f}x the step; the wall: {wall})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--tiny-dir", type=Path, default=Path("~/data").expanduser(),
                        help="folder holding tiny-imagenet-200/ (the file-pipeline part)")
    parser.add_argument("--device", default="cpu", help="the file pipeline's training step and decode_on_device")
    parser.add_argument("--pipelines", default="tiny,photos", help="file pipelines to measure: tiny, photos")
    parser.add_argument("--workers", default="0,1,2", help="DataLoader worker counts to measure")
    parser.add_argument("--photos", type=int, default=1024, help="JPEGs of the photos pipeline")
    parser.add_argument("--steps", type=int, default=8, help="timed training steps")
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
    workers = [int(n) for n in args.workers.split(",")]
    chosen = args.pipelines.split(",")
    if "tiny" in chosen and (tiny := tiny_imagenet_pipeline(args.tiny_dir)) is not None:
        report_file_pipeline("Tiny-ImageNet-LT", tiny, args.batch_size, args.device, workers, args.steps)
    if "photos" in chosen:
        with tempfile.TemporaryDirectory() as folder:
            photos = photo_pipeline(Path(folder), args.photos)
            report_file_pipeline("ImageNet-sized photos", photos, args.batch_size, args.device, workers, args.steps)


if __name__ == "__main__":
    main()
