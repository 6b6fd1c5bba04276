"""A run's per-epoch records: ``metrics.jsonl`` (one JSON object per line), mirrored to TensorBoard
(``OUTPUT_DIR/tensorboard``) when it is installed, and the one-line form the progress log prints."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

METRICS_NAME = "metrics.jsonl"
TENSORBOARD_FOLDER = "tensorboard"


class RunLog:
    """The records of one run, in memory and on disk.

    Args:
        output_dir: the run folder.
        writes: whether this process writes files (the main process of a DDP run).
    """

    def __init__(self, output_dir: Path, writes: bool = True):
        self.path, self.writes = Path(output_dir) / METRICS_NAME, writes
        self.records: list[dict[str, Any]] = []
        self._tb_writer: Any = None  # None: not tried yet; False: tensorboard not installed

    def start(self) -> None:
        """A new run: an empty ``metrics.jsonl``."""
        self.records = []
        if self.writes:
            self.path.write_text("")

    def restore(self, records: list[dict[str, Any]]) -> None:
        """A resumed run: the records of its checkpoint, rewritten to ``metrics.jsonl`` (lines an
        interrupted epoch appended after the checkpoint are dropped)."""
        self.records = list(records)
        if self.writes:
            self.path.write_text("".join(json.dumps(r) + "\n" for r in self.records))

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if self.writes:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            self._tensorboard(record)

    def _tensorboard(self, record: dict[str, Any]) -> None:
        if self._tb_writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                self._tb_writer = False
                return
            self._tb_writer = SummaryWriter(str(self.path.parent / TENSORBOARD_FOLDER))
        if self._tb_writer:
            step = len(self.records)
            for key, value in record.items():
                if isinstance(value, (int, float)) and key != "epoch":
                    self._tb_writer.add_scalar(f"{record['stage']}/{key}", value, step)
            self._tb_writer.flush()


def format_record(record: dict[str, Any]) -> str:
    """``key=value`` pairs, floats to 4 significant digits, ``None`` left out."""
    parts = []
    for key, value in record.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}" if not math.isnan(value) else f"{key}=nan")
        elif value is not None:
            parts.append(f"{key}={value}")
    return " ".join(parts)
