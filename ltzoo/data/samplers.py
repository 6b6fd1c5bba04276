"""Class-aware samplers for long-tailed training, seeded and DDP-aware.

Every sampler draws one *global* sequence per epoch from a generator seeded with
``seed + epoch`` (call ``set_epoch`` like ``DistributedSampler``) and hands replica ``rank`` the
positions ``rank, rank + num_replicas, ...``: shards are disjoint, cover the global draw, and
the class distribution is what a single process would see.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from .._registry import Registry
from .._validation import as_class_counts, as_labels, check_positive
from ..class_weights import class_weights
from ..errors import InvalidArgumentError
from .class_counts import counts_from_targets

_SAMPLERS: Registry[Sampler] = Registry("sampler")


class ClassWeightedSampler(Sampler[int]):
    """Draws sample indices with replacement, each sample weighted by its class's weight.

    Args:
        targets: the dataset's labels (``dataset.targets``).
        class_weights: weight per class (any positive scale), or None to set later.
        num_samples: samples per epoch over all replicas (default: ``len(targets)``).
        seed: base seed; epoch ``e`` uses ``seed + e``.
        num_replicas, rank: DDP world size and this process's rank.
    """

    def __init__(
        self,
        targets: Any,
        class_weights: Any = None,
        num_samples: int | None = None,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
    ):
        self.targets = torch.as_tensor(as_labels(targets, "targets"), dtype=torch.long)
        self.class_counts = counts_from_targets(self.targets.numpy())
        as_class_counts(self.class_counts, "class counts of targets")  # no empty class
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise InvalidArgumentError(f"rank must lie in [0, num_replicas={num_replicas}), got {rank}")
        total = len(self.targets) if num_samples is None else int(num_samples)
        if total < 1:
            raise InvalidArgumentError(f"num_samples must be >= 1, got {total}")
        self.num_replicas, self.rank, self.seed, self.epoch = num_replicas, rank, seed, 0
        self.num_samples = math.ceil(total / num_replicas)
        self.total_size = self.num_samples * num_replicas
        if class_weights is not None:
            self.set_class_weights(class_weights)

    def set_class_weights(self, class_weights: Any) -> None:
        weights = np.asarray(class_weights, dtype=np.float64)
        if weights.shape != self.class_counts.shape or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise InvalidArgumentError(
                f"class_weights must be {len(self.class_counts)} finite non-negative numbers, got {weights[:10]}"
            )
        self.class_weights = weights
        self.sample_weights = torch.as_tensor(weights, dtype=torch.float64)[self.targets]

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch's draw (call before iterating, as with DistributedSampler)."""
        self.epoch = int(epoch)

    def class_probabilities(self) -> np.ndarray:
        """Probability that a draw has class c (what the empirical frequencies converge to)."""
        mass = self.class_weights * self.class_counts
        return mass / mass.sum()

    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed + self.epoch)

    def _global_draw(self) -> torch.Tensor:
        return torch.multinomial(self.sample_weights, self.total_size, replacement=True, generator=self._generator())

    def __iter__(self) -> Iterator[int]:
        return iter(self._global_draw()[self.rank :: self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples


def register_sampler(name: str):
    """Class decorator adding a sampler to the registry under ``name``."""
    return _SAMPLERS.register(name)


def create_sampler(name: str, targets: Any, **kwargs: Any) -> Sampler:
    """Builds the sampler registered as ``name`` over ``targets``.

    Example:
        >>> sampler = create_sampler("class_balanced", [0, 0, 0, 1], seed=1)
    """
    try:
        return _SAMPLERS.create(name, targets, **kwargs)
    except TypeError as exc:  # samplers pass **kwargs to their base class: an unknown one ends there
        if "unexpected keyword argument" not in str(exc):
            raise
        signatures = (inspect.signature(_SAMPLERS.get(name)), inspect.signature(ClassWeightedSampler.__init__))
        known = dict.fromkeys(p for sig in signatures for p in sig.parameters
                              if p not in ("self", "targets", "class_weights", "kwargs"))
        raise InvalidArgumentError(f"sampler {name!r}: {str(exc).split(') ')[-1]}; its options: "
                                   f"{', '.join(known)}") from None


def list_samplers(pattern: str = "*") -> list[str]:
    """Names of the registered samplers."""
    return _SAMPLERS.names(pattern)


@register_sampler("class_balanced")
class ClassBalancedSampler(ClassWeightedSampler):
    """Every class equally likely (weight ``1/n_c``; the reference ``BalancedDatasetSampler``)."""

    def __init__(self, targets: Any, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.set_class_weights(class_weights("inverse_frequency", self.class_counts))


@register_sampler("square_root")
class SquareRootSampler(ClassWeightedSampler):
    """Class probability proportional to ``sqrt(n_c)`` (Mahajan et al. 2018)."""

    def __init__(self, targets: Any, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.set_class_weights(class_weights("square_root", self.class_counts))


@register_sampler("effective_number")
class EffectiveNumberSampler(ClassWeightedSampler):
    """Weight ``(1 - beta) / (1 - beta^n_c)`` (the reference ``EffectNumSampler``)."""

    def __init__(self, targets: Any, beta: float = 0.9999, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.set_class_weights(class_weights("effective_number", self.class_counts, beta=beta))


@register_sampler("class_based_effective_number")
class ClassBasedEffectiveNumberSampler(ClassWeightedSampler):
    """GCL's class-based effective-number sampler (CBENRS, reference ``CBEffectNumSampler``)."""

    def __init__(self, targets: Any, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.set_class_weights(class_weights("class_based_effective_number", self.class_counts))


@register_sampler("progressively_balanced")
class ProgressivelyBalancedSampler(ClassWeightedSampler):
    """Progressively balanced sampling (Kang et al. ICLR 2020, Eq. 3): class probability
    ``(1 - t/T) * n_c / N + (t/T) / C`` at epoch t of ``total_epochs`` T."""

    def __init__(self, targets: Any, total_epochs: int, **kwargs: Any):
        super().__init__(targets, **kwargs)
        if total_epochs < 1:
            raise InvalidArgumentError(f"total_epochs must be >= 1, got {total_epochs}")
        self.total_epochs = int(total_epochs)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        t = min(self.epoch, self.total_epochs) / self.total_epochs
        counts = self.class_counts.astype(np.float64)
        class_prob = (1 - t) * counts / counts.sum() + t / len(counts)
        self.set_class_weights(class_prob / counts)


@register_sampler("class_aware")
class ClassAwareSampler(ClassWeightedSampler):
    """Class-aware sampling (Shen et al. ECCV 2016; the cRT reference's ``ClassAwareSampler``):
    pick a class by cycling through shuffled class orders, then take ``samples_per_class``
    consecutive samples from that class's own shuffled cycle."""

    def __init__(self, targets: Any, samples_per_class: int = 4, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.samples_per_class = int(check_positive(samples_per_class, "samples_per_class"))
        self.set_class_weights(class_weights("inverse_frequency", self.class_counts))

    def _global_draw(self) -> torch.Tensor:
        gen = self._generator()
        num_classes = len(self.class_counts)
        members = [torch.nonzero(self.targets == c).flatten() for c in range(num_classes)]
        cycles = [m[torch.randperm(len(m), generator=gen)] for m in members]
        position = [0] * num_classes
        order: list[int] = []
        out: list[torch.Tensor] = []
        drawn = 0
        while drawn < self.total_size:
            if not order:
                order = torch.randperm(num_classes, generator=gen).tolist()
            cls = order.pop()
            take = []
            for _ in range(self.samples_per_class):
                if position[cls] == len(cycles[cls]):
                    cycles[cls] = members[cls][torch.randperm(len(members[cls]), generator=gen)]
                    position[cls] = 0
                take.append(cycles[cls][position[cls]])
                position[cls] += 1
            out.append(torch.stack(take))
            drawn += len(take)
        return torch.cat(out)[: self.total_size]


@register_sampler("instance")
class InstanceSampler(ClassWeightedSampler):
    """Plain shuffling without replacement (each class drawn in proportion to ``n_c``); the
    permutation wraps around when ``num_samples`` exceeds the dataset or for DDP padding."""

    def __init__(self, targets: Any, **kwargs: Any):
        super().__init__(targets, **kwargs)
        self.set_class_weights(np.ones(len(self.class_counts)))

    def _global_draw(self) -> torch.Tensor:
        gen = self._generator()
        n = len(self.targets)
        rounds = math.ceil(self.total_size / n)
        return torch.cat([torch.randperm(n, generator=gen) for _ in range(rounds)])[: self.total_size]
