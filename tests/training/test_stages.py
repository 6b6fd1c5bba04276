"""Stage kinds, classifier initialisations and epoch hooks: every registered entry, and the
recipe options that name them checked when a recipe is resolved."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ltzoo.class_weights import effective_number_weights
from ltzoo.errors import DuplicateNameError, UnknownNameError
from ltzoo.losses import create_loss
from ltzoo.models import LearnableWeightScaling, create_model
from ltzoo.training import resolve_config
from ltzoo.training.config import STAGE_DEFAULTS, Stage
from ltzoo.training.stages import (
    DeferredResampling,
    DeferredReweighting,
    StageRun,
    apply_classifier_init,
    list_classifier_inits,
    list_stage_kinds,
    register_classifier_init,
    register_stage_kind,
)

COUNTS = [50, 20, 5]


def test_the_typed_stage_is_the_stage_defaults():
    assert Stage().as_config() == STAGE_DEFAULTS
    stage = Stage.from_config({**STAGE_DEFAULTS, "lr": 0.5, "drw_epoch": 3})
    assert (stage.lr, stage.drw_epoch, stage.as_config()["lr"]) == (0.5, 3, 0.5)
    with pytest.raises(TypeError):
        Stage.from_config({**STAGE_DEFAULTS, "learning_rate": 0.1})


def test_registered_kinds_and_initialisations():
    assert set(list_stage_kinds()) == {"train", "tau_norm"}
    assert set(list_classifier_inits()) == {"keep", "reset", "lws"}
    with pytest.raises(DuplicateNameError):
        register_stage_kind("train")(lambda *a: None)
    with pytest.raises(DuplicateNameError):
        register_classifier_init("keep")(lambda *a: None)


# what each initialisation does to a trained linear classifier, when a stage starts / resumes
EXPECTED_INIT = {"keep": ("same", "same"), "reset": ("redrawn", "same"), "lws": ("wrapped", "wrapped")}


@pytest.mark.parametrize("name", list_classifier_inits())
@pytest.mark.parametrize("resuming", [False, True])
def test_classifier_initialisations(name: str, resuming: bool):
    torch.manual_seed(0)
    model = create_model("resnet20_cifar", num_classes=len(COUNTS))
    before = model.get_classifier().weight.detach().clone()
    state = torch.get_rng_state()
    apply_classifier_init(name, model, len(COUNTS), torch.device("cpu"), resuming)
    classifier = model.get_classifier()
    outcome = ("wrapped" if isinstance(classifier, LearnableWeightScaling)
               else "same" if torch.equal(classifier.weight, before) else "redrawn")
    assert outcome == EXPECTED_INIT[name][resuming]
    if outcome != "redrawn":  # nothing drawn: a resumed run's generator stays where the snapshot left it
        assert torch.equal(torch.get_rng_state(), state)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, len(COUNTS))


def _run(**hooks_and_sampler) -> StageRun:
    loss = create_loss("ldam", class_counts=COUNTS)
    return StageRun(Stage(), runner=None, task=None, optimizer=None, schedule=None, loss_fn=loss,
                    sampler="instance", batches=None, **hooks_and_sampler)


def test_deferred_reweighting_sets_the_loss_weights_from_its_epoch():
    run = _run(hooks=[DeferredReweighting(drw_epoch=2, beta=0.999, class_counts=COUNTS)])
    for epoch, expected in [(0, np.ones(3)), (1, np.ones(3)), (2, effective_number_weights(COUNTS, 0.999)),
                            (5, effective_number_weights(COUNTS, 0.999))]:
        run.start_epoch(epoch)
        np.testing.assert_allclose(run.loss_fn.weight.numpy(), expected, rtol=1e-6)


def test_deferred_resampling_switches_the_sampler_from_its_epoch():
    run = _run(hooks=[DeferredResampling(drs_epoch=3, sampler="class_balanced")])
    chosen = []
    for epoch in range(5):
        run.start_epoch(epoch)
        chosen.append(run.epoch_sampler)
    assert chosen == ["instance"] * 3 + ["class_balanced"] * 2


@pytest.mark.parametrize("recipe,option", [
    ({"dataset": "cifar10lt"}, "dataset"),
    ({"head": "cosin"}, "head"),
    ({"output_prior": "balance"}, "output_prior"),
    ({"stages": [{}, {"type": "tau-norm"}]}, "stages.1.type"),
    ({"stages": [{"classifier_init": "rest"}]}, "stages.0.classifier_init"),
    ({"stages": [{"task": "contrastve"}]}, "stages.0.task"),
    ({"stages": [{"loss": "gcll"}]}, "stages.0.loss"),
    ({"stages": [{"sampler": "balanced"}]}, "stages.0.sampler"),
    ({"stages": [{"drs_sampler": "class_balance"}]}, "stages.0.drs_sampler"),
    ({"stages": [{"schedule": "cos"}]}, "stages.0.schedule"),
])
def test_every_named_choice_is_checked_when_the_recipe_is_resolved(recipe: dict, option: str):
    with pytest.raises(UnknownNameError, match=f"option {option}: unknown .*Did you mean"):
        resolve_config(recipe)
