"""The copy-and-paste network (CPNet, Lee et al. ICCV 2019) exactly as ../shared/design/cpnet.md.

One module per sub-network, in the order of cpnet.md:
  §1 AlignEncoder, §2 AlignRegressor, §3 warp, §4 CopyEncoder, §5 context_matching, §6 PasteDecoder.
CPNet.restore is the full restoration step for one frame (batch 1); train.forward_train is its
batched copy. The state_dict names are the contract with the Swift engine (training/README.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)  # ImageNet
STD = (0.229, 0.224, 0.225)


# Widths ----------------------------------------------------------------------------------------

FULL_WIDTHS = dict(a1=64, a2=128, a3=256, r=512, e1=64, e2=128)


@dataclass(frozen=True)
class Widths:
    """Channel counts of cpnet.md's width table, scaled by α, plus the alignment size S."""
    alpha: float
    size: int   # S: the alignment encoder sees frames resized to S×S
    a1: int
    a2: int
    a3: int
    r: int
    e1: int
    e2: int

    @property
    def p(self) -> int:
        return 2 * self.e2 + 1

    @staticmethod
    def scaled(alpha: float, full: int) -> int:
        # Nearest multiple of 8, halves rounding up (not Python's round-half-even), at least 8.
        return max(8, int(math.floor(alpha * full / 8 + 0.5)) * 8)

    @classmethod
    def for_alpha(cls, alpha: float, size: int) -> "Widths":
        if size % 8 != 0 or size < 32:
            raise ValueError(f"alignment size S={size} must be a multiple of 8 and at least 32")
        return cls(alpha=float(alpha), size=int(size), **{k: cls.scaled(alpha, v) for k, v in FULL_WIDTHS.items()})


# Tensor helpers --------------------------------------------------------------------------------

