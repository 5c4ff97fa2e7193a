"""How well a weight file's alignment (cpnet.md §1–3) lines references up with the truth, on drives
it was not trained on: the measure the alignment stage (configs/road-paint.toml) optimizes, as a
check beside the replay's lane accuracy.

    training/.venv/bin/python training/eval_alignment.py --drives 'evaluation/cache/dev/*' \
        --weights models/cpnet-road-slim.safetensors training/runs/road-paint/cpnet-road-paint.safetensors

Samples are drawn as in training (references by age up to --max-age seconds, truth exposure holes
of the drives), the same samples for every weight file, plus the identity θ (copy-last with no
motion) as the floor to beat. Prints one row per weight file: the paint-weighted alignment loss,
the mean absolute error of the aligned oldest reference against the truth on hole pixels and on
hole pixels that are lane paint, where the reference shows them, and how much θ varies over the
samples (the largest standard deviation of its six entries): an alignment that does not respond
to its input (θ spread 0) is a fixed warp, whatever its errors. With --filmed-inputs the network
sees the drives' filmed frames (clipped, crushed) with their holes, as in the daemon, and the
errors are those of the truth references warped by its θ.
"""
from __future__ import annotations

import argparse
import glob
import json
import sys

import numpy as np
import torch

import data as D
import losses as L
from export import load_weights
from model import CPNet, Widths
from train import align_batch


def load_model(path: str) -> CPNet:
    """A safetensors weight file, or a train.py checkpoint (.pt) while a run is still going."""
    if path.endswith(".pt"):
        ckpt = torch.load(path, map_location="cpu")
        model = CPNet(Widths(**ckpt["widths"]))
        model.load_state_dict(ckpt["model"])
        return model.eval()
    return load_weights(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drives", required=True, help="glob of drive folders with clean/ and masks/")
    ap.add_argument("--weights", nargs="+", required=True)
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--max-age", type=float, default=1.0, help="oldest reference age in seconds")
    ap.add_argument("--references", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--filmed-inputs", action="store_true",
                    help="feed the network the drives' filmed frames, as the daemon does (data.SampleConfig.filmed_inputs)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    folders = sorted(glob.glob(args.drives))
    if not folders:
        sys.exit(f"eval_alignment.py: no drive folders match {args.drives}")
    clips = [D.load_drive(f, (320, 180), filmed=args.filmed_inputs) for f in folders]
    clips = [c for c in clips if c.holes is not None]
    cfg = D.SampleConfig(crop=(320, 180), references=args.references, strides=(1,), moving_mask_share=0.0,
                         restored_reference_share=0.0, min_hole=0.01, max_hole=0.9, target_exposure_jitter=0.0,
                         max_reference_age_s=args.max_age, filmed_inputs=1.0 if args.filmed_inputs else 0.0)
    samples = [D.make_sample(clips, cfg, np.random.default_rng([args.seed, i])) for i in range(args.samples)]
    batches = [tuple(torch.from_numpy(np.stack(p)) for p in zip(*samples[i:i + 16])) for i in range(0, len(samples), 16)]
    rows = []
    for name in ["identity", *args.weights]:
        model = None if name == "identity" else load_model(name)
        loss = hole_err = paint_err = hole_n = paint_n = 0.0
        thetas = []
        with torch.no_grad():
            for target, v_t, refs, v_refs, truth, paint, ref_truths in batches:
                if model is None:
                    aligned, aligned_v = ref_truths, v_refs
                else:
                    aligned, aligned_v, theta = align_batch(model, target, v_t, refs, v_refs, warp=ref_truths)
                    thetas.append(theta.view(len(target), -1, 6)[:, -1])
                hole = 1 - v_t
                loss += L.weighted_alignment(aligned, aligned_v, truth, hole, paint).item() * len(target)
                oldest, shown = aligned[:, -1], aligned_v[:, -1]
                err = torch.abs(oldest - truth).mean(dim=1, keepdim=True)
                m = hole * shown
                hole_err += (err * m).sum().item(); hole_n += m.sum().item()
                m = m * paint
                paint_err += (err * m).sum().item(); paint_n += m.sum().item()
        spread = torch.cat(thetas).std(dim=0).max().item() if thetas else 0.0
        rows.append({"weights": name, "alignment_paint": loss / len(samples),
                     "hole_mae": hole_err / max(hole_n, 1), "hole_paint_mae": paint_err / max(paint_n, 1),
                     "theta_spread": spread})
    if args.json:
        print(json.dumps({"drives": args.drives, "samples": args.samples, "max_age_s": args.max_age, "rows": rows}, indent=1))
    else:
        print(f"{args.samples} samples from {len(clips)} drives ({args.drives}), references up to {args.max_age} s")
        print(f"{'weights':<60} {'loss':>8} {'hole MAE':>9} {'paint MAE':>9} {'θ spread':>9}")
        for r in rows:
            print(f"{r['weights']:<60} {r['alignment_paint']:8.4f} {r['hole_mae']:9.4f} {r['hole_paint_mae']:9.4f}"
                  f" {r['theta_spread']:9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
