"""Writes the parity fixtures that tie the Swift engine to this PyTorch reference.

    training/.venv/bin/python training/make_fixtures.py --out Tests/CPNetTests/Fixtures

DIR/weights.safetensors: a small CPNet (α = 0.125, S = 64) with PyTorch's default initialisation
under torch.manual_seed(0), its alignment regressor's fc perturbed so θ is not the identity.
DIR/fixtures.safetensors: inputs, every sub-network's output and the full restoration step for two
cases ("main" 64×96 with K = 3, "odd" 58×90 with K = 2 so the padding to 8 is exercised), plus two
single convolutions (dilated; strided with a 5×5 kernel) on odd sizes. Names and shapes:
training/README.md. Everything is deterministic: scripts/test regenerates the files and the Swift
tests compare against both the committed and the regenerated copies.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import safetensors_io
from export import metadata_for
from model import CPNet, Widths, padding_to_multiple

ALPHA, SIZE, SEED = 0.125, 64, 0
CASES = {"main": (64, 96, 3), "odd": (58, 90, 2)}  # name: (H, W, K)


# Frames: one smooth road-like scene, seen with small camera motions ---------------------------

def scene(x: np.ndarray, y: np.ndarray, h: int, w: int) -> np.ndarray:
    """A deterministic road-like picture as a function of continuous pixel coordinates (so shifted
    views are exact): sky gradient, grey road with two converging lane lines, smooth texture."""
    u, v = x / w, y / h
    horizon = 0.42
    sky = np.stack([0.55 + 0.2 * v, 0.7 + 0.15 * v, 0.95 - 0.1 * v])
    road = np.stack([0.38 + 0.05 * v, 0.38 + 0.05 * v, 0.40 + 0.04 * v])
    depth = np.clip((v - horizon) / (1 - horizon), 1e-3, None)
    lane = np.zeros_like(u)
    for side in (-1, 1):
        centre = 0.5 + side * 0.42 * depth
        lane += np.exp(-((u - centre) / (0.012 + 0.02 * depth)) ** 2)
    road = road + 0.5 * np.clip(lane, 0, 1)
    sky_share = 1 / (1 + np.exp((v - horizon) * 60))
    img = sky * sky_share + road * (1 - sky_share)
    texture = (0.05 * np.sin(2 * np.pi * (3.1 * u + 1.7 * v) + 0.3)
               + 0.04 * np.sin(2 * np.pi * (5.3 * u - 2.2 * v) + 1.1)
               + 0.03 * np.cos(2 * np.pi * (1.3 * u + 6.1 * v) + 2.0))
    img = img + texture[None] * np.array([1.0, 0.8, 0.6])[:, None, None]
    return np.clip(img, 0, 1).astype(np.float32)


def view(h: int, w: int, dx: float, dy: float, zoom: float) -> np.ndarray:
    """The scene seen by a camera shifted by (dx, dy) pixels and zoomed about the centre."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return scene((x - w / 2) / zoom + w / 2 + dx, (y - h / 2) / zoom + h / 2 + dy, h, w)


def ellipse(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return ((x - cx * w) / (rx * w)) ** 2 + ((y - cy * h) / (ry * h)) ** 2 <= 1


def target_valid(h: int, w: int) -> np.ndarray:
    """An exposure-shaped hole: a clipped blob (ellipse) and a washed-out band near the horizon."""
    hole = ellipse(h, w, 0.58, 0.66, 0.2, 0.2)
    y = np.arange(h)[:, None] + 0 * np.arange(w)[None]
    x = np.arange(w)[None, :] + 0 * np.arange(h)[:, None]
    hole |= (y >= 0.30 * h) & (y < 0.30 * h + 0.10 * h + 0.04 * x)  # slanted band
    share = hole.mean()
    assert 0.10 <= share <= 0.40, f"target hole covers {share:.2f} of the frame"
    return (~hole).astype(np.float32)[None]


def make_case(h: int, w: int, k: int):
    motions = [(3.0, 1.0, 1.0), (-4.5, 2.0, 0.97), (6.0, -2.5, 1.03)][:k]
    target = view(h, w, 0.0, 0.0, 1.0)
    refs = np.stack([view(h, w, dx, dy, z) for dx, dy, z in motions])
    v_refs = np.ones((k, 1, h, w), np.float32)
    v_refs[1, 0] = (~ellipse(h, w, 0.3, 0.35, 0.1, 0.12)).astype(np.float32)  # a small hole in one reference
    return target, target_valid(h, w), refs, v_refs


# Fixtures --------------------------------------------------------------------------------------

def fixture_model() -> CPNet:
    torch.manual_seed(SEED)
    model = CPNet(Widths.for_alpha(ALPHA, SIZE))
    fc = model.align_regressor.fc
    with torch.no_grad():  # θ away from the identity, so the warp is really exercised
        fc.weight.copy_(torch.randn(fc.weight.shape) * 0.02)
        fc.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]) + torch.randn(6) * 0.05)
    return model.eval()


