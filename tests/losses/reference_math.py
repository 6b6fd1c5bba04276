"""Independent float64 numpy statements of each method's reference math, written from the
papers' equations and the behaviour of the authors' code (not from ltzoo). Loops over samples
keep them obviously correct rather than fast."""

from __future__ import annotations

import math

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def ce_per_sample(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -log_softmax(z)[np.arange(len(y)), y]


def weighted_ce_mean(z, y, w=None):
    """torch's weighted mean: sum_i w_yi ce_i / sum_i w_yi."""
    ce = ce_per_sample(z, y)
    if w is None:
        return ce.mean()
    return (w[y] * ce).sum() / w[y].sum()


def gcl(cos, y, counts, noise, m, s, noise_mul, gamma=0.0, weight=None, classifier_stage=False):
    counts = np.asarray(counts, dtype=np.float64)
    amp = np.log(counts).max() - np.log(counts)
    delta = np.clip(noise, -1, 1)
    z = cos - noise_mul * np.abs(delta) * amp[None, :] / amp.max()
    for i, t in enumerate(y):
        z[i, t] -= m
    return _final(s * z, y, gamma, weight, classifier_stage)


def _final(z, y, gamma, weight, classifier_stage):
    if not classifier_stage:
        return weighted_ce_mean(z, y, weight)
    ce = ce_per_sample(z, y) * (1.0 if weight is None else weight[y])
    return np.mean((1 - np.exp(-ce)) ** gamma * ce)


def gcl_angular(cos, y, counts, noise, m, epsilon, s, easy_margin, gamma=0.0, weight=None, classifier_stage=False):
    counts = np.asarray(counts, dtype=np.float64)
    amp = np.log(counts).max() - np.log(counts)
    out = np.empty_like(cos)
    for i in range(cos.shape[0]):
        for j in range(cos.shape[1]):
            a = math.pi / 2 * epsilon * amp[j] / amp.max() * float(np.clip(noise[i, j], -1, 1))
            big_m = abs(a) + (m if j == y[i] else 0.0)
            c = cos[i, j]
            theta_phi = c * math.cos(big_m) - math.sqrt(min(max(1 - c * c, 0.0), 1.0)) * math.sin(big_m)
            if easy_margin:
                out[i, j] = theta_phi if c > 0 else c
            else:
                out[i, j] = theta_phi if c > math.cos(math.pi - big_m) else c - math.sin(math.pi - big_m)
    return _final(s * out, y, gamma, weight, classifier_stage)


def cb_weights(counts, beta):
    counts = np.asarray(counts, dtype=np.float64)
    w = (1 - beta) / (1 - beta**counts)
    return w / w.sum() * len(counts)


def class_balanced(z, y, counts, beta, gamma, loss_type):
    w = cb_weights(counts, beta)
    batch, num_classes = z.shape
    if loss_type == "softmax":
        return np.mean(w[y] * ce_per_sample(z, y))
    total = 0.0
    for i in range(batch):
        for c in range(num_classes):
            label = 1.0 if c == y[i] else 0.0
            p = 1 / (1 + math.exp(-z[i, c]))
            bce = -(label * math.log(p) + (1 - label) * math.log(1 - p))
            modulator = 1.0
            if loss_type == "focal":
                p_t = p if label else 1 - p
                modulator = (1 - p_t) ** gamma
            total += w[y[i]] * modulator * bce
    return total / batch


def ldam(cos, y, counts, max_m, s, weight=None):
    counts = np.asarray(counts, dtype=np.float64)
    margins = counts ** -0.25
    margins = margins * max_m / margins.max()
    z = cos.copy()
    for i, t in enumerate(y):
        z[i, t] -= margins[t]
    return weighted_ce_mean(s * z, y, weight)


def logit_adjusted(z, y, counts, tau, eps=1e-12):
    prior = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return ce_per_sample(z + np.log(prior**tau + eps), y).mean()


def balanced_softmax(z, y, counts):
    return ce_per_sample(z + np.log(np.asarray(counts, dtype=np.float64)), y).mean()


def supcon(features, labels, temperature, base_temperature):
    """Khosla et al. Eq. 2 for contrast_mode='all'; anchors without positives give 0."""
    batch, views, _ = features.shape
    flat = [(features[i, v], labels[i], v * batch + i) for v in range(views) for i in range(batch)]
    losses = []
    for anchor, label, a_idx in flat:
        sims = np.array([anchor @ other / temperature for other, _, _ in flat])
        others = [k for k in range(len(flat)) if k != a_idx]
        log_den = np.log(np.sum(np.exp(sims[others])))
        positives = [k for k in others if flat[k][1] == label]
        if positives:
            losses.append(-(temperature / base_temperature) * np.mean([sims[k] - log_den for k in positives]))
        else:
            losses.append(0.0)
    return float(np.mean(losses))


def balanced_supcon(centers, features, targets, num_classes, temperature):
    """BCL Eq. 6-8 with the reference's class-averaged denominator."""
    batch = features.shape[0]
    samples = [features[i, v] for v in range(2) for i in range(batch)] + [centers[c] for c in range(num_classes)]
    labels = [targets[i] for _ in range(2) for i in range(batch)] + list(range(num_classes))
    class_count = np.bincount(labels, minlength=num_classes)
    losses = []
    for a in range(2 * batch):
        sims = np.array([samples[a] @ s / temperature for s in samples])
        den = 0.0
        positives = []
        for k in range(len(samples)):
            if k == a:
                continue
            same = labels[k] == labels[a]
            if same:
                positives.append(k)
            den += np.exp(sims[k]) / (class_count[labels[k]] - (1 if same else 0))
        losses.append(-np.mean([sims[k] - np.log(den) for k in positives]))
    return float(np.mean(losses))
