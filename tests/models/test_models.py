"""CIFAR ResNets registered with timm, heads and create_model."""

from __future__ import annotations

import pytest
import timm
import torch
from torch import nn

import ltzoo.models as M
from ltzoo.errors import InvalidArgumentError, UnknownNameError

# parameter counts of He et al. 2016 Table 6 / the LDAM-DRW resnet_cifar.py docstring (10 classes)
PARAMS = {"resnet20_cifar": 0.27e6, "resnet32_cifar": 0.46e6, "resnet44_cifar": 0.66e6,
          "resnet56_cifar": 0.85e6, "resnet110_cifar": 1.7e6}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_cifar_resnets_through_timm(name):
    model = timm.create_model(name, num_classes=10)
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PARAMS[name]) / PARAMS[name] < 0.03
    x = torch.randn(2, 3, 32, 32)
    feats = model.forward_features(x)
    assert feats.shape == (2, 64, 8, 8)
    assert model.forward_head(feats, pre_logits=True).shape == (2, 64)
    assert model(x).shape == (2, 10)


def test_resnet32_exact_parameter_count_and_option_a_shortcut():
    model = timm.create_model("resnet32_cifar", num_classes=10)
    assert sum(p.numel() for p in model.parameters()) == 464154
    block = model.layer2[0]
    x = torch.randn(1, 16, 32, 32)
    out = block.shortcut(x)
    assert out.shape == (1, 32, 16, 16)
    torch.testing.assert_close(out[:, 8:24], x[:, :, ::2, ::2])  # zero padded channels around
    assert out[:, :8].abs().sum() == 0 and out[:, 24:].abs().sum() == 0


def test_cosine_head_and_reset_classifier():
    model = timm.create_model("resnet32_cifar", num_classes=100, head="cosine")
    assert isinstance(model.get_classifier(), M.CosineClassifier)
    assert model(torch.randn(3, 3, 32, 32)).abs().max() <= 1.0 + 1e-6
    model.reset_classifier(5)
    assert model.get_classifier().out_features == 5
    model.reset_classifier(0)
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 64)


def test_cosine_classifier_math_and_reference_layout():
    head = M.CosineClassifier(4, 3)
    torch.testing.assert_close(head.weight.norm(dim=1), torch.ones(3))  # unit-norm init
    x = torch.randn(5, 4)
    expected = (x / x.norm(dim=1, keepdim=True)) @ (head.weight / head.weight.norm(dim=1, keepdim=True)).T
    torch.testing.assert_close(head(x), expected)
    reference_weight = torch.randn(4, 3)  # NormedLinear stores [in_features, classes]
    head.weight.data = M.CosineClassifier.from_reference_weight(reference_weight)
    reference_out = nn.functional.normalize(x, dim=1) @ nn.functional.normalize(reference_weight, dim=0)
    torch.testing.assert_close(head(x), reference_out)


def test_tau_normalize():
    w = torch.tensor([[3.0, 4.0], [0.0, 2.0]])
    torch.testing.assert_close(M.tau_normalize(w, 1.0), torch.tensor([[0.6, 0.8], [0.0, 1.0]]))
    torch.testing.assert_close(M.tau_normalize(w, 0.0), w)
    torch.testing.assert_close(M.tau_normalize(w, 0.5), w / torch.tensor([[5.0**0.5], [2.0**0.5]]))
    with pytest.raises(InvalidArgumentError):
        M.tau_normalize(w, -1.0)


@pytest.mark.parametrize("prior, expected", [("uniform", 1 / 10), (0.1, 0.1), (0.01, 0.01)])
def test_bias_prior_starts_every_sigmoid_at_pi(prior, expected):
    head = nn.Linear(16, 10)
    weight = head.weight.clone()
    M.init_classifier(head, bias_prior=prior)
    torch.testing.assert_close(torch.sigmoid(head.bias), torch.full((10,), expected))
    assert torch.equal(head.weight, weight)  # only the bias changes


def test_weight_std_draws_the_weights_and_keeps_the_bias():
    torch.manual_seed(0)
    head = nn.Linear(512, 1000)
    bias = head.bias.clone()
    M.init_classifier(head, weight_std=0.01)
    assert head.weight.mean().abs() < 1e-4 and abs(head.weight.std().item() - 0.01) < 1e-4
    assert torch.equal(head.bias, bias)


