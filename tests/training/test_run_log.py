"""The run's metrics log: metrics.jsonl on start / append / restore, and the printed form."""

from __future__ import annotations

import json
from pathlib import Path

from ltzoo.training.run_log import METRICS_NAME, RunLog, format_record


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_start_append_and_restore(tmp_path: Path):
    log = RunLog(tmp_path)
    log.start()
    assert (tmp_path / METRICS_NAME).read_text() == ""
    records = [{"stage": "s", "epoch": e, "train_loss": 1.0 / e} for e in (1, 2, 3)]
    for record in records:
        log.append(record)
    assert _lines(tmp_path / METRICS_NAME) == records == log.records
    # resuming from the checkpoint of epoch 2 drops what epoch 3 appended
    resumed = RunLog(tmp_path)
    resumed.restore(records[:2])
    assert _lines(tmp_path / METRICS_NAME) == records[:2] == resumed.records


def test_a_process_that_does_not_write_keeps_records_in_memory(tmp_path: Path):
    log = RunLog(tmp_path, writes=False)
    log.start()
    log.append({"stage": "s", "epoch": 1})
    assert log.records == [{"stage": "s", "epoch": 1}]
    assert not (tmp_path / METRICS_NAME).exists()


def test_format_record():
    line = format_record({"stage": "s", "epoch": 3, "lr": 0.123456, "val": float("nan"), "few": None})
    assert line == "stage=s epoch=3 lr=0.1235 val=nan"
