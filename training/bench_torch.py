"""PyTorch CPU timing of one CPNet restoration step: the baseline for `clearlane bench restore`.

    training/.venv/bin/python training/bench_torch.py --weights W.safetensors --size 640x360 --refs 4 \\
        --iterations 20 --threads 2 [--json]

Measures what the Swift engine does per frame: the target's alignment features, K alignment
regressions, K warps, the copy encoder on the target and K aligned references, context matching and
the paste decoder. The references' alignment-encoder features are computed once, outside the timed
loop, because they do not depend on the target and the Swift ReferenceMemory caches them per
reference. Inputs are deterministic random frames (seed 0) with an elliptic hole of 20 % of the
target; the references are fully valid. Speed does not depend on the weights' values: random-init
files from export.py serve.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn

from export import load_weights
from model import CPNet, context_matching, crop, denormalize, feature_visibility, network_input, pad, padding_to_multiple, warp

STAGES = ("alignment", "warp", "encode", "match", "decode")


def load_model(path: str) -> CPNet:
    try:
        return load_weights(path)
    except ValueError as e:
        sys.exit(f"bench_torch: {e}")


def inputs(h: int, w: int, k: int):
    gen = torch.Generator().manual_seed(0)
    target = torch.rand(1, 3, h, w, generator=gen)
    refs = torch.rand(k, 3, h, w, generator=gen)
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    ry, rx = h * (0.2 / torch.pi) ** 0.5, w * (0.2 / torch.pi) ** 0.5   # π·rx·ry = 20 % of H·W
    hole = ((x - w / 2) / rx) ** 2 + ((y - h / 2) / ry) ** 2 <= 1
    v_t = (~hole).float().view(1, 1, h, w)
    v_refs = torch.ones(k, 1, h, w)
    return target, v_t, refs, v_refs


def staged_restore(model: CPNet, target, v_t, refs, v_refs, ref_features, times: dict):
    """model.restore split into the benchmark's stages (same calls, same order), adding each
    stage's seconds to `times`."""
    k, h, w = refs.shape[0], target.shape[-2], target.shape[-1]
    t0 = time.perf_counter()
    f_t = model.ae(model.alignment_input(target, v_t))
    theta = model.ar(f_t.expand(k, -1, -1, -1), ref_features)
    t1 = time.perf_counter()
    aligned, aligned_v = warp(refs, v_refs, theta)
    t2 = time.perf_counter()
    pads = padding_to_multiple(h, w, 8)
    t_in = pad(network_input(target, v_t), pads)
    r_in = pad(network_input(aligned, aligned_v), pads)
    t_feat, r_feat = model.enc(t_in), model.enc(r_in)
    t3 = time.perf_counter()
    h4, w4 = t_feat.shape[-2:]
    paste_input, _ = context_matching(t_feat, r_feat, feature_visibility(t_in, h4, w4), feature_visibility(r_in, h4, w4))
    t4 = time.perf_counter()
    pred = crop(denormalize(model.dec(paste_input)), pads)
    out = torch.clamp(pred * (1 - v_t) + target * v_t, 0, 1)
    t5 = time.perf_counter()
    for name, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
        times[name] += dt
    return out


def conv_flops(model: CPNet, run) -> int:
    """Multiply-adds ×2 of every convolution and linear layer that `run` executes."""
    total = 0

    def hook(module, args, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            cin_k = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
            total += 2 * output.numel() * cin_k
        elif isinstance(module, nn.Linear):
            total += 2 * output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", default="640x360", help="WxH of the processed frame")
    ap.add_argument("--refs", type=int, default=4, help="K references")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    torch.set_num_threads(args.threads)

    model = load_model(args.weights)
    target, v_t, refs, v_refs = inputs(h, w, args.refs)
    with torch.inference_mode():
        ref_features = model.reference_features(refs, v_refs)   # cached, as in the Swift ReferenceMemory
        times = dict.fromkeys(STAGES, 0.0)
        out = staged_restore(model, target, v_t, refs, v_refs, ref_features, times)
        reference = model.restore(target, v_t, refs, v_refs, ref_features=ref_features)
        if not torch.allclose(out, reference, atol=1e-6):
            sys.exit("bench_torch: the staged step differs from model.restore")
        flops = conv_flops(model, lambda: staged_restore(model, target, v_t, refs, v_refs, ref_features, dict.fromkeys(STAGES, 0.0)))
        for _ in range(args.warmup):
            staged_restore(model, target, v_t, refs, v_refs, ref_features, dict.fromkeys(STAGES, 0.0))
        times = dict.fromkeys(STAGES, 0.0)
        start = time.perf_counter()
        for _ in range(args.iterations):
            staged_restore(model, target, v_t, refs, v_refs, ref_features, times)
        elapsed = time.perf_counter() - start

    ms = 1000 * elapsed / args.iterations
    result = {
        "ms_per_frame": round(ms, 3),
        "stages": {name: round(1000 * t / args.iterations, 3) for name, t in times.items()},
        "threads": args.threads, "size": f"{w}x{h}", "refs": args.refs, "alpha": model.widths.alpha,
        "align_size": model.widths.size, "iterations": args.iterations,
        "gflop_per_frame": round(flops / 1e9, 4), "gflops": round(flops / 1e9 / (ms / 1000), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch": torch.__version__, "reference_ae_features": "cached (computed once outside the timed loop)",
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"PyTorch {torch.__version__} CPU, {args.threads} threads: α {model.widths.alpha}, {w}x{h}, K {args.refs}, "
              f"{args.iterations} iterations (reference AE features cached)")
        print(f"  {'total':<10} {ms:9.2f} ms/frame  {result['gflop_per_frame']:.3f} GFLOP  {result['gflops']:.1f} GFLOP/s")
        for name in STAGES:
            print(f"  {name:<10} {result['stages'][name]:9.2f} ms")
        print(f"  peak RSS {result['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
