"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_medians(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 3, block: int = 1
) -> dict[str, float]:
    """Median seconds per call of each function, the functions taking turns in blocks of
    ``block`` timed calls, so that machine noise and frequency drift hit all of them alike
    (sequential runs would give one a quiet minute and another a busy one). With ``block > 1``
    each turn starts with one untimed call: runtimes with their own spinning thread pools (torch,
    onnxruntime) slow the first call after a switch while the other's threads wind down."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeats // block)):
        for name, fn in fns.items():
            if block > 1:
                fn()
            for _ in range(block):
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def synchronize(device: str) -> None:
    """Waits for queued GPU work, so that a timer read measures it (a no-op on the CPU)."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def device_name(device: str) -> str:
    """The GPU's name, or ``"cpu"``: what a benchmark's figures were measured on."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return "cpu"


def append_json_line(path: str, record: dict) -> None:
    """Adds ``record`` as one JSON line to ``path`` (benchmarks/gpu_session.sh collects them)."""
    import json

    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