def _stat(values, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(1, 3, 1, 1)


def normalize(rgb: torch.Tensor) -> torch.Tensor:
    return (rgb - _stat(MEAN, rgb)) / _stat(STD, rgb)


def denormalize(x: torch.Tensor) -> torch.Tensor:
    return x * _stat(STD, x) + _stat(MEAN, x)


def network_input(rgb: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """concat(normalized RGB with hole pixels set to 0, V): N×4×H×W."""
    return torch.cat([normalize(rgb) * v, v], dim=1)


def padding_to_multiple(h: int, w: int, m: int = 8) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding that makes H and W multiples of m; the odd pixel goes
    to the bottom/right."""
    hh, ww = -(-h // m) * m, -(-w // m) * m
    top, left = (hh - h) // 2, (ww - w) // 2
    return top, hh - h - top, left, ww - w - left


def pad(x: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    top, bottom, left, right = pads
    return F.pad(x, (left, right, top, bottom))


def crop(x: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    top, bottom, left, right = pads
    return x[..., top:x.shape[-2] - bottom, left:x.shape[-1] - right]


def resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def conv(k: int, s: int, d: int, cin: int, cout: int) -> nn.Conv2d:
    """cpnet.md's conv(k, s, d, cin→cout): bias, zero padding d·(k−1)/2."""
    return nn.Conv2d(cin, cout, k, stride=s, dilation=d, padding=d * (k - 1) // 2)


def run_convs(convs: nn.ModuleList, x: torch.Tensor, linear_last: bool) -> torch.Tensor:
    for i, layer in enumerate(convs):
        x = layer(x)
        if not (linear_last and i == len(convs) - 1):
            x = F.relu(x)
    return x


# §1 Alignment encoder --------------------------------------------------------------------------

class AlignEncoder(nn.Module):
    """4×S×S → a3×S/8×S/8, shared by target and references."""

    def __init__(self, w: Widths):
        super().__init__()
        self.convs = nn.ModuleList([
            conv(5, 2, 1, 4, w.a1), conv(3, 1, 1, w.a1, w.a1),
            conv(3, 2, 1, w.a1, w.a2), conv(3, 1, 1, w.a2, w.a2),
            conv(3, 2, 1, w.a2, w.a3), conv(3, 1, 1, w.a3, w.a3), conv(3, 1, 1, w.a3, w.a3),
        ])

    def forward(self, x):
        return run_convs(self.convs, x, linear_last=False)


# §2 Alignment regressor ------------------------------------------------------------------------

IDENTITY_THETA = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

# Which of θ's six entries (row-major θ11 θ12 θ13 θ21 θ22 θ23, normalized coordinates) the
# regressor learns; the others stay the identity's. "lateral" keeps x' = x + θ12·y + θ13: a
# horizontal shift (yaw) and a shear about the horizon (the car's lateral offset moves near road
# further than far road), the motions that move lane lines. Forward motion, which a pixel loss
# on one affine θ fits as a zoom onto the far road (docs/decisions/0029), cannot be expressed.
THETA_ENTRIES = {"affine": (0, 1, 2, 3, 4, 5), "lateral": (1, 2)}


class AlignRegressor(nn.Module):
    """(AE(target), AE(reference)) → θ, N×2×3, mapping target coordinates to the reference's."""

    def __init__(self, w: Widths, theta: str = "affine"):
        super().__init__()
        if theta not in THETA_ENTRIES:
            raise ValueError(f"θ parametrisation {theta!r}; expected one of {sorted(THETA_ENTRIES)}")
        self.theta = theta
        self.convs = nn.ModuleList([
            conv(3, 2, 1, 2 * w.a3, w.r), conv(3, 1, 1, w.r, w.r), conv(3, 1, 1, w.r, w.r),
            conv(3, 2, 1, w.r, w.r), conv(3, 1, 1, w.r, w.r), conv(3, 1, 1, w.r, w.r),
        ])
        self.fc = nn.Linear(w.r, 6)
        nn.init.zeros_(self.fc.weight)  # starts as the identity transform
        with torch.no_grad():
            self.fc.bias.copy_(torch.tensor(IDENTITY_THETA))
        free = torch.zeros(6)
        free[list(THETA_ENTRIES[theta])] = 1
        # Not in the state_dict: a weight file is always a plain six-entry regressor (fold_theta).
        self.register_buffer("theta_free", free, persistent=False)
        self.register_buffer("theta_fixed", (1 - free) * torch.tensor(IDENTITY_THETA), persistent=False)

    def forward(self, f_t, f_r):
        x = run_convs(self.convs, torch.cat([f_t, f_r], dim=1), linear_last=False)
        theta = self.fc(x.mean(dim=(2, 3)))
        if self.theta != "affine":
            theta = theta * self.theta_free + self.theta_fixed
        return theta.view(-1, 2, 3)

    @torch.no_grad()
    def fold_theta(self):
        """Writes the fixed entries into fc (zero weight rows, identity bias), so that the plain
        six-entry regressor every loader builds (export.load_weights, the Swift network) gives
        the same θ as this parametrisation."""
        fixed = self.theta_free == 0
        self.fc.weight[fixed] = 0
        self.fc.bias[fixed] = self.theta_fixed[fixed]


# §3 Warp ---------------------------------------------------------------------------------------

def warp(ref_rgb, ref_v, theta):
    """Aligned reference and its visibility (1 only where the warped V exceeds 0.5; outside → 0)."""
    grid = F.affine_grid(theta, [ref_rgb.shape[0], 3, *ref_rgb.shape[-2:]], align_corners=False)
    aligned = F.grid_sample(ref_rgb, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    aligned_v = (F.grid_sample(ref_v, grid, mode="bilinear", padding_mode="zeros", align_corners=False) > 0.5).to(ref_v.dtype)
    return aligned, aligned_v


# §4 Copy encoder -------------------------------------------------------------------------------

class CopyEncoder(nn.Module):
    """4×H×W (H, W multiples of 8) → e2×H/4×W/4; the last conv is linear."""

    def __init__(self, w: Widths):
        super().__init__()
        self.convs = nn.ModuleList([
            conv(5, 2, 1, 4, w.e1), conv(3, 1, 1, w.e1, w.e1),
            conv(3, 2, 1, w.e1, w.e2), conv(3, 1, 1, w.e2, w.e2), conv(3, 1, 1, w.e2, w.e2),
        ])

    def forward(self, x):
        return run_convs(self.convs, x, linear_last=True)


# §5 Context matching ---------------------------------------------------------------------------

def feature_visibility(padded_input, h4: int, w4: int):
    """V (channel 3 of the padded network input) at feature resolution, thresholded at 0.5."""
    return (resize(padded_input[:, 3:4], h4, w4) > 0.5).to(padded_input.dtype)


def context_matching(t_feat, r_feat, v_t, v_r):
    """t_feat 1×C×h×w, r_feat K×C×h×w, v_t 1×1×h×w, v_r K×1×h×w →
    (paste input 1×(2C+1)×h×w, per-reference weights K×1×h×w)."""
    c = t_feat.shape[1]
    overlap = v_t * v_r                                                       # K×1×h×w
    num = (overlap * t_feat * r_feat).sum(dim=(1, 2, 3))
    den = c * overlap.sum(dim=(1, 2, 3))
    g = torch.where(den > 0, num / den.clamp(min=1e-12), torch.zeros_like(den))   # K global similarities
    e = torch.exp(g - g.max()).view(-1, 1, 1, 1) * v_r                       # masked softmax over K
    total = e.sum(dim=0, keepdim=True)
    weights = torch.where(total > 0, e / total.clamp(min=1e-12), torch.zeros_like(e))
    aggregate = (weights * r_feat).sum(dim=0, keepdim=True)
    never_visible = 1.0 - (weights * v_r).sum(dim=0, keepdim=True)
    return torch.cat([t_feat, aggregate, never_visible], dim=1), weights


# §6 Paste decoder ------------------------------------------------------------------------------

class PasteDecoder(nn.Module):
    """p×H/4×W/4 → 3×H×W in normalized space (before de-normalization); the last conv is linear.
    Nearest ×2 upsamples sit before convs 10 and 12."""
    UPSAMPLE_BEFORE = (10, 12)

    def __init__(self, w: Widths):
        super().__init__()
        p = w.p
        self.convs = nn.ModuleList([
            conv(3, 1, 1, p, p), conv(3, 1, 1, p, p), conv(3, 1, 1, p, p),
            conv(3, 1, 2, p, p), conv(3, 1, 4, p, p), conv(3, 1, 8, p, p), conv(3, 1, 16, p, p),
            conv(3, 1, 1, p, p), conv(3, 1, 1, p, w.e2), conv(3, 1, 1, w.e2, w.e2),
            conv(3, 1, 1, w.e2, w.e1), conv(3, 1, 1, w.e1, w.e1),
            conv(5, 1, 1, w.e1, 3),
        ])

    def forward(self, x):
        last = len(self.convs) - 1
        for i, layer in enumerate(self.convs):
            if i in self.UPSAMPLE_BEFORE:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = layer(x)
            if i != last:
                x = F.relu(x)
        return x


# The network -----------------------------------------------------------------------------------

class CPNet(nn.Module):
    def __init__(self, widths: Widths, theta: str = "affine"):
        super().__init__()
        self.widths = widths
        self.align_encoder = AlignEncoder(widths)
        self.align_regressor = AlignRegressor(widths, theta)
        self.copy_encoder = CopyEncoder(widths)
        self.paste_decoder = PasteDecoder(widths)

    # Short names used by train.py and the benchmarks (methods, so the state_dict has one name per tensor).
    def ae(self, x):
        return self.align_encoder(x)

    def ar(self, f_t, f_r):
        return self.align_regressor(f_t, f_r)

    def enc(self, x):
        return self.copy_encoder(x)

    def dec(self, x):
        return self.paste_decoder(x)

    def alignment_input(self, rgb, v):
        """The 4-channel network input resized bilinearly to S×S (§1)."""
        return resize(network_input(rgb, v), self.widths.size, self.widths.size)

    def reference_features(self, refs, v_refs):
        """AE features of the references, K×a3×S/8×S/8: independent of the target, so a caller may
        compute them once per reference and pass them to restore (as the Swift ReferenceMemory does)."""
        return self.ae(self.alignment_input(refs, v_refs))

    def restore(self, target, v_t, refs, v_refs, ref_features=None, trace=None):
        """One restoration step (cpnet.md §1–6), batch 1.
        target 1×3×H×W in [0,1], v_t 1×1×H×W (1 valid, 0 hole), refs K×3×H×W, v_refs K×1×H×W.
        Returns the composited frame 1×3×H×W. `trace`, when a dict, receives the intermediates."""
        k, h, w = refs.shape[0], target.shape[-2], target.shape[-1]
        trace = {} if trace is None else trace

        # §1–2: align every reference to the target.
        x_t = self.alignment_input(target, v_t)
        f_t = self.ae(x_t)
        f_r = self.reference_features(refs, v_refs) if ref_features is None else ref_features
        theta = self.ar(f_t.expand(k, -1, -1, -1), f_r)
        trace.update(ae_input_target=x_t, ae_target=f_t, ae_ref=f_r, theta=theta)

        # §3: warp at full resolution.
        aligned, aligned_v = warp(refs, v_refs, theta)
        trace.update(warp_ref_rgb=aligned, warp_ref_valid=aligned_v)

        # §4: copy encoder on the frames padded to a multiple of 8.
        pads = padding_to_multiple(h, w, 8)
        t_in = pad(network_input(target, v_t), pads)
        r_in = pad(network_input(aligned, aligned_v), pads)
        t_feat, r_feat = self.enc(t_in), self.enc(r_in)
        trace.update(enc_target=t_feat, enc_ref=r_feat)

        # §5: context matching at feature resolution.
        h4, w4 = t_feat.shape[-2:]
        paste_input, weights = context_matching(
            t_feat, r_feat, feature_visibility(t_in, h4, w4), feature_visibility(r_in, h4, w4))
        trace.update(match_weights=weights, match_paste_input=paste_input)

        # §6: paste decoder, de-normalize, crop, composite (valid pixels pass through).
        pred = crop(denormalize(self.dec(paste_input)), pads)
        out = torch.clamp(pred * (1 - v_t) + target * v_t, 0, 1)
        trace.update(dec_output=pred, restore_output=out)
        return out
