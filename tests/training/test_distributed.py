"""DDP through torchrun on CPU (gloo): the smoke recipe trains on 2 processes, and the shards of
each global batch are exactly the single-process batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ltzoo.data import create_sampler

REPO = Path(__file__).resolve().parents[2]


def test_sharded_global_batches_equal_the_single_process_batches():
    targets = np.repeat(np.arange(5), [100, 50, 20, 10, 4])
    batch, world = 32, 2
    single = list(create_sampler("class_balanced", targets, seed=9))
    shards = [list(create_sampler("class_balanced", targets, seed=9, num_replicas=world, rank=r)) for r in range(world)]
    per_rank = batch // world
    for b in range(len(single) // batch):
        union = sorted(sum((shard[b * per_rank:(b + 1) * per_rank] for shard in shards), []))
        assert union == sorted(single[b * batch:(b + 1) * batch])


@pytest.mark.slow
def test_torchrun_two_processes_gloo(tmp_path: Path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "train",
           "smoke-synthetic", "--output-dir", str(tmp_path), "epochs=1", "threads=1"]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in records] == ["representation", "classifier"]  # rank 0 alone writes
    assert (tmp_path / "model" / "model.safetensors").is_file()
