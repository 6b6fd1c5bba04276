"""Push -> pull -> offline load through huggingface_hub over real HTTP against the local
Hub-compatible server (tests/hub_server.py). HF_* variables are read at import, so each step
runs in a fresh interpreter with its own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ltzoo
from ltzoo.export import sample_images
from ltzoo.hub import sha256_of

from .hub_server import LocalHub
from .test_hub import make_folder


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env},
                          timeout=300)


PREDICT = """
import json, sys, numpy as np, ltzoo
from ltzoo.export import sample_images
p = ltzoo.load({source!r}, device="cpu")
np.save({out!r}, p.predict_proba(sample_images()))
"""


@pytest.fixture(scope="module")
def hub():
    with LocalHub() as server:
        yield server


def test_push_pull_offline_roundtrip(hub: LocalHub, tmp_path: Path):
    folder = make_folder(tmp_path / "model")
    expected = ltzoo.load(folder, device="cpu").predict_proba(sample_images())
    online = {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_test_token", "HF_HOME": str(tmp_path / "hf"),
              "HF_HUB_DISABLE_TELEMETRY": "1"}

    push = subprocess.run([sys.executable, "-m", "ltzoo", "push", str(folder), "ltzoo-test/tiny", "--tag", "v1"],
                          capture_output=True, text=True, env={**os.environ, **online}, timeout=300)
    assert push.returncode == 0, push.stderr
    repo = hub.state.repos["ltzoo-test/tiny"]
    sha = repo.refs["main"]
    assert repo.refs["v1"] == sha
    assert set(repo.commits[sha]) == {"config.json", "model.safetensors", "README.md"}
    assert repo.commits[sha]["model.safetensors"] == (folder / "model.safetensors").read_bytes()

    pulled = _run(PREDICT.format(source="hf-hub:ltzoo-test/tiny@v1", out=str(tmp_path / "online.npy")), online)
    assert pulled.returncode == 0, pulled.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "online.npy"), expected)
    assert any(r.startswith("GET /ltzoo-test/tiny/resolve/") for r in hub.state.requests)

    offline = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}
    served_before = len(hub.state.requests)
    again = _run(PREDICT.format(source="hf-hub:ltzoo-test/tiny@v1", out=str(tmp_path / "offline.npy")), offline)
    assert again.returncode == 0, again.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "offline.npy"), expected)
    assert len(hub.state.requests) == served_before  # nothing went over the network


ZOO_LOAD = """
import ltzoo, numpy as np
from ltzoo import zoo
from ltzoo.export import sample_images
entry = zoo.ZooEntry(name="tiny-test", architecture="resnet20_cifar", dataset="test", method="ce",
                     recipe="tiny-test", repo_id="ltzoo-test/tiny", revision={rev!r}, sha256={sha!r})
zoo._ZOO[entry.name] = entry
try:
    p = ltzoo.load("tiny-test", device="cpu")
    np.save({out!r}, p.predict_proba(sample_images()))
    print("loaded")
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_zoo_entry_pins_revision_and_sha256(hub: LocalHub, tmp_path: Path):
    folder = make_folder(tmp_path / "model")
    env = {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_test_token", "HF_HOME": str(tmp_path / "hf")}
    push = subprocess.run([sys.executable, "-m", "ltzoo", "push", str(folder), "ltzoo-test/pinned"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert push.returncode == 0, push.stderr
    revision = hub.state.repos["ltzoo-test/pinned"].refs["main"]
    good = sha256_of(folder / "model.safetensors")
    code = ZOO_LOAD.replace('"ltzoo-test/tiny"', '"ltzoo-test/pinned"')
    ok = _run(code.format(rev=revision, sha=good, out=str(tmp_path / "z.npy")), env)
    assert ok.stdout.strip() == "loaded", ok.stdout + ok.stderr
    bad = _run(code.format(rev=revision, sha="f" * 64, out=str(tmp_path / "z2.npy")), env)
    assert bad.stdout.startswith("ChecksumMismatchError"), bad.stdout + bad.stderr


def test_push_refuses_a_folder_without_weights(tmp_path: Path):
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "resnet20_cifar", "num_classes": 5}))
    with pytest.raises(FileNotFoundError, match="nothing to publish"):
        ltzoo.push(tmp_path, "ltzoo-test/empty")
