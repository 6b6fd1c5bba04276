"""CPU inference: torch eager vs onnxruntime fp32 vs onnxruntime int8 (static QDQ), median
latency at batch 1 and throughput at batch 32, for resnet32_cifar (32 px) and resnet50 (224 px),
measured in the same run with the three called in turn. Targets here: onnxruntime fp32 >= 1.5x
torch eager at batch 1 for resnet50; int8 static >= 2x fp32 onnxruntime.

With ``--checkpoint FOLDER --data-dir DIR`` it also reports the top-1 and ECE change of int8 on
the CIFAR-10-LT test split (target: <= 0.5 point top-1 drop).

    python benchmarks/onnx_vs_torch.py [--threads 2] [--repeats 30]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from timing import interleaved_medians

import ltzoo
from ltzoo.export import data_config_of, export_onnx, quantize_int8, sample_images
from ltzoo.hub import load_model, save_pretrained
from ltzoo.images import load_image
from ltzoo.runtime import ImagePreprocessor


def session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def bench_model(folder: Path, threads: int, repeats: int) -> dict[str, float]:
    model, config = load_model(folder)
    model.eval()
    pre = ImagePreprocessor(data_config_of(config))
    pixels = np.stack([pre.resize_crop(load_image(p)) for p in sample_images()])
    export_onnx(model, config, folder / "model.onnx", outputs=["logits"], log=lambda _: None)
    quantize_int8(folder / "model.onnx", folder / "model.int8.onnx", "static", pixels, preprocessor=pre)
    x1 = pre.normalize(pixels[:1])
    x32 = pre.normalize(np.resize(pixels, (32, *pixels.shape[1:])))
    files = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
    sessions = {name: session(folder / file, threads) for name, file in files.items()}
    results = {}
    with torch.inference_mode():
        for batch, x, repeats in ((1, x1, repeats), (32, x32, max(5, repeats // 3))):
            tensor = torch.from_numpy(x)
            calls = {"torch": lambda t=tensor: model(t)}
            calls.update({name: lambda s=sess, x=x: s.run(None, {"images": x}) for name, sess in sessions.items()})
            for name, seconds in interleaved_medians(calls, repeats, block=5).items():
                if batch == 1:
                    results[f"{name}_b1_ms"] = seconds * 1e3
                else:
                    results[f"{name}_b32_ips"] = 32 / seconds
    return results


def int8_accuracy(folder: Path, data_dir: Path, threads: int) -> None:
    from ltzoo.data import CIFAR10LT
    from ltzoo.metrics import lt_report

    model, config = load_model(folder)
    pre = ImagePreprocessor(data_config_of(config))
    train = CIFAR10LT(data_dir, imbalance_ratio=100)
    calib, _ = train.heldout_split(per_class=50, seed=1)
    test = CIFAR10LT(data_dir, train=False)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "m.onnx", Path(tmp) / "m.int8.onnx"
        export_onnx(model, config, fp32, outputs=["logits"], log=lambda _: None)
        quantize_int8(fp32, int8, "static", calib, preprocessor=pre)
        counts = config["ltzoo"]["class_counts"]
        for name, path in (("fp32", fp32), ("int8", int8)):
            sess = session(path, threads)
            logits = np.concatenate([sess.run(None, {"images": pre.normalize(test.data[i:i + 500])})[0]
                                     for i in range(0, len(test), 500)])
            rep = lt_report(torch.from_numpy(logits), torch.as_tensor(test.targets), counts)
            print(f"  {name}: top-1 {100 * rep['top1']:.2f}  ECE {100 * rep['ece']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--checkpoint", type=Path, help="a trained CIFAR-10-LT checkpoint folder")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}; median of {args.repeats} runs")
    print(f"{'model':<16}{'torch b1 ms':>12}{'ort b1 ms':>11}{'int8 b1 ms':>11}"
          f"{'torch b32/s':>12}{'ort b32/s':>11}{'int8 b32/s':>11}{'ort/torch b1':>13}{'int8/ort b1':>12}")
    for architecture in ("resnet32_cifar", "resnet50"):
        with tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(0)
            model = ltzoo.create_model(architecture, num_classes=10)
            save_pretrained(model, tmp, label_names=[str(i) for i in range(10)], class_counts=[10] * 10)
            r = bench_model(Path(tmp), args.threads, args.repeats)
        print(f"{architecture:<16}{r['torch_b1_ms']:>12.2f}{r['fp32_b1_ms']:>11.2f}{r['int8_b1_ms']:>11.2f}"
              f"{r['torch_b32_ips']:>12.0f}{r['fp32_b32_ips']:>11.0f}{r['int8_b32_ips']:>11.0f}"
              f"{r['torch_b1_ms'] / r['fp32_b1_ms']:>12.2f}x{r['fp32_b1_ms'] / r['int8_b1_ms']:>11.2f}x")
    if args.checkpoint and args.data_dir:
        print(f"int8 accuracy on the CIFAR-10-LT test split ({args.checkpoint}):")
        int8_accuracy(args.checkpoint, args.data_dir, args.threads)


if __name__ == "__main__":
    main()
