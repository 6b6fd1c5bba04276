"""Forward + backward time of every registered loss at B=512, C=1000 on CPU, as a ratio to
``F.cross_entropy`` on the same input, measured in the same run (target: <= 2x, except the
contrastive losses).

    python benchmarks/losses.py [--batch 512] [--classes 1000] [--repeats 50]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from timing import interleaved_medians

import ltzoo.losses as L

CONTRASTIVE = {"supcon", "balanced_supcon", "cibl"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    counts = np.maximum((1000 * 0.01 ** (np.arange(args.classes) / (args.classes - 1))).astype(int), 1)
    logits = (torch.rand(args.batch, args.classes, generator=gen) * 2 - 1).requires_grad_(True)
    target = torch.randint(0, args.classes, (args.batch,), generator=gen)
    feats = F.normalize(torch.randn(args.batch, 2, 128, generator=gen), dim=-1).requires_grad_(True)
    centers = F.normalize(torch.randn(args.classes, 128, generator=gen), dim=-1).requires_grad_(True)

    leaves = (logits, feats, centers)

    def step(loss_fn) -> None:
        for leaf in leaves:
            leaf.grad = None
        loss_fn().backward()

    def baseline_step() -> None:
        step(lambda: F.cross_entropy(logits, target))

    print(f"B={args.batch} C={args.classes} threads={torch.get_num_threads()}; each loss timed alternately "
          f"with F.cross_entropy fwd+bwd on the same input (median of {args.repeats})")
    print(f"{'loss':<18}{'CE ms':>9}{'loss ms':>9}{'ratio':>8}  target")
    failures = []
    for name in L.list_losses():
        fn = L.create_loss(name, class_counts=counts)
        if name == "supcon":
            call = lambda fn=fn: fn(feats, target)  # noqa: E731
        elif name == "balanced_supcon":
            call = lambda fn=fn: fn(centers, feats, target)  # noqa: E731
        elif name == "cibl":
            call = lambda fn=fn: fn(logits, feats, target)  # noqa: E731
        else:
            call = lambda fn=fn: fn(logits, target)  # noqa: E731
        times = interleaved_medians({"ce": baseline_step, name: lambda call=call: step(call)}, args.repeats, warmup=5)
        baseline, seconds = times["ce"], times[name]
        ratio = seconds / baseline
        target_text = "n/a (contrastive)" if name in CONTRASTIVE else ("<= 2x ok" if ratio <= 2 else "<= 2x MISSED")
        if name not in CONTRASTIVE and ratio > 2:
            failures.append(name)
        print(f"{name:<18}{baseline * 1e3:>9.3f}{seconds * 1e3:>9.3f}{ratio:>7.2f}x  {target_text}")
    print("all non-contrastive losses within 2x" if not failures else f"over 2x: {', '.join(failures)}")


if __name__ == "__main__":
    main()
