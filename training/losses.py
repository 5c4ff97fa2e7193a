"""Losses of cpnet.md §8, with a download-free stand-in for the paper's VGG terms.

The paper's VGG-16 perceptual and style losses need ImageNet weights, which cannot be downloaded
here. They are replaced by a structural term that needs no weights: 1 − SSIM on luma (11×11
Gaussian window, σ = 1.5, the same SSIM the evaluation reports) plus an L1 on image gradients,
both on the composited output. Both reward sharp, structurally right fills (edges of lane paint)
the way the perceptual loss does, without a pretrained network.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_l1(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean |a − b| over the masked pixels (mask broadcast over channels); 0 when the mask is empty."""
    m = mask.expand_as(a)
    return (torch.abs(a - b) * m).sum() / m.sum().clamp(min=1.0)


def total_variation(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """TV of x on pixels near the hole (dilated by one), as the paper restricts it."""
    region = (F.max_pool2d(mask, 3, stride=1, padding=1) > 0).to(x.dtype)
    dx = torch.abs(x[..., :, 1:] - x[..., :, :-1]) * region[..., :, 1:]
    dy = torch.abs(x[..., 1:, :] - x[..., :-1, :]) * region[..., 1:, :]
    return (dx.sum() + dy.sum()) / region.sum().clamp(min=1.0)


def _gaussian_window(size: int = 11, sigma: float = 1.5, device=None) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, size, size)


def luma(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def ssim_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """1 − mean SSIM on luma (values in [0, 1])."""
    w = _gaussian_window(device=a.device)
    ya, yb = luma(a), luma(b)
    mu_a, mu_b = F.conv2d(ya, w, padding=5), F.conv2d(yb, w, padding=5)
    var_a = F.conv2d(ya * ya, w, padding=5) - mu_a ** 2
    var_b = F.conv2d(yb * yb, w, padding=5) - mu_b ** 2
    cov = F.conv2d(ya * yb, w, padding=5) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return 1 - s.mean()


def gradient_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    gx = lambda x: x[..., :, 1:] - x[..., :, :-1]
    gy = lambda x: x[..., 1:, :] - x[..., :-1, :]
    return torch.abs(gx(a) - gx(b)).mean() + torch.abs(gy(a) - gy(b)).mean()


def weighted_alignment(aligned: torch.Tensor, aligned_v: torch.Tensor, truth: torch.Tensor, hole: torch.Tensor,
                       paint: torch.Tensor, hole_weight: float = 2.0, paint_weight: float = 8.0,
                       unseen_cost: float = 0.1) -> torch.Tensor:
    """How well the aligned references stand in for the truth where the paste copies them.

    aligned B×K×3×H×W, aligned_v B×K×1×H×W (the warp's thresholded visibility), truth B×3×H×W,
    hole and paint B×1×H×W in {0, 1}. Per pixel weight 1 + hole_weight·hole + paint_weight·paint:
    the hole is what gets pasted, the paint what the lane detector reads. A pixel the reference
    shows costs its mean absolute RGB difference from the truth; one it does not show costs
    `unseen_cost`, so θ cannot lower the loss by warping the hard part out of view. Mean over
    the K references of the weighted mean over pixels. Unlike the `alignment` term it compares
    with the truth inside the holes too: training knows it, and there the paste lands.
    """
    weight = (1 + hole_weight * hole + paint_weight * paint).unsqueeze(1)        # B×1×1×H×W
    error = torch.abs(aligned - truth.unsqueeze(1)).mean(dim=2, keepdim=True)     # B×K×1×H×W
    cost = aligned_v * error + (1 - aligned_v) * unseen_cost
    return (cost * weight).sum() / (weight.sum() * aligned.shape[1]).clamp(min=1.0)
