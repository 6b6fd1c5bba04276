"""Images/s of ``ltzoo.load(...)`` predictors against the bare model forward, in the same run:
torch eager float32 (the baseline), the torch predictor in float32 / float16 / bfloat16, and
onnxruntime with each execution provider this build has. ``logits`` on already preprocessed
batches measures the model path; ``predict_proba`` on PIL images adds the preprocessing.

    python benchmarks/predict_throughput.py [--model resnet50] [--device cuda] [--batch 256] [--steps 20]
        [--json results.jsonl]

The model is a freshly initialised timm model saved as a checkpoint folder (and exported to ONNX):
speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import torch
from PIL import Image
from timing import append_json_line, device_name, synchronize

import ltzoo
from ltzoo.export import export_onnx
from ltzoo.hub import load_model
from ltzoo.images import sample_images


def images_per_s(fn: Callable[[], object], batch: int, steps: int, device: str) -> float:
    fn()  # warm-up (kernels, allocator, onnxruntime's graph)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    synchronize(device)
    return steps * batch / (time.perf_counter() - start)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", help="also append the figures as one JSON line to this file")
    args = parser.parse_args()
    photos = [Image.open(p).convert("RGB") for p in sample_images()]
    pil_batch = [photos[i % len(photos)] for i in range(args.batch)]
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        ltzoo.save_pretrained(ltzoo.create_model(args.model, num_classes=1000), folder,
                              label_names=[str(i) for i in range(1000)], class_counts=[10] * 1000)
        base = ltzoo.load(folder, device=args.device)
        pixels = base.preprocess(pil_batch).to(args.device)
        with torch.inference_mode():
            results["torch_eager_fp32_forward"] = images_per_s(lambda: base.model(pixels), args.batch, args.steps,
                                                               args.device)
        for name, dtype in (("fp32", None), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
            if dtype is torch.float16 and not args.device.startswith("cuda"):
                continue  # half precision convolutions are a GPU feature
            predictor = ltzoo.load(folder, device=args.device, dtype=dtype)
            results[f"predictor_{name}_logits"] = images_per_s(lambda: predictor.model(pixels.to(dtype or torch.float32)),
                                                               args.batch, args.steps, args.device)
            results[f"predictor_{name}_predict_proba"] = images_per_s(lambda: predictor.predict_proba(pil_batch),
                                                                      args.batch, max(1, args.steps // 4), args.device)
        import onnxruntime as ort

        from ltzoo.runtime import OnnxPredictor

        model, config = load_model(folder)
        export_onnx(model, config, f"{folder}/model.onnx", log=lambda _: None)
        for provider in ort.get_available_providers():
            if provider not in ("CUDAExecutionProvider", "CPUExecutionProvider"):
                continue
            onnx_predictor = OnnxPredictor(folder, providers=[provider], batch_size=args.batch)
            results[f"onnxruntime_{provider}_predict_proba"] = images_per_s(
                lambda: onnx_predictor.predict_proba(pil_batch), args.batch, max(1, args.steps // 4), args.device)
    baseline = results["torch_eager_fp32_forward"]
    name = device_name(args.device)
    print(f"{args.model}, batch {args.batch}, on {args.device} ({name}):")
    for key, value in results.items():
        print(f"  {key:<48}{value:10.1f} images/s  {value / baseline:5.2f}x of the bare fp32 forward")
    if args.json:
        append_json_line(args.json, {"benchmark": "predict_throughput", "model": args.model, "batch": args.batch,
                                     "device": args.device, "device_name": name, "images_per_s": results})


if __name__ == "__main__":
    main()
