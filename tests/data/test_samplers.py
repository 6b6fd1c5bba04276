"""Samplers: target probabilities, empirical frequencies (chi-square), seeding, DDP sharding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ltzoo.data import samplers as S
from ltzoo.errors import InvalidArgumentError

COUNTS = [500, 200, 80, 30, 10, 4]
TARGETS = np.repeat(np.arange(len(COUNTS)), COUNTS)
# chi-square critical value for 5 degrees of freedom at p = 0.001
CHI2_CRIT_5DOF = 20.515


def _chi_square(sampler: S.ClassWeightedSampler, draws_epochs: int = 20) -> float:
    observed = np.zeros(len(COUNTS))
    for epoch in range(draws_epochs):
        sampler.set_epoch(epoch)
        observed += np.bincount(TARGETS[list(sampler)], minlength=len(COUNTS))
    expected = sampler.class_probabilities() * observed.sum()
    return float(((observed - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("name", S.list_samplers())
def test_empirical_class_frequencies_match_target(name):
    kwargs = {"total_epochs": 10} if name == "progressively_balanced" else {}
    sampler = S.create_sampler(name, TARGETS, seed=3, **kwargs)
    if name == "progressively_balanced":
        sampler.set_epoch(5)
        probs = sampler.class_probabilities()
        counts = np.zeros(len(COUNTS))
        for rep in range(20):
            sampler.seed = rep
            counts += np.bincount(TARGETS[list(sampler)], minlength=len(COUNTS))
        expected = probs * counts.sum()
        assert ((counts - expected) ** 2 / expected).sum() < CHI2_CRIT_5DOF
    elif name == "instance":
        sampler.set_epoch(0)
        np.testing.assert_array_equal(np.sort(list(sampler)), np.arange(len(TARGETS)))
    else:
        assert _chi_square(sampler) < CHI2_CRIT_5DOF


def test_balanced_sampler_probabilities_are_uniform():
    np.testing.assert_allclose(S.ClassBalancedSampler(TARGETS).class_probabilities(), 1 / len(COUNTS))
    sqrt = S.SquareRootSampler(TARGETS).class_probabilities()
    np.testing.assert_allclose(sqrt, np.sqrt(COUNTS) / np.sqrt(COUNTS).sum())


def test_progressively_balanced_moves_from_instance_to_balanced():
    sampler = S.ProgressivelyBalancedSampler(TARGETS, total_epochs=4)
    sampler.set_epoch(0)
    np.testing.assert_allclose(sampler.class_probabilities(), np.array(COUNTS) / sum(COUNTS))
    sampler.set_epoch(4)
    np.testing.assert_allclose(sampler.class_probabilities(), 1 / len(COUNTS))


def test_class_aware_takes_runs_of_one_class():
    sampler = S.ClassAwareSampler(TARGETS, samples_per_class=4, num_samples=400)
    labels = TARGETS[list(sampler)].reshape(-1, 4)
    assert (labels == labels[:, :1]).all()
    # every class appears once per cycle of C picks
    first_cycle = labels[: len(COUNTS), 0]
    assert sorted(first_cycle.tolist()) == list(range(len(COUNTS)))


@pytest.mark.parametrize("name", S.list_samplers())
def test_same_seed_same_draw_and_epochs_differ(name):
    kwargs = {"total_epochs": 10} if name == "progressively_balanced" else {}
    a = S.create_sampler(name, TARGETS, seed=11, **kwargs)
    b = S.create_sampler(name, TARGETS, seed=11, **kwargs)
    assert list(a) == list(b)
    a.set_epoch(1)
    assert list(a) != list(b)


@pytest.mark.parametrize("name", S.list_samplers())
def test_ddp_shards_are_disjoint_and_cover_the_global_draw(name):
    kwargs = {"total_epochs": 10} if name == "progressively_balanced" else {}
    shards = [S.create_sampler(name, TARGETS, seed=5, num_samples=1000, num_replicas=3, rank=r, **kwargs)
              for r in range(3)]
    for s in shards:
        s.set_epoch(2)
    assert all(len(s) == 334 for s in shards)
    global_draw = shards[0]._global_draw().tolist()
    interleaved = [None] * (3 * 334)
    for r, s in enumerate(shards):
        interleaved[r::3] = list(s)
    assert interleaved == global_draw  # positions are disjoint and cover the draw
    padded_single = S.create_sampler(name, TARGETS, seed=5, num_samples=1002, **kwargs)
    padded_single.set_epoch(2)
    assert list(padded_single) == global_draw  # what one process would have drawn


def test_default_num_samples_is_dataset_length():
    assert len(S.ClassBalancedSampler(TARGETS)) == len(TARGETS)


def test_bad_sampler_input():
    with pytest.raises(InvalidArgumentError, match="positive"):
        S.ClassBalancedSampler([0, 0, 2])  # class 1 is empty
    with pytest.raises(InvalidArgumentError, match="rank"):
        S.ClassBalancedSampler(TARGETS, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_samples"):
        S.ClassBalancedSampler(TARGETS, num_samples=0)


def test_usable_with_dataloader():
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(TARGETS))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, sampler=S.ClassBalancedSampler(TARGETS))
    assert sum(len(b[0]) for b in loader) == len(TARGETS)
