"""The benchmark scripts still run against the current engine (a refactor once broke one unseen):
each with the smallest settings; the figures themselves are not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["train_throughput.py", "--steps", "2", "--batch", "8"],
    ["train_throughput.py", "--steps", "2", "--batch", "8", "--model", "resnet18", "--image-size", "64",
     "--channels-last"],
])
def test_benchmark_runs(args: list[str]):
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / args[0]), *args[1:]], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "images/s" in out.stdout
