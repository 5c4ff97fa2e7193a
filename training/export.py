"""Weight-file metadata (cpnet.md §9), and random-init weight files for benchmarks.

    training/.venv/bin/python training/export.py --alpha 0.5 --size 128 --seed 0 --out /tmp/cpnet-a0.5.safetensors

Speed does not depend on training, so benchmarks run on random-init weights of the right shape.
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

import safetensors_io
from model import CPNet, Widths

VERSION = "1"


def metadata_for(widths: Widths, description: str) -> dict[str, str]:
    """The __metadata__ map the Swift loader builds the architecture from (all values strings)."""
    return {
        "arch": "cpnet",
        "version": VERSION,
        "alpha": repr(float(widths.alpha)),
        "align_size": str(widths.size),
        "a1": str(widths.a1), "a2": str(widths.a2), "a3": str(widths.a3), "r": str(widths.r),
        "e1": str(widths.e1), "e2": str(widths.e2),
        "training_data": description,
    }


def widths_from_metadata(meta: dict[str, str], path: str = "weights") -> Widths:
    """The inverse of metadata_for: the architecture a weight file declares."""
    if meta.get("arch") != "cpnet":
        raise ValueError(f"{path}: metadata arch is {meta.get('arch')!r}, expected 'cpnet'")
    try:
        return Widths(alpha=float(meta["alpha"]), size=int(meta["align_size"]),
                      **{k: int(meta[k]) for k in ("a1", "a2", "a3", "r", "e1", "e2")})
    except (KeyError, ValueError) as e:
        raise ValueError(f"{path}: metadata lacks or garbles {e} (expected alpha, align_size, a1..e2)") from None


def load_weights(path: str) -> CPNet:
    """A weight file as a CPNet of the widths its metadata declares (eval mode); ValueError names
    the file when the metadata or a tensor does not fit."""
    tensors, meta = safetensors_io.load(path)
    model = CPNet(widths_from_metadata(meta, path))
    model.load_state_dict(tensors)
    return model.eval()


def random_init(alpha: float, size: int, seed: int) -> CPNet:
    """PyTorch's default initialisation under torch.manual_seed(seed) (the AR's fc starts at identity)."""
    torch.manual_seed(seed)
    return CPNet(Widths.for_alpha(alpha, size))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alpha", type=float, required=True, help="width multiplier α (e.g. 0.25, 0.5, 1.0)")
    ap.add_argument("--size", type=int, default=128, help="alignment size S (multiple of 8)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="safetensors file to write")
    args = ap.parse_args(argv)
    model = random_init(args.alpha, args.size, args.seed)
    meta = metadata_for(model.widths, f"none (random initialisation, seed {args.seed})")
    meta["seed"] = str(args.seed)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    safetensors_io.save(args.out, model.state_dict(), meta)
    n = sum(p.numel() for p in model.parameters())
    print(f"export: wrote {args.out} (alpha {args.alpha}, S {args.size}, {n} parameters, "
          f"{os.path.getsize(args.out) / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
