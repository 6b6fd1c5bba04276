"""Long-tailed losses. Each is an ``nn.Module`` taking ``(logits, target)`` (cosine similarities
for the margin losses) and built from the training ``class_counts``.

Example:
    >>> import ltzoo.losses as L
    >>> loss_fn = L.create_loss("balanced_softmax", class_counts=[500, 50, 5])
    >>> L.list_losses()[:3]
    ['balanced_softmax', 'balanced_supcon', 'ce']
"""

from ..class_weights import effective_number_weights, inverse_frequency_weights
from ._registry import create_loss, list_losses, register_loss
from .cibl import CIBLLoss, linear_batch_frequency
from .class_balanced import ClassBalancedLoss
from .contrastive import BalancedSupConLoss, SupConLoss
from .cross_entropy import CrossEntropyLoss, FocalLoss
from .gcl import GCLAngularLoss, GCLLoss
from .ldam import LDAMLoss, drw_weights
from .logit_adjustment import BalancedSoftmaxLoss, LogitAdjustedLoss, posthoc_logit_adjust

__all__ = [
    "BalancedSoftmaxLoss",
    "BalancedSupConLoss",
    "CIBLLoss",
    "ClassBalancedLoss",
    "CrossEntropyLoss",
    "FocalLoss",
    "GCLAngularLoss",
    "GCLLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "SupConLoss",
    "create_loss",
    "drw_weights",
    "effective_number_weights",
    "inverse_frequency_weights",
    "linear_batch_frequency",
    "list_losses",
    "posthoc_logit_adjust",
    "register_loss",
]