def test_classifier_init_refuses_what_it_cannot_do():
    with pytest.raises(InvalidArgumentError, match="need a linear classifier, got CosineClassifier"):
        M.init_classifier(M.CosineClassifier(16, 10), bias_prior="uniform")
    with pytest.raises(InvalidArgumentError, match="needs a classifier with a bias"):
        M.init_classifier(nn.Linear(16, 10, bias=False), bias_prior=0.1)
    for bad in (0, 1, 1.5, True, "balanced"):
        with pytest.raises(InvalidArgumentError, match=r"classifier_bias_prior must be a probability in \(0, 1\)"):
            M.init_classifier(nn.Linear(16, 10), bias_prior=bad)
    for bad in (0, -0.01, True, "0.01"):
        with pytest.raises(InvalidArgumentError, match="classifier_weight_std must be a positive number"):
            M.init_classifier(nn.Linear(16, 10), weight_std=bad)
    head = nn.Linear(16, 10)
    weight = head.weight.clone()
    with pytest.raises(InvalidArgumentError):
        M.init_classifier(head, bias_prior=2.0, weight_std=0.01)
    assert torch.equal(head.weight, weight)  # checked before anything changes


def test_lws_trains_only_scales():
    linear = nn.Linear(4, 3)
    lws = M.LearnableWeightScaling(linear)
    x = torch.randn(2, 4)
    torch.testing.assert_close(lws(x), linear(x))
    with torch.no_grad():
        lws.scales.copy_(torch.tensor([1.0, 2.0, 0.5]))
    torch.testing.assert_close(lws(x), linear(x) * torch.tensor([1.0, 2.0, 0.5]))
    assert [n for n, p in lws.named_parameters() if p.requires_grad] == ["scales"]
    with pytest.raises(InvalidArgumentError):
        M.LearnableWeightScaling(M.CosineClassifier(4, 3))


def test_create_model_on_a_timm_backbone():
    model = M.create_model("resnet18", num_classes=7, head="cosine")
    assert isinstance(model.fc, M.CosineClassifier)
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 7)
    assert isinstance(M.create_model("resnet18", num_classes=7).fc, nn.Linear)


def test_create_model_errors():
    with pytest.raises(UnknownNameError, match="resnet32_cifar"):
        M.create_model("resnet32_cifr", num_classes=10)
    with pytest.raises(UnknownNameError, match="head"):
        M.create_model("resnet32_cifar", num_classes=10, head="arcface")
    with pytest.raises(InvalidArgumentError):
        M.create_model("resnet32_cifar", num_classes=0)


@pytest.mark.parametrize("head", M.list_heads())
@pytest.mark.parametrize("backbone", ["resnet20_cifar", "resnet18"])
def test_every_head_on_a_cifar_and_a_timm_backbone(head: str, backbone: str):
    """Each registered head builds alone and on both kinds of backbone, and trains (gradients reach
    the head and the trunk)."""
    assert M.create_head(head, 16, 5)(torch.randn(2, 16)).shape == (2, 5)
    model = M.create_model(backbone, num_classes=5, head=head)
    assert type(model.get_classifier()) is type(M.create_head(head, 16, 5))
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    assert all(p.grad is not None for p in model.get_classifier().parameters())
    assert next(model.parameters()).grad is not None


def test_a_registered_head_is_refused_twice():
    from ltzoo.errors import DuplicateNameError

    with pytest.raises(DuplicateNameError, match="cosine"):
        M.register_head("cosine")(nn.Linear)


# ---------------------------------------------------------------- timm's model API on the CIFAR ResNets
CIFAR_NAMES = sorted(PARAMS)


@pytest.mark.parametrize("name", CIFAR_NAMES)
def test_features_only_and_forward_intermediates_agree(name):
    x = torch.randn(2, 3, 32, 32)
    model = timm.create_model(name, num_classes=10).eval()
    extractor = timm.create_model(name, features_only=True).eval()
    extractor.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("fc.")})
    maps = extractor(x)
    assert [m.shape[1] for m in maps] == extractor.feature_info.channels() == [16, 16, 32, 64]
    assert extractor.feature_info.reduction() == [1, 1, 2, 4] and [m.shape[-1] for m in maps] == [32, 32, 16, 8]
    final, intermediates = model.forward_intermediates(x)
    assert torch.equal(final, model.forward_features(x))
    assert all(torch.equal(a, b) for a, b in zip(intermediates, maps))
    last_two = model.forward_intermediates(x, indices=2, intermediates_only=True)
    assert [t.shape[1] for t in last_two] == [32, 64]
    assert [m.shape[1] for m in timm.create_model(name, features_only=True, out_indices=(1, 3))(x)] == [16, 64]


