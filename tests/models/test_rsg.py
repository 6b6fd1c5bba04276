"""RSG: reference parameter names, the CESC and MV computations, generation counts and targets,
and the documented deviations (odd batches, no requires_grad side effect)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ltzoo.errors import InvalidArgumentError
from ltzoo.models import RSG, head_classes

COUNTS = [500, 300, 40, 10, 5]  # head (ratio 0.4): classes 0 and 1


def make(**kwargs) -> RSG:
    torch.manual_seed(0)
    return RSG(COUNTS, feature_maps_shape=(8, 4, 4), n_center=3, contrastive_module_dim=16,
               head_class_ratio=0.4, epoch_thresh=10, **kwargs).double()


def test_head_classes_are_the_most_frequent_not_the_first():
    assert head_classes([5, 500, 50, 1000], 0.5).tolist() == [1, 3]
    assert head_classes(COUNTS, 0.2).tolist() == [0]
    assert head_classes([10, 10, 10], 0.01).tolist() == [0]  # at least one head class


def test_reference_parameter_names_and_state_dict_loading():
    rsg = make()
    reference_keys = {"linear", "bias", "centers", "vec_transformation_module.0.weight",
                      "vec_transformation_module.0.bias", "contrastive_module.0.weight", "contrastive_module.0.bias",
                      "contrastive_module.2.weight", "contrastive_module.2.bias", "contrastive_fc.weight",
                      "contrastive_fc.bias"}
    assert set(rsg.state_dict()) == reference_keys
    assert rsg.linear.shape == (5, 8, 3) and rsg.centers.shape == (5, 3, 8) and rsg.bias.shape == (5, 3)
    reference_state = {k: torch.randn_like(v) for k, v in rsg.state_dict().items()}
    rsg.load_state_dict(reference_state)  # strict: loads as it is


def test_cesc_loss_matches_its_definition():
    rsg = make()
    with torch.no_grad():
        rsg.centers.normal_()
    maps = torch.randn(6, 8, 4, 4, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 0, 3, 4])
    expected = 0.0
    for i in range(6):
        pooled = maps[i].mean(dim=(1, 2))
        gamma = (pooled @ rsg.linear[target[i]] + rsg.bias[target[i]]).softmax(0)
        for k in range(3):
            expected += gamma[k] * ((maps[i] - rsg.centers[target[i], k][:, None, None]) ** 2).sum()
    expected = expected / 6
    torch.testing.assert_close(rsg.cesc_loss(maps, target, epoch=99), expected)  # after the threshold
    pair = rsg.contrastive_fc(rsg.contrastive_module(torch.cat([maps[:3], maps[3:]], 1)).view(3, -1))
    with_pairs = expected + F.cross_entropy(pair, (target[:3] == target[3:]).long())
    torch.testing.assert_close(rsg.cesc_loss(maps, target, epoch=1), with_pairs)


def test_before_threshold_nothing_is_generated_and_odd_batches_work():
    rsg = make()
    maps = torch.randn(7, 8, 4, 4, dtype=torch.float64)
    target = torch.tensor([0, 0, 1, 2, 3, 4, 0])
    out, cesc, mv, out_target = rsg(maps, target, epoch=5)
    assert out is maps and torch.equal(out_target, target) and mv == 0 and torch.isfinite(cesc)


@pytest.mark.parametrize("target,expected_rounds,generated_per_round", [
    ([0, 0, 1, 1, 0, 2, 3], 2, 2),  # 5 head, 2 tail: int(5/2) = 2 rounds, all tail maps each time
    ([0, 2, 3, 4, 2, 3], 5, 1),     # 1 head, 5 tail: 5 rounds of 1 tail map
])
def test_generation_counts_targets_and_values(target, expected_rounds, generated_per_round):
    rsg = make()
    with torch.no_grad():
        rsg.centers.normal_()
    target = torch.tensor(target)
    maps = torch.randn(len(target), 8, 4, 4, dtype=torch.float64)
    out, _, mv, out_target = rsg(maps, target, epoch=11)
    n = len(target)
    assert out.shape[0] == n + expected_rounds * generated_per_round
    assert torch.equal(out[:n], maps)
    tail = target[target >= 2]
    assert set(out_target[n:].tolist()) <= set(tail.tolist())
    assert torch.isfinite(mv) and mv > 0
    # the first generated map is a tail map plus the transformed variation of a head map
    head_rows = torch.nonzero(target < 2).flatten()
    tail_rows = torch.nonzero(target >= 2).flatten()
    head_map, head_t = maps[head_rows[0]], target[head_rows[0]]
    gamma = (head_map.mean(dim=(1, 2)) @ rsg.linear[head_t] + rsg.bias[head_t]).softmax(0)
    variation = head_map - rsg.centers[head_t, gamma.argmax()][:, None, None]
    expected = maps[tail_rows[0]] + rsg.vec_transformation_module(variation[None])[0]
    torch.testing.assert_close(out[n], expected)


def test_mv_loss_does_not_train_or_freeze_the_contrastive_module():
    rsg = make()
    maps = torch.randn(6, 8, 4, 4, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 0, 0, 1, 3, 4])
    out, cesc, mv, out_target = rsg(maps, target, epoch=11)
    mv.backward(retain_graph=True)
    assert all(p.grad is None for p in rsg.contrastive_module.parameters())
    assert all(p.grad is None for p in rsg.contrastive_fc.parameters())
    assert rsg.vec_transformation_module[0].weight.grad is not None
    assert all(p.requires_grad for p in rsg.parameters())  # no permanent side effect
    assert maps.grad is None  # RSG works on detached maps for its own losses
    out[6:].sum().backward()  # the classification loss on generated maps trains the transformation
    assert rsg.vec_transformation_module[0].weight.grad.abs().sum() > 0


def test_rsg_bad_input():
    with pytest.raises(InvalidArgumentError, match="H == W"):
        RSG(COUNTS, feature_maps_shape=(8, 4, 6))
    with pytest.raises(InvalidArgumentError, match="transfer_strength"):
        RSG(COUNTS, feature_maps_shape=(8, 4, 4), transfer_strength=2.0)
    rsg = make()
    with pytest.raises(InvalidArgumentError, match="feature_maps"):
        rsg(torch.zeros(2, 8, 5, 5, dtype=torch.float64), torch.tensor([0, 1]), epoch=0)
