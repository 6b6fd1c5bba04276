"""Every loss against an independent float64 statement of the reference math, plus invariants,
gradcheck, input checks and the registry."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import ltzoo.losses as L
from ltzoo.errors import InvalidArgumentError, UnknownNameError

from . import reference_math as ref

COUNTS = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
C = len(COUNTS)
RTOL = 1e-5


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(1234)
    cos = torch.rand(16, C, generator=gen, dtype=torch.float64) * 2 - 1
    y = torch.randint(0, C, (16,), generator=gen)
    noise = torch.randn(16, C, generator=gen, dtype=torch.float64) / 3
    return cos, y, noise


def close(actual: torch.Tensor, expected: float) -> None:
    np.testing.assert_allclose(actual.item(), expected, rtol=RTOL)


# ---------------------------------------------------------------- reference math
@pytest.mark.parametrize("m,s,noise_mul", [(0.5, 30.0, 1.0), (0.0, 30.0, 0.5), (0.1, 20.0, 0.5)])
def test_gcl_matches_reference(batch, m, s, noise_mul):
    cos, y, noise = batch
    loss = L.GCLLoss(COUNTS, m=m, s=s, noise_mul=noise_mul)(cos.float(), y, noise=noise.float())
    close(loss, ref.gcl(cos.float().double().numpy(), y.numpy(), COUNTS, noise.float().double().numpy(), m, s, noise_mul))


def test_gcl_classifier_stage_and_weight_match_reference(batch):
    cos, y, noise = batch
    weight = torch.linspace(0.5, 2.0, C)
    fn = L.GCLLoss(COUNTS, m=0.1, s=20.0, noise_mul=0.5, gamma=1.0, weight=weight, classifier_stage=True)
    expected = ref.gcl(cos.numpy(), y.numpy(), COUNTS, noise.numpy(), 0.1, 20.0, 0.5, 1.0,
                       weight.double().numpy(), classifier_stage=True)
    close(fn(cos, y, noise=noise), expected)
    fn1 = L.GCLLoss(COUNTS, m=0.1, s=20.0, noise_mul=0.5, weight=weight)
    close(fn1(cos, y, noise=noise), ref.gcl(cos.numpy(), y.numpy(), COUNTS, noise.numpy(), 0.1, 20.0, 0.5,
                                            weight=weight.double().numpy()))


@pytest.mark.parametrize("easy_margin", [False, True])
def test_gcl_angular_matches_reference(batch, easy_margin):
    cos, y, noise = batch
    fn = L.GCLAngularLoss(COUNTS, m=0.5, epsilon=0.1, s=30.0, easy_margin=easy_margin)
    expected = ref.gcl_angular(cos.numpy(), y.numpy(), COUNTS, noise.numpy(), 0.5, 0.1, 30.0, easy_margin)
    close(fn(cos, y, noise=noise), expected)


def test_gcl_angular_fallback_branch_is_exercised():
    # cos close to -1 with a large margin takes the cos - sin(pi - M) branch
    cos = torch.tensor([[-0.99, 0.2], [0.3, -0.95]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    noise = torch.zeros(2, 2, dtype=torch.float64)
    fn = L.GCLAngularLoss([10, 1], m=0.5)
    expected = ref.gcl_angular(cos.numpy(), y.numpy(), [10, 1], noise.numpy(), 0.5, 0.1, 30.0, False)
    close(fn(cos, y, noise=noise), expected)


@pytest.mark.parametrize("loss_type", ["softmax", "sigmoid", "focal"])
@pytest.mark.parametrize("beta,gamma", [(0.9999, 1.0), (0.999, 0.5), (0.99, 2.0)])
def test_class_balanced_matches_official_tf_semantics(batch, loss_type, beta, gamma):
    logits, y, _ = batch
    logits = logits * 4
    fn = L.ClassBalancedLoss(COUNTS, beta=beta, gamma=gamma, loss_type=loss_type)
    close(fn(logits, y), ref.class_balanced(logits.numpy(), y.numpy(), COUNTS, beta, gamma, loss_type))
    np.testing.assert_allclose(fn.class_weights.double().numpy(), ref.cb_weights(COUNTS, beta), rtol=1e-6)
    assert fn.class_weights.sum().item() == pytest.approx(C, rel=1e-6)


def test_class_balanced_focal_is_stable_for_large_logits():
    logits = torch.tensor([[80.0, -80.0, 0.0], [-90.0, 95.0, 3.0]])
    loss = L.ClassBalancedLoss([100, 10, 1], loss_type="focal", gamma=2.0)(logits, torch.tensor([1, 0]))
    assert torch.isfinite(loss)


@pytest.mark.parametrize("max_m,s", [(0.5, 30.0), (0.3, 10.0)])
def test_ldam_matches_reference(batch, max_m, s):
    cos, y, _ = batch
    close(L.LDAMLoss(COUNTS, max_m=max_m, s=s)(cos, y), ref.ldam(cos.numpy(), y.numpy(), COUNTS, max_m, s))


def test_ldam_with_drw_weights_matches_reference(batch):
    cos, y, _ = batch
    fn = L.LDAMLoss(COUNTS)
    weights = L.drw_weights(COUNTS, epoch=170)
    fn.set_weight(weights)
    close(fn(cos, y), ref.ldam(cos.numpy(), y.numpy(), COUNTS, 0.5, 30.0, weight=weights))
    np.testing.assert_array_equal(L.drw_weights(COUNTS, epoch=159), np.ones(C))
    np.testing.assert_allclose(weights, ref.cb_weights(COUNTS, 0.9999))


def test_ldam_with_named_inverse_frequency_weights_matches_reference(batch):
    cos, y, _ = batch
    icf = (1.0 / np.asarray(COUNTS, dtype=np.float64)) / np.sum(1.0 / np.asarray(COUNTS, dtype=np.float64))
    fn = L.LDAMLoss(COUNTS, max_m=0.3, weight="inverse_frequency")
    close(fn(cos, y), ref.ldam(cos.numpy(), y.numpy(), COUNTS, 0.3, 30.0, weight=icf))
    with pytest.raises(KeyError, match="inverse_frequency"):
        L.LDAMLoss(COUNTS, weight="inverse_frequncy")


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_logit_adjusted_matches_reference(batch, tau):
    logits, y, _ = batch
    close(L.LogitAdjustedLoss(COUNTS, tau=tau)(logits, y), ref.logit_adjusted(logits.numpy(), y.numpy(), COUNTS, tau))


def test_balanced_softmax_matches_reference(batch):
    logits, y, _ = batch
    close(L.BalancedSoftmaxLoss(COUNTS)(logits, y), ref.balanced_softmax(logits.numpy(), y.numpy(), COUNTS))


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("detach", [False, True])
def test_focal_value_and_gradient_form(batch, gamma, detach):
    logits, y, _ = batch
    logits = logits.clone().requires_grad_(True)
    loss = L.FocalLoss(gamma=gamma, detach_modulator=detach)(logits, y)
    ce = ref.ce_per_sample(logits.detach().numpy(), y.numpy())
    close(loss, np.mean((1 - np.exp(-ce)) ** gamma * ce))
    loss.backward()
    ce_t = F.cross_entropy(logits, y, reduction="none")
    mod = (1 - torch.exp(-ce_t))
    manual = ((mod.detach() if detach else mod) ** gamma * ce_t).mean()
    (grad,) = torch.autograd.grad(manual, logits)
    torch.testing.assert_close(logits.grad, grad)


def test_supcon_matches_reference():
    gen = torch.Generator().manual_seed(7)
    feats = F.normalize(torch.randn(6, 2, 5, generator=gen, dtype=torch.float64), dim=-1)
    labels = torch.tensor([0, 0, 1, 2, 1, 3])  # class 2 and 3 have no positive but their other view
    close(L.SupConLoss(temperature=0.1, base_temperature=0.07)(feats, labels),
          ref.supcon(feats.numpy(), labels.numpy(), 0.1, 0.07))


def test_supcon_counts_anchors_without_positives_in_mean():
    feats = F.normalize(torch.randn(3, 1, 4, dtype=torch.float64), dim=-1)
    labels = torch.tensor([0, 0, 1])  # one view: sample 2 has no positive at all
    full = L.SupConLoss(reduction="none")(feats, labels)
    assert full[2] == 0
    close(L.SupConLoss()(feats, labels), full.sum().item() / 3)


def test_balanced_supcon_matches_reference():
    gen = torch.Generator().manual_seed(3)
    feats = F.normalize(torch.randn(5, 2, 8, generator=gen, dtype=torch.float64), dim=-1)
    centers = F.normalize(torch.randn(4, 8, generator=gen, dtype=torch.float64), dim=-1)
    targets = torch.tensor([0, 0, 1, 3, 0])
    fn = L.BalancedSupConLoss([100, 50, 10, 5], temperature=0.1)
    close(fn(centers, feats, targets), ref.balanced_supcon(centers.numpy(), feats.numpy(), targets.numpy(), 4, 0.1))


def test_cibl_is_convex_combination_of_ce_and_supcon():
    gen = torch.Generator().manual_seed(5)
    logits = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    feats = F.normalize(torch.randn(8, 2, 6, generator=gen, dtype=torch.float64), dim=-1)
    y = torch.tensor([0, 0, 0, 0, 0, 1, 1, 2])
    fn = L.CIBLLoss([100, 10, 1], temperature=0.1, contrastive_scale=1.0)
    w = fn.contrastive_weights(y)
    torch.testing.assert_close(w, torch.tensor([4 / 7] * 5 + [1 / 7] * 2 + [0.0]))
    ce = torch.as_tensor(ref.ce_per_sample(logits.numpy(), y.numpy()))
    sc = L.SupConLoss(temperature=0.1, base_temperature=0.1, reduction="none")(feats, y)
    close(fn(logits, feats, y), ((1 - w) * ce + w * sc).mean().item())
    # s scales the logits of the CE term only (cosine classifiers)
    ce_scaled = torch.as_tensor(ref.ce_per_sample(20.0 * logits.numpy(), y.numpy()))
    scaled = L.CIBLLoss([100, 10, 1], temperature=0.1, s=20.0)
    close(scaled(logits, feats, y), ((1 - w) * ce_scaled + w * sc).mean().item())
    # the knob moves weight towards the contrastive term, clamped at 1
    assert (L.CIBLLoss([100, 10, 1], contrastive_scale=3.0).contrastive_weights(y) >= w).all()
    assert L.CIBLLoss([100, 10, 1], contrastive_scale=10.0).contrastive_weights(y).max() == 1.0


# ---------------------------------------------------------------- invariants
def test_gcl_without_noise_and_margin_is_scaled_ce(batch):
    cos, y, _ = batch
    close(L.GCLLoss(COUNTS, m=0.0, noise_mul=0.0, s=30.0)(cos, y), F.cross_entropy(30.0 * cos, y).item())


def test_gcl_draws_fresh_noise_and_uniform_counts_are_finite(batch):
    cos, y, _ = batch
    fn = L.GCLLoss(COUNTS)
    assert fn(cos, y) != fn(cos, y)
    assert torch.isfinite(L.GCLLoss([7] * C)(cos, y))  # max(m) = 0: no cloud, no NaN


def test_gcl_adjusted_logits_and_m_list(batch):
    cos, y, noise = batch
    fn = L.GCLLoss(COUNTS, m=0.2, noise_mul=1.0)
    z = fn.adjusted_logits(cos, y, noise)
    assert (z <= cos + 1e-12).all()  # the cloud only lowers cosines
    m_list = np.log(COUNTS).max() - np.log(COUNTS)
    np.testing.assert_allclose(fn.m_list.numpy(), m_list, rtol=1e-5)  # float32, as the reference


def test_cb_softmax_with_beta_zero_is_mean_ce(batch):
    logits, y, _ = batch
    close(L.ClassBalancedLoss(COUNTS, beta=0.0, loss_type="softmax")(logits, y), F.cross_entropy(logits, y).item())


def test_balanced_softmax_uniform_counts_is_ce(batch):
    logits, y, _ = batch
    close(L.BalancedSoftmaxLoss([42] * C)(logits, y), F.cross_entropy(logits, y).item())


def test_logit_adjustment_tau_zero_is_ce(batch):
    logits, y, _ = batch
    np.testing.assert_allclose(L.LogitAdjustedLoss(COUNTS, tau=0.0)(logits, y).item(),
                               F.cross_entropy(logits, y).item(), rtol=1e-9)


def test_posthoc_logit_adjust():
    logits = torch.zeros(1, 2)
    adjusted = L.posthoc_logit_adjust(logits, [90, 10])
    torch.testing.assert_close(adjusted, -torch.log(torch.tensor([[0.9, 0.1]])))
    assert L.posthoc_logit_adjust(logits, [90, 10], tau=0.0).abs().max() == 0
    with pytest.raises(InvalidArgumentError, match=r"logits must be \[batch, 2\], got \(1, 3\)"):
        L.posthoc_logit_adjust(torch.zeros(1, 3), [90, 10])


def test_losses_do_not_modify_inputs(batch):
    cos, y, noise = batch
    for fn in (L.GCLLoss(COUNTS), L.GCLAngularLoss(COUNTS), L.LDAMLoss(COUNTS), L.ClassBalancedLoss(COUNTS)):
        before = cos.clone()
        fn(cos, y)
        torch.testing.assert_close(cos, before)


# ---------------------------------------------------------------- gradients, dtypes
GRADCHECK_LOSSES = {
    "gcl": lambda: L.GCLLoss(COUNTS, m=0.2, noise_mul=0.5),
    # gamma=0: with gamma > 0 the modulator is detached (as in the reference), so the analytic
    # gradient is deliberately not the numerical one; test_focal_value_and_gradient_form covers it
    "gcl_classifier": lambda: L.GCLLoss(COUNTS, m=0.1, s=20.0, gamma=0.0, classifier_stage=True),
    "gcl_angular": lambda: L.GCLAngularLoss(COUNTS, m=0.3),
    "ldam": lambda: L.LDAMLoss(COUNTS),
    "cb_softmax": lambda: L.ClassBalancedLoss(COUNTS, loss_type="softmax"),
    "cb_sigmoid": lambda: L.ClassBalancedLoss(COUNTS, loss_type="sigmoid"),
    "cb_focal": lambda: L.ClassBalancedLoss(COUNTS, loss_type="focal", gamma=0.5),
    "logit_adjusted": lambda: L.LogitAdjustedLoss(COUNTS),
    "balanced_softmax": lambda: L.BalancedSoftmaxLoss(COUNTS),
    "focal": lambda: L.FocalLoss(gamma=2.0),
    "ce": lambda: L.CrossEntropyLoss(),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_LOSSES))
def test_gradcheck_float64(name, batch):
    cos, y, noise = batch
    cos = (cos[:4] * 0.9).clone().requires_grad_(True)  # keep |cos| < 1 for the angular sqrt
    fn = GRADCHECK_LOSSES[name]()
    if name.startswith("gcl"):
        assert torch.autograd.gradcheck(lambda c: fn(c, y[:4], noise=noise[:4]), (cos,))
    else:
        assert torch.autograd.gradcheck(lambda c: fn(c, y[:4]), (cos,))


def test_gradcheck_contrastive():
    feats = F.normalize(torch.randn(4, 2, 3, dtype=torch.float64), dim=-1).requires_grad_(True)
    centers = F.normalize(torch.randn(3, 3, dtype=torch.float64), dim=-1).requires_grad_(True)
    y = torch.tensor([0, 1, 1, 2])
    assert torch.autograd.gradcheck(lambda f: L.SupConLoss()(f, y), (feats,))
    assert torch.autograd.gradcheck(lambda c, f: L.BalancedSupConLoss([3, 2, 1])(c, f, y), (centers, feats))


@pytest.mark.parametrize("name", sorted(GRADCHECK_LOSSES))
def test_bf16_autocast_computes_in_float32(name, batch):
    cos, y, noise = batch
    fn = GRADCHECK_LOSSES[name]()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = torch.nn.Linear(C, C, dtype=torch.float32)(cos.float())
        assert logits.dtype == torch.bfloat16
        loss = fn(logits.clamp(-1, 1), y, noise=noise.float()) if name.startswith("gcl") else fn(logits, y)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("counts,match", [
    ([5, 0, 3], "positive"), ([5, -1], "positive"), ([], "2 or more classes"), ([7], "2 or more classes"),
    ([[1, 2]], "1-D"), ([1.5, 2], "integers"),
])
def test_bad_class_counts(counts, match):
    with pytest.raises(InvalidArgumentError, match=match):
        L.GCLLoss(counts)


def test_wrong_number_of_classes(batch):
    cos, y, _ = batch
    with pytest.raises(ValueError, match="classes"):
        L.LDAMLoss(COUNTS[:5])(cos, y)


@pytest.mark.parametrize("bad_target,match", [
    (torch.tensor([0, 10]), r"\[0, 10\)"), (torch.tensor([-1, 0]), r"\[0, 10\)"),
    (torch.tensor([0.0, 1.0]), "integer"), (torch.tensor([[0, 1]]), "1-D"), (torch.tensor([0, 1, 2]), "2 class"),
])
def test_bad_targets(bad_target, match):
    with pytest.raises(InvalidArgumentError, match=match):
        L.BalancedSoftmaxLoss(COUNTS)(torch.zeros(2, C), bad_target)


def test_bad_logits():
    fn = L.GCLLoss(COUNTS)
    with pytest.raises(InvalidArgumentError, match="2-D"):
        fn(torch.zeros(C), torch.tensor([0]))
    with pytest.raises(InvalidArgumentError, match="NaN"):
        fn(torch.full((1, C), float("nan")), torch.tensor([0]))
    with pytest.raises(InvalidArgumentError, match="noise"):
        fn(torch.zeros(2, C), torch.tensor([0, 1]), noise=torch.zeros(3, C))


@pytest.mark.parametrize("kwargs,match", [
    ({"s": 0}, "s must"), ({"gamma": -1}, "gamma"), ({"noise_mul": float("inf")}, "noise_mul"),
    ({"weight": [1.0, 2.0]}, "weight"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        L.GCLLoss(COUNTS, **kwargs)


def test_bad_cb_loss_type_and_beta():
    with pytest.raises(InvalidArgumentError, match="loss_type"):
        L.ClassBalancedLoss(COUNTS, loss_type="hinge")
    with pytest.raises(InvalidArgumentError, match="beta"):
        L.ClassBalancedLoss(COUNTS, beta=1.0)


# ---------------------------------------------------------------- registry
def _inputs_for(name: str):
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, C, (8,), generator=gen)
    feats = F.normalize(torch.randn(8, 2, 4, generator=gen), dim=-1)
    if name == "supcon":
        return (feats, y)
    if name == "balanced_supcon":
        return (F.normalize(torch.randn(C, 4, generator=gen), dim=-1), feats, y)
    if name == "cibl":
        return (torch.randn(8, C, generator=gen), feats, y)
    return (torch.rand(8, C, generator=gen) * 2 - 1, y)


@pytest.mark.parametrize("name", L.list_losses())
def test_every_registered_loss_builds_runs_and_backpropagates(name):
    fn = L.create_loss(name, class_counts=COUNTS)
    inputs = [t.clone().requires_grad_(True) if t.is_floating_point() else t for t in _inputs_for(name)]
    loss = fn(*inputs)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(t.grad is not None for t in inputs if t.is_floating_point())


@pytest.mark.parametrize("name", L.list_losses())
def test_every_registered_loss_refuses_an_empty_batch(name):
    """A mean over no samples is NaN: every loss names the empty batch instead of returning it."""
    fn = L.create_loss(name, class_counts=COUNTS)
    inputs = [t[:0] if t.shape[0] == 8 else t for t in _inputs_for(name)]  # class prototypes stay
    with pytest.raises(InvalidArgumentError, match="empty"):
        fn(*inputs)


def test_registry_errors():
    with pytest.raises(UnknownNameError, match="Did you mean 'gcl'"):
        L.create_loss("gcl_", class_counts=COUNTS)
    from ltzoo.errors import DuplicateNameError

    with pytest.raises(DuplicateNameError):
        L.register_loss("gcl")(object)
