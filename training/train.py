"""Trains the road CPNet on CPU and exports the shipped weights.

    training/.venv/bin/python training/train.py --config training/configs/road-slim.toml

One command reproduces the shipped model: it renders the training drives it needs (clearlane
synth/degrade, into training/cache/, skipped when already there), trains with fixed seeds,
checkpoints every few minutes (--resume continues from the last one), and exports
safetensors with metadata (data, steps, seed, commit). See training/README.md.
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import subprocess
import sys
import time
import tomllib

import numpy as np
import torch
import torch.nn.functional as F

import data as D
import losses as L
from export import load_weights, metadata_for
from model import CPNet, Widths, network_input, normalize, pad, crop, padding_to_multiple, denormalize
import safetensors_io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Batched forward pass --------------------------------------------------------------------------

def align_batch(model: CPNet, target, v_t, refs, v_refs, warp=None):
    """§1–3 batched: θ for each of the K references of each sample, and the references warped by
    it (or `warp`, B×K×3×H×W, warped by the same θ: the references' truth when the network saw
    filmed ones). Returns (aligned B×K×3×H×W, thresholded visibility B×K×1×H×W, θ (B·K)×2×3).
    The shipped paste (`paste: oldest`) uses only this part of the network."""
    b, k, _, h, w = refs.shape
    s = model.widths.size
    x_t = F.interpolate(network_input(target, v_t), size=(s, s), mode="bilinear", align_corners=False)
    x_r = F.interpolate(network_input(refs.flatten(0, 1), v_refs.flatten(0, 1)), size=(s, s), mode="bilinear", align_corners=False)
    f_t, f_r = model.ae(x_t), model.ae(x_r)
    f_t_rep = f_t.unsqueeze(1).expand(-1, k, -1, -1, -1).flatten(0, 1)
    theta = model.ar(f_t_rep, f_r)                                     # (B·K)×2×3
    grid = F.affine_grid(theta, [b * k, 3, h, w], align_corners=False)
    source = refs if warp is None else warp
    aligned = F.grid_sample(source.flatten(0, 1), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    aligned_v = (F.grid_sample(v_refs.flatten(0, 1), grid, mode="bilinear", padding_mode="zeros", align_corners=False) > 0.5).float()
    return aligned.view(b, k, 3, h, w), aligned_v.view(b, k, 1, h, w), theta


def forward_train(model: CPNet, target, v_t, refs, v_refs):
    """The restoration step of model.restore, batched over B samples with K references each, also
    returning what the losses need. Shapes: target B×3×H×W, v_t B×1×H×W, refs B×K×3×H×W.
    Returns (pred B×3×H×W, composite, never-visible M at full size B×1×H×W, aligned refs, aligned V)."""
    b, k, _, h, w = refs.shape
    aligned, aligned_v, _ = align_batch(model, target, v_t, refs, v_refs)

    pads = padding_to_multiple(h, w, 8)
    t_in = pad(network_input(target, v_t), pads)
    r_in = pad(network_input(aligned.flatten(0, 1), aligned_v.flatten(0, 1)), pads)
    t_feat = model.enc(t_in)                                           # B×C×h4×w4
    r_feat = model.enc(r_in).view(b, k, *t_feat.shape[1:])             # B×K×C×h4×w4
    c, h4, w4 = t_feat.shape[1:]
    vt = (F.interpolate(t_in[:, 3:4], size=(h4, w4), mode="bilinear", align_corners=False) > 0.5).float()
    vk = (F.interpolate(r_in[:, 3:4], size=(h4, w4), mode="bilinear", align_corners=False) > 0.5).float().view(b, k, 1, h4, w4)
    overlap = vt.unsqueeze(1) * vk
    num = (overlap * t_feat.unsqueeze(1) * r_feat).sum(dim=(2, 3, 4))
    den = c * overlap.sum(dim=(2, 3, 4))
    g = torch.where(den > 0, num / den.clamp(min=1e-12), torch.zeros_like(den))   # B×K
    e = torch.exp(g - g.max(dim=1, keepdim=True).values).view(b, k, 1, 1, 1) * vk
    total = e.sum(dim=1, keepdim=True)
    weights = torch.where(total > 0, e / total.clamp(min=1e-12), torch.zeros_like(e))
    aggregate = (weights * r_feat).sum(dim=1)
    never = 1.0 - (weights * vk).sum(dim=1)                            # B×1×h4×w4
    pred = crop(denormalize(model.dec(torch.cat([t_feat, aggregate, never], dim=1))), pads)
    composite = torch.clamp(pred * (1 - v_t) + target * v_t, 0, 1)
    never_full = crop(F.interpolate(never, scale_factor=4, mode="nearest"), pads)
    return pred, composite, never_full, aligned, aligned_v


# Terms on the paste decoder's output: only stage "full" computes them.
FULL_NETWORK_TERMS = {"valid", "hole_seen", "hole_unseen", "tv", "ssim", "gradient"}


def loss_terms(model, batch, weights, stage: str = "full"):
    """The weighted loss and its terms. A term whose weight is absent or 0 is not computed.
    stage "full" runs the whole network (cpnet.md §8); stage "alignment" only §1–3, for the
    terms on the aligned references (what `paste: oldest` copies from)."""
    target, v_t, refs, v_refs, truth = batch[:5]
    paint = batch[5] if len(batch) > 5 else torch.zeros_like(v_t)
    ref_truths = batch[6] if len(batch) > 6 else None
    hole = 1 - v_t
    wanted = {name for name, weight in weights.items() if weight}
    if stage == "alignment":
        if unusable := sorted(wanted & FULL_NETWORK_TERMS):
            raise ValueError(f"loss terms {unusable} need the whole network; the alignment stage has only alignment terms")
        aligned, aligned_v, _ = align_batch(model, target, v_t, refs, v_refs, warp=ref_truths)
    else:
        pred, comp, never, aligned, aligned_v = forward_train(model, target, v_t, refs, v_refs)
    paint_options = {key: weights[f"alignment_{key}"] for key in ("hole_weight", "paint_weight", "unseen_cost")
                     if f"alignment_{key}" in weights}
    makers = {   # in road-slim's order, so its total sums the same way
        "valid": lambda: L.masked_l1(pred, truth, v_t),
        "hole_seen": lambda: L.masked_l1(pred, truth, hole * (1 - never)),
        "hole_unseen": lambda: L.masked_l1(pred, truth, hole * never),
        # Self-supervised alignment: the aligned references should look like the target where both are valid.
        "alignment": lambda: L.masked_l1(aligned, truth.unsqueeze(1).expand_as(aligned), aligned_v * v_t.unsqueeze(1)),
        "tv": lambda: L.total_variation(comp, hole),
        "ssim": lambda: L.ssim_loss(comp, truth),
        "gradient": lambda: L.gradient_l1(comp, truth),
        # The paste's view: aligned references against the truth everywhere, holes and paint weighted up.
        "alignment_paint": lambda: L.weighted_alignment(aligned, aligned_v, truth, hole, paint, **paint_options),
    }
    terms = {name: make() for name, make in makers.items() if name in wanted}
    total = sum(weights[name] * value for name, value in terms.items())
    return total, terms


def load_config(path: str) -> dict:
    """A training config. With a top-level `extends = "other.toml"` (relative to this file), the
    other config is read first and this one's tables override it key by key: a variant config
    states only what it changes."""
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    base = cfg.pop("extends", None)
    if base is None:
        return cfg
    merged = load_config(os.path.join(os.path.dirname(os.path.abspath(path)), base))
    for section, table in cfg.items():
        if isinstance(table, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **table}
        else:
            merged[section] = table
    return merged


def initial_weights(model: CPNet, path: str, reinit: list[str], config: str = "config"):
    """Fine-tuning starts from a weight file of the same architecture (the shipped model), but
    for the parts named in `reinit`, started afresh (their __init__ values under the current
    torch seed): road-slim's regressor has all but died (its pooled features barely move θ off
    the fc bias, docs/decisions/0029), and a fine-tune from it stays a fixed warp."""
    initial = load_weights(path)
    if initial.widths != model.widths:
        sys.exit(f"train.py: {config}: [train] init {path} has other widths than [model]")
    model.load_state_dict(initial.state_dict())
    parts = dict(model.named_children())
    for name in reinit:
        if name not in parts:
            sys.exit(f"train.py: {config}: [train] reinit: no part {name!r}; expected some of {sorted(parts)}")
        parts[name].load_state_dict(getattr(CPNet(model.widths), name).state_dict())


# Data preparation ------------------------------------------------------------------------------

def clearlane_binary(cfg) -> str:
    path = os.path.join(ROOT, cfg["data"].get("clearlane", ".build/release/clearlane"))
    if not os.access(path, os.X_OK):
        sys.exit(f"train.py: {path} not found; build it first: swift build -c release --product clearlane")
    return path


def prepare_drives(cfg) -> list[str]:
    """Renders the training drives listed in the config into the cache (once)."""
    d = cfg["data"]
    cache = os.path.join(ROOT, d.get("cache", "training/cache"))
    w, h = d.get("render_size", d["resolution"])
    wanted = []
    for preset in d.get("synth_presets", []):
        for seed in d.get("synth_seeds", []):
            wanted.append((os.path.join(cache, f"synth-{preset}-{seed}"),
                           ["synth", "--preset", preset, "--seed", str(seed), "--frames", str(d["synth_frames"]), "--size", f"{w}x{h}"]))
    for extra in d.get("synth_extra", []):
        # Drives beyond the preset × seed grid: other frame rates and event lengths.
        for seed in extra["seeds"]:
            fps = extra.get("fps", 30)
            args = ["synth", "--preset", extra["preset"], "--seed", str(seed), "--frames", str(extra["frames"]),
                    "--size", f"{w}x{h}", "--fps", str(fps)]
            if "event_seconds" in extra:
                args += ["--event-seconds", str(extra["event_seconds"])]
            wanted.append((os.path.join(cache, f"synth-{extra['preset']}-{seed}-{fps}fps"), args))
    for source in d.get("degrade_sources", []):
        for preset in d.get("degrade_presets", []):
            for seed in d.get("degrade_seeds", []):
                name = os.path.splitext(os.path.basename(source))[0]
                wanted.append((os.path.join(cache, f"degrade-{name}-{preset}-{seed}"),
                               ["degrade", os.path.join(ROOT, source), "--preset", preset, "--seed", str(seed), "--size", f"{w}x{h}"]))
    folders = []
    binary = None
    for folder, args in wanted:
        if not os.path.exists(os.path.join(folder, "drive.yaml")):
            binary = binary or clearlane_binary(cfg)
            print(f"prepare: clearlane {' '.join(args)} --out {os.path.relpath(folder, ROOT)}", file=sys.stderr)
            subprocess.run([binary, *args, "--out", folder], check=True, stdout=subprocess.DEVNULL)
        folders.append(folder)
    return folders


def load_clips(cfg) -> tuple[list[D.Clip], str]:
    d = cfg["data"]
    size = tuple(d["resolution"])
    filmed = float(d.get("filmed_inputs", 0)) > 0
    clips = [D.load_drive(f, size, d.get("max_frames_per_drive"), filmed) for f in prepare_drives(cfg)]
    stills = sorted(glob.glob(os.path.join(ROOT, d["stills"]))) if d.get("stills") else []
    motions = tuple(d.get("still_motions", ["affine"]))
    unknown = [m for m in motions if m not in D.STILL_MOTIONS]
    if unknown:
        sys.exit(f"train.py: [data] still_motions: unknown {unknown}; expected some of {sorted(D.STILL_MOTIONS)}")
    clips += D.load_still_clips(stills, size, d["still_frames"], d["clips_per_still"], cfg["train"]["seed"], motions)
    if not clips:
        sys.exit("train.py: no training clips (check [data] in the config)")
    extra = "".join(f"; synth {e['preset']} seeds {e['seeds']} at {e.get('fps', 30)} fps" for e in d.get("synth_extra", []))
    description = (f"synth {d.get('synth_presets', [])} seeds {d.get('synth_seeds', [])}{extra}; "
                   f"degrade {d.get('degrade_sources', [])} x {d.get('degrade_presets', [])} seeds {d.get('degrade_seeds', [])}; "
                   f"{len(stills)} stills x {d.get('clips_per_still', 0)} {'/'.join(motions)} sequences; {size[0]}x{size[1]}")
    return clips, description


def batch_for(step: int, clips, sample_cfg, batch: int, seed: int):
    samples = [D.make_sample(clips, sample_cfg, np.random.default_rng([seed, step, i])) for i in range(batch)]
    return tuple(torch.from_numpy(np.stack(parts)) for parts in zip(*samples))


# Training loop ---------------------------------------------------------------------------------

def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Progress:
    """One status line: step, loss, steps/s and ETA (redrawn in place on a terminal)."""

    def __init__(self, total: int, start_step: int):
        self.total, self.start, self.t0 = total, start_step, time.time()
        self.tty = sys.stderr.isatty()
        self.last_print = 0.0

    def update(self, step: int, loss: float, force: bool = False):
        now = time.time()
        if not force and now - self.last_print < (0.5 if self.tty else 30):
            return
        self.last_print = now
        done = step - self.start
        rate = done / max(now - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        bar = "#" * int(30 * step / self.total)
        line = f"[{bar:<30}] {step}/{self.total} loss {loss:.4f} {rate:.2f} steps/s ETA {eta / 60:.1f} min"
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    ap.add_argument("--steps", type=int, help="override train.steps (smoke runs)")
    ap.add_argument("--out", help="override train.out (run folder)")
    ap.add_argument("--export", help="override train.export (weights file)")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    t = cfg["train"]
    steps = args.steps or t["steps"]
    run_dir = os.path.join(ROOT, args.out or t["out"])
    export_path = os.path.join(ROOT, args.export or t["export"])
    os.makedirs(run_dir, exist_ok=True)
    torch.set_num_threads(t.get("threads", 2))
    torch.manual_seed(t["seed"])

    widths = Widths.for_alpha(cfg["model"]["alpha"], cfg["model"]["size"])
    theta = cfg["model"].get("theta", "affine")
    try:
        model = CPNet(widths, theta)
    except ValueError as error:  # names the parametrisations there are
        sys.exit(f"train.py: {args.config}: [model] theta: {error}")
    stage = t.get("stage", "full")
    if stage not in ("full", "alignment"):
        sys.exit(f"train.py: {args.config}: [train] stage is {stage!r}; expected \"full\" or \"alignment\"")
    init = t.get("init")
    if init:
        initial_weights(model, os.path.join(ROOT, init), t.get("reinit", []), args.config)
    if stage == "alignment":
        # Only §1–2 learn; the copy encoder and decoder keep the init's weights and are exported as they are.
        for module in (model.copy_encoder, model.paste_decoder):
            module.requires_grad_(False)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=t["lr"])
    start = 0
    ckpt_path = os.path.join(run_dir, "checkpoint.pt")
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start = ckpt["step"]
        print(f"train: resumed at step {start} from {ckpt_path}", file=sys.stderr)

    clips, description = load_clips(cfg)
    d = cfg["data"]
    sample_cfg = D.SampleConfig(
        crop=tuple(d["crop"]), references=d["references"], strides=tuple(d["strides"]),
        moving_mask_share=d["moving_mask_share"], restored_reference_share=d["restored_reference_share"],
        min_hole=d["min_hole"], max_hole=d["max_hole"], target_exposure_jitter=d["target_exposure_jitter"],
        max_reference_age_s=d.get("max_reference_age_s"), filmed_inputs=float(d.get("filmed_inputs", 0)))
    weights = cfg["loss"]
    print(f"train: {len(clips)} clips ({description}); alpha {widths.alpha}, S {widths.size}; "
          f"{sum(p.numel() for p in model.parameters() if p.requires_grad)} parameters trained ({stage}"
          f"{', from ' + init if init else ''}); {steps} steps of {t['batch']}", file=sys.stderr)

    def save_checkpoint(step: int):
        tmp = ckpt_path + ".tmp"
        torch.save({"step": step, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "widths": widths.__dict__, "training_data": description}, tmp)
        os.replace(tmp, ckpt_path)  # atomic: a cut-off run never leaves a broken checkpoint

    progress = Progress(steps, start)
    last_ckpt = time.time()
    model.train()
    running = None
    log = open(os.path.join(run_dir, "loss.tsv"), "a")
    for step in range(start, steps):
        lr = t["lr_final"] + 0.5 * (t["lr"] - t["lr_final"]) * (1 + math.cos(math.pi * step / steps))
        for group in opt.param_groups:
            group["lr"] = lr
        batch = batch_for(step, clips, sample_cfg, t["batch"], t["seed"])
        total, terms = loss_terms(model, batch, weights, stage)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t.get("grad_clip", 1.0))
        opt.step()
        value = total.item()
        running = value if running is None else 0.98 * running + 0.02 * value
        if step % 50 == 0:
            log.write(f"{step}\t{value:.5f}\t" + "\t".join(f"{k}={v.item():.5f}" for k, v in terms.items()) + "\n")
            log.flush()
        progress.update(step + 1, running)
        if time.time() - last_ckpt > 60 * t.get("checkpoint_minutes", 5):
            save_checkpoint(step + 1)
            last_ckpt = time.time()
    progress.update(steps, running or 0.0, force=True)
    print(file=sys.stderr)
    save_checkpoint(steps)

    meta = metadata_for(widths, description)
    meta.update({"steps": str(steps), "seed": str(t["seed"]), "commit": git_commit(), "config": os.path.relpath(args.config, ROOT)})
    if init:
        meta.update({"init": init, "stage": stage})
        if t.get("reinit"):
            meta["reinit"] = ",".join(t["reinit"])
    if theta != "affine":
        meta["theta"] = theta
        model.align_regressor.fold_theta()
    os.makedirs(os.path.dirname(export_path), exist_ok=True)
    safetensors_io.save(export_path, model.state_dict(), meta)
    print(f"train: exported {os.path.relpath(export_path, ROOT)} ({os.path.getsize(export_path) / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
