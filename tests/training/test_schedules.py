"""Learning-rate schedules against independent implementations: the LDAM-DRW reference's
``adjust_learning_rate`` (rewritten here from its description) and torch's CosineAnnealingLR."""

from __future__ import annotations

import pytest
import torch

from ltzoo.errors import UnknownNameError
from ltzoo.training.schedules import create_schedule, list_schedules


def _ldam_drw_reference(epoch: int, lr: float) -> float:
    """Cao et al.'s CIFAR schedule: 5 warmup epochs, x0.01 after epoch 160, x0.0001 after 180."""
    epoch += 1
    if epoch <= 5:
        return lr * epoch / 5
    if epoch > 180:
        return lr * 0.0001
    if epoch > 160:
        return lr * 0.01
    return lr


def test_step_schedule_is_the_ldam_drw_schedule():
    lr_at = create_schedule({"schedule": "step", "lr": 0.1, "epochs": 200, "warmup_epochs": 5,
                             "lr_milestones": [180, 160], "lr_multipliers": [0.0001, 0.01]})  # order-free
    for epoch in range(200):
        assert lr_at(epoch) == pytest.approx(_ldam_drw_reference(epoch, 0.1), rel=1e-12)


def test_step_schedule_without_warmup_starts_at_the_full_rate():
    lr_at = create_schedule({"schedule": "step", "lr": 0.5, "epochs": 10, "warmup_epochs": 0,
                             "lr_milestones": [5], "lr_multipliers": [0.1]})
    assert [lr_at(e) for e in (0, 4, 5, 9)] == pytest.approx([0.5, 0.5, 0.05, 0.05])


def _class_balanced_reference(global_step: int, steps_per_epoch: int, lr: float) -> float:
    """Cui et al.'s TF schedule: the epoch is continuous (global step / steps per epoch), the lr
    rises as lr * epoch / 5 until epoch 5, then x0.01 from 160 and x0.0001 from 180."""
    epoch = global_step / steps_per_epoch
    rate = lr * epoch / 5
    for multiplier, start in ((1.0, 5), (0.01, 160), (0.0001, 180)):
        rate = rate if epoch < start else lr * multiplier
    return rate


def test_per_step_warmup_is_the_class_balanced_schedule():
    lr_at = create_schedule({"schedule": "step", "lr": 0.1, "epochs": 200, "warmup_epochs": 5,
                             "warmup_per_step": True, "lr_milestones": [160, 180], "lr_multipliers": [0.01, 0.0001]})
    steps = 97
    for epoch in (0, 1, 4, 5, 159, 160, 179, 180, 199):
        for step in (0, 1, 48, 96):
            expected = _class_balanced_reference(epoch * steps + step, steps, 0.1)
            assert lr_at(epoch, step / steps) == pytest.approx(expected, rel=1e-12, abs=1e-15), (epoch, step)


def test_cosine_schedule_matches_torch_cosine_annealing():
    lr_at = create_schedule({"schedule": "cosine", "lr": 0.002, "epochs": 30})
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.002)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
    for epoch in range(30):
        assert lr_at(epoch) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-9, abs=1e-15)
        optimizer.step()
        scheduler.step()


def test_unknown_schedule_names_the_choices():
    with pytest.raises(UnknownNameError, match="cosine"):
        create_schedule({"schedule": "cosin", "lr": 0.1, "epochs": 3})


@pytest.mark.parametrize("name", list_schedules())
def test_every_schedule_starts_at_most_at_lr_and_stays_positive(name: str):
    stage = {"schedule": name, "lr": 0.2, "epochs": 30, "warmup_epochs": 3, "lr_milestones": [20],
             "lr_multipliers": [0.1]}
    rates = [create_schedule(stage)(epoch, progress) for epoch in range(30) for progress in (0.0, 0.5)]
    assert all(0 < r <= 0.2 + 1e-12 for r in rates) and max(rates) == pytest.approx(0.2)
    assert rates[-1] < 0.2  # every schedule ends below its peak