def test_prune_intermediate_layers_keeps_what_is_asked():
    x = torch.randn(2, 3, 32, 32)
    model = timm.create_model("resnet20_cifar", num_classes=10).eval()
    wanted = model.forward_intermediates(x, indices=[0, 2], intermediates_only=True)
    assert model.prune_intermediate_layers(indices=[0, 2]) == [0, 2]
    assert len(model.layer3) == 0 and isinstance(model.fc, nn.Identity) and model.num_features == 32
    kept = model.forward_intermediates(x, indices=[0, 2], intermediates_only=True)
    assert all(torch.equal(a, b) for a, b in zip(wanted, kept))


def test_gradient_checkpointing_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    model = timm.create_model("resnet20_cifar", num_classes=10, head="cosine")
    x = torch.randn(4, 3, 32, 32)
    plain = model(x)
    plain.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.set_grad_checkpointing(True)
    checkpointed = model(x)
    checkpointed.sum().backward()
    torch.testing.assert_close(checkpointed, plain)
    assert all(torch.allclose(p.grad, g, atol=1e-6) for p, g in zip(model.parameters(), grads))


@pytest.mark.parametrize("pool,features", [("avg", 64), ("max", 64), ("avgmax", 64), ("catavgmax", 128)])
def test_global_pool_types(pool, features):
    x = torch.randn(2, 3, 32, 32)
    model = timm.create_model("resnet20_cifar", num_classes=10, global_pool=pool).eval()
    assert model.get_classifier().in_features == model.head_hidden_size == features
    pooled = model.forward_head(model.forward_features(x), pre_logits=True)
    maps = model.forward_features(x)
    expected = {"avg": maps.mean((2, 3)), "max": maps.amax((2, 3)), "avgmax": 0.5 * (maps.mean((2, 3)) + maps.amax((2, 3))),
                "catavgmax": torch.cat([maps.mean((2, 3)), maps.amax((2, 3))], 1)}[pool]
    torch.testing.assert_close(pooled, expected)


def test_no_pooling_returns_the_feature_map_and_needs_no_classifier():
    model = timm.create_model("resnet20_cifar", num_classes=10)
    model.reset_classifier(0, "")
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 64, 8, 8)
    with pytest.raises(InvalidArgumentError, match="global_pool=''"):
        timm.create_model("resnet20_cifar", num_classes=10, global_pool="")


@pytest.mark.parametrize("head", M.list_heads())
def test_reset_classifier_follows_the_trunk_dtype_and_mode(head):
    model = timm.create_model("resnet20_cifar", num_classes=10, head=head).to(torch.float64).eval()
    model.reset_classifier(3)
    assert all(p.dtype == torch.float64 for p in model.get_classifier().parameters())
    assert not model.get_classifier().training
    assert model(torch.randn(2, 3, 32, 32, dtype=torch.float64)).shape == (2, 3)


def test_device_dtype_in_chans_and_drop_rate_arguments():
    model = timm.create_model("resnet20_cifar", num_classes=5, dtype=torch.float64, in_chans=1, drop_rate=0.5)
    assert {p.dtype for p in model.parameters()} == {torch.float64} and model.conv1.in_channels == 1
    x = torch.randn(4, 1, 32, 32, dtype=torch.float64)
    model.train()
    assert not torch.equal(model(x), model(x))  # dropout before the classifier
    model.eval()
    assert torch.equal(model(x), model(x))
    meta = timm.create_model("resnet20_cifar", device="meta")
    assert {p.device.type for p in meta.parameters()} == {"meta"}


@pytest.mark.parametrize("head", M.list_heads())
def test_torchscript_and_fx_match_eager(head):
    model = timm.create_model("resnet20_cifar", num_classes=10, head=head).eval()
    x = torch.randn(2, 3, 32, 32)
    eager = model(x)
    torch.testing.assert_close(torch.jit.script(model)(x), eager)
    torch.testing.assert_close(torch.fx.symbolic_trace(model)(x), eager)


def test_a_classifier_after_a_feature_map_reset_pools_again():
    """timm's contract: reset_classifier keeps the pooling by default (its test_models checks the
    signature); after reset_classifier(0, "") a new classifier gets the pooling back."""
    model = timm.create_model("resnet20_cifar", num_classes=10, global_pool="max")
    model.reset_classifier(0, "")
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 64, 8, 8)
    model.reset_classifier(3)
    assert model.global_pool == "max" and model(torch.randn(2, 3, 32, 32)).shape == (2, 3)
    bare = timm.create_model("resnet20_cifar", num_classes=0, global_pool="")
    bare.reset_classifier(4)
    assert bare.global_pool == "avg" and bare(torch.randn(1, 3, 32, 32)).shape == (1, 4)
