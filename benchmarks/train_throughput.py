"""Images/s of the ltzoo training step against a minimal plain PyTorch loop (same model, batch,
in-memory data, CE), measured in the same run. Target: >= 0.9 of the plain loop on CPU for
resnet32_cifar.

The ltzoo side is the real engine: Trainer's stage setup and epoch loop (sampler, in-memory
augmentation, task, loss with input checks, SGD). The plain loop feeds pre-augmented tensors.

    python benchmarks/train_throughput.py [--model resnet32_cifar] [--batch 128] [--steps 60]
        [--channels-last] [--device cpu] [--amp] [--compile] [--image-size N]

Models other than the CIFAR ResNets train on 224x224 images (``--image-size``). On a GPU, bf16
autocast and channels_last are on unless ``--no-amp`` / ``--no-channels-last`` (on the CPU off
unless asked): ``python benchmarks/train_throughput.py --model resnet50 --device cuda``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
from timing import append_json_line, device_name, synchronize

import ltzoo
from ltzoo.training import Trainer, resolve_config
from ltzoo.training.config import Stage
from ltzoo.training.epoch_loop import train_epoch
from ltzoo.training.stages import build_stage_run


def plain_loop(model_name: str, batch: int, steps: int, device: str, channels_last: bool, amp: bool,
               compile_model: bool, size: int) -> float:
    torch.manual_seed(0)
    model = ltzoo.create_model(model_name, num_classes=10).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    if compile_model:
        model = torch.compile(model)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    data = [torch.randn(batch, 3, size, size, device=device).contiguous(memory_format=memory_format)
            for _ in range(8)]
    targets = torch.randint(0, 10, (8, batch), device=device)

    def step(i: int) -> None:
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=amp):
            loss = F.cross_entropy(model(data[i % 8]).float(), targets[i % 8])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(5):
        step(i)
    synchronize(device)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    synchronize(device)
    return steps * batch / (time.perf_counter() - start)


def ltzoo_loop(model_name: str, batch: int, steps: int, device: str, channels_last: bool, amp: bool,
               compile_model: bool, size: int) -> float:
    config = resolve_config({
        "model": model_name, "dataset": "synthetic_lt", "imbalance_ratio": 1, "device": device,
        "channels_last": channels_last, "amp": amp, "compile": compile_model, "image_size": size,
        "stages": [{"loss": "ce", "epochs": 1, "batch_size": batch, "warmup_epochs": 0, "lr": 0.01,
                    "max_steps_per_epoch": 5}],
    })
    trainer = Trainer(config, tempfile.mkdtemp(prefix="ltzoo-bench-"), log=lambda _: None)
    stage = Stage.from_config(config["stages"][0])
    run = build_stage_run(trainer, 0, stage, resuming=False)
    train_epoch(trainer, run, 0)  # warm-up (and compilation)
    run.stage = replace(stage, max_steps_per_epoch=steps)
    # 2000 synthetic images give 15 batches of 128: repeat the sampler's draw to reach `steps`
    run.epoch_sampler.total_size = run.epoch_sampler.num_samples = steps * batch
    return train_epoch(trainer, run, 0)["images_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet32_cifar")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="default: on for CUDA, off on the CPU")
    parser.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                        help="bf16 autocast (default: on for CUDA, off on the CPU)")
    parser.add_argument("--compile", action="store_true", help="torch.compile both loops")
    parser.add_argument("--image-size", type=int, default=None, help="default: 32 for *_cifar models, else 224")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", help="also append the figures as one JSON line to this file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    on_gpu = args.device.startswith("cuda")
    args.amp = on_gpu if args.amp is None else args.amp
    args.channels_last = on_gpu if args.channels_last is None else args.channels_last
    size = args.image_size or (32 if args.model.endswith("_cifar") else 224)
    options = (args.device, args.channels_last, args.amp, args.compile, size)
    plain = plain_loop(args.model, args.batch, args.steps, *options)
    ours = ltzoo_loop(args.model, args.batch, args.steps, *options)
    ratio = ours / plain
    print(f"{args.model} {size}x{size} batch {args.batch} on {args.device} (threads {torch.get_num_threads()}, "
          f"channels_last {args.channels_last}, amp {args.amp}, compile {args.compile}):")
    print(f"  plain PyTorch loop : {plain:8.1f} images/s")
    print(f"  ltzoo training step: {ours:8.1f} images/s  -> {ratio:.2f}x of plain "
          f"(target >= 0.9: {'ok' if ratio >= 0.9 else 'MISSED'})")
    if args.json:
        record = {"benchmark": "train_throughput", "model": args.model, "image_size": size, "batch": args.batch,
                  "device": args.device, "device_name": device_name(args.device), "channels_last": args.channels_last,
                  "amp": args.amp, "compile": args.compile, "plain_images_per_s": plain,
                  "ltzoo_images_per_s": ours, "ratio": ratio}
        append_json_line(args.json, record)


if __name__ == "__main__":
    main()
