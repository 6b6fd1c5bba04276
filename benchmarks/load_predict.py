"""Loading and prediction overhead of ltzoo against plain timm, measured in the same run.

1. Cold load + first prediction of a cached resnet50 checkpoint folder: ``ltzoo.load(folder)``
   + ``predict`` against ``timm.create_model`` + ``load_state_dict`` (safetensors) + the same
   forward (target <= 1.2x). Each side runs in a fresh interpreter (cold caches of both).
2. ``Predictor.logits`` on 32 already-preprocessed tensors vs the raw forward at batch 32,
   and ``predict`` overhead (target <= 10%).

    python benchmarks/load_predict.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

import torch

import ltzoo
from ltzoo.export import sample_images

LTZOO_COLD = """
import time; t = time.perf_counter()
import ltzoo
p = ltzoo.load(r'{folder}', device='cpu')
p.predict(r'{image}')
print(time.perf_counter() - t)
"""
TIMM_COLD = """
import time; t = time.perf_counter()
import json, timm, torch
from PIL import Image
from safetensors.torch import load_file
from timm.data import create_transform, resolve_data_config
cfg = json.load(open(r'{folder}/config.json'))
m = timm.create_model(cfg['architecture'], num_classes=cfg['num_classes'], pretrained_cfg_overlay=cfg['pretrained_cfg'])
m.load_state_dict(load_file(r'{folder}/model.safetensors')); m.eval()
tf = create_transform(**resolve_data_config(model=m))
with torch.inference_mode():
    m(tf(Image.open(r'{image}').convert('RGB'))[None]).softmax(1)
print(time.perf_counter() - t)
"""


def cold(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    image = sample_images()[0]
    with tempfile.TemporaryDirectory() as tmp:
        model = ltzoo.create_model("resnet50", num_classes=1000)
        ltzoo.save_pretrained(model, tmp, label_names=[str(i) for i in range(1000)], class_counts=[10] * 1000)
        ours = cold(LTZOO_COLD.format(folder=tmp, image=image), args.repeats)
        theirs = cold(TIMM_COLD.format(folder=tmp, image=image), args.repeats)
        print(f"cold load + first prediction, resnet50 (median of {args.repeats} fresh interpreters):")
        print(f"  timm + load_state_dict + forward: {theirs:6.2f} s")
        print(f"  ltzoo.load + predict            : {ours:6.2f} s  -> {ours / theirs:.2f}x "
              f"(target <= 1.2x: {'ok' if ours / theirs <= 1.2 else 'MISSED'})")

        predictor = ltzoo.load(tmp, device="cpu")
        batch = predictor.preprocess([image] * 32)
        images = [image] * 32
        with torch.inference_mode():
            predictor.model(batch)
            start = time.perf_counter()
            for _ in range(3):
                predictor.model(batch)
            raw = (time.perf_counter() - start) / 3
        predictor.predict_proba(images)
        start = time.perf_counter()
        for _ in range(3):
            predictor.predict_proba(images)
        full = (time.perf_counter() - start) / 3
        print(f"batch 32: raw forward {raw * 1e3:.0f} ms, predict (decode + preprocess + forward + calibration) "
              f"{full * 1e3:.0f} ms -> overhead {100 * (full / raw - 1):.1f}% (target <= 10%: "
              f"{'ok' if full / raw <= 1.1 else 'MISSED'})")


if __name__ == "__main__":
    main()