def case_tensors(model: CPNet, name: str, h: int, w: int, k: int) -> dict[str, torch.Tensor]:
    target, v_t, refs, v_refs = (torch.from_numpy(a) for a in make_case(h, w, k))
    trace: dict[str, torch.Tensor] = {}
    model.restore(target[None], v_t[None], refs, v_refs, trace=trace)
    one = lambda t: t[0]  # drop the batch dimension of the target's tensors
    out = {
        "input.target_rgb": target, "input.target_valid": v_t, "input.ref_rgb": refs, "input.ref_valid": v_refs,
        "ae.input_target": one(trace["ae_input_target"]), "ae.target": one(trace["ae_target"]), "ae.ref": trace["ae_ref"],
        "ar.theta": trace["theta"],
        "warp.ref_rgb": trace["warp_ref_rgb"], "warp.ref_valid": trace["warp_ref_valid"],
        "enc.target": one(trace["enc_target"]), "enc.ref": trace["enc_ref"],
        "match.weights": trace["match_weights"], "match.paste_input": one(trace["match_paste_input"]),
        "dec.output": one(trace["dec_output"]), "restore.output": one(trace["restore_output"]),
    }
    return {f"{name}.{key}": value for key, value in out.items()}


def conv_tensors(name: str, cin: int, cout: int, h: int, w: int, k: int, stride: int, dilation: int, gen) -> dict:
    x = torch.randn(1, cin, h, w, generator=gen)
    weight = torch.randn(cout, cin, k, k, generator=gen) / (cin * k * k) ** 0.5
    bias = torch.randn(cout, generator=gen) * 0.1
    y = F.conv2d(x, weight, bias, stride=stride, dilation=dilation, padding=dilation * (k - 1) // 2)
    return {f"{name}.input": x[0], f"{name}.weight": weight, f"{name}.bias": bias, f"{name}.output": y[0]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for weights.safetensors and fixtures.safetensors")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    model = fixture_model()
    meta = metadata_for(model.widths, f"none (parity fixture: default initialisation, seed {SEED}, alignment fc perturbed)")
    meta["seed"] = str(SEED)
    safetensors_io.save(os.path.join(args.out, "weights.safetensors"), model.state_dict(), meta)

    tensors: dict[str, torch.Tensor] = {}
    fixture_meta = {"weights": "weights.safetensors", "cases": ",".join(CASES)}
    with torch.inference_mode():
        for name, (h, w, k) in CASES.items():
            tensors.update(case_tensors(model, name, h, w, k))
            fixture_meta.update({f"{name}.H": str(h), f"{name}.W": str(w), f"{name}.K": str(k),
                                 f"{name}.pads": ",".join(map(str, padding_to_multiple(h, w, 8)))})
        gen = torch.Generator().manual_seed(SEED)
        # Op-level parity on odd sizes: cpnet.md conv padding d·(k−1)/2.
        tensors.update(conv_tensors("main.dilated_conv", 5, 6, 13, 17, 3, 1, 3, gen))
        tensors.update(conv_tensors("main.strided_conv", 3, 7, 11, 15, 5, 2, 1, gen))
        fixture_meta.update({"main.dilated_conv": "kernel 3, stride 1, dilation 3, padding 3",
                             "main.strided_conv": "kernel 5, stride 2, dilation 1, padding 2"})
    path = os.path.join(args.out, "fixtures.safetensors")
    safetensors_io.save(path, tensors, fixture_meta)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in ("weights.safetensors", "fixtures.safetensors"))
    print(f"make_fixtures: wrote {args.out}/weights.safetensors and fixtures.safetensors "
          f"({len(tensors)} tensors, {total / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
