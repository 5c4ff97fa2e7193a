"""Training samples for the road CPNet: clips of clean frames with exposure-shaped holes.

Three kinds of clip, as the engine issue and cpnet.md §8 ask:
- drives made by `clearlane synth` and `clearlane degrade` (clean/ is the truth, masks/ the truth
  exposure holes of the degraded frames/);
- the paper's single-image sequences: one real still under successive random affine transforms
  with forward-motion zoom, holes drawn with the same shapes exposure failures take (a growing
  tunnel-mouth disk, an underpass band, a sun blob with streaks) or the paper's generic moving masks.

A sample is what the streaming reference memory presents at inference: a target frame with holes,
K references from the past at a stride, each a well-exposed frame or a previously *restored* one
(written back with an empty hole map, so its old hole region may be imperfect), and the clean truth.
All randomness comes from one numpy Generator per sample, seeded from (seed, step), so a run is
reproducible and resumable.
"""
from __future__ import annotations

import glob
import math
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass
class Clip:
    """Frames (N×H×W×3 uint8), optional truth holes (N×H×W bool), and where they come from.
    `frames` are the truth (a drive's clean/); `filmed` the same frames as the camera gave them
    (frames/: clipped, crushed, the exposure wandering), when the drive has them."""

    name: str
    frames: np.ndarray
    holes: np.ndarray | None
    fps: float = 30.0   # what reference ages in seconds are converted with (stills: a 30 fps camera)
    filmed: np.ndarray | None = None


def load_image(path: str, size: tuple[int, int]) -> np.ndarray:
    """RGB uint8 H×W×3 resized to size = (W, H). An exact 2:1 reduction averages 2×2 blocks,
    which is what the Swift restorer's half-pixel bilinear resize computes at scale 0.5, so the
    network trains on the same kind of pixels it restores."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != size:
            exact_half = im.size == (2 * size[0], 2 * size[1])
            im = im.resize(size, Image.BOX if exact_half else Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def load_mask(path: str, size: tuple[int, int]) -> np.ndarray:
    with Image.open(path) as im:
        im = im.convert("L")
        if im.size != size:
            im = im.resize(size, Image.NEAREST)
        return np.asarray(im) > 127


def load_drive(folder: str, size: tuple[int, int], max_frames: int | None = None, filmed: bool = False) -> Clip:
    """A drive folder with clean/ (and masks/ when it has them; frames/, the filmed frames, too
    when `filmed` asks for them and the drive has them)."""
    clean = sorted(glob.glob(os.path.join(folder, "clean", "*.png")))
    if not clean:
        raise FileNotFoundError(f"{folder}: no clean/*.png; training needs drives with truth frames (clearlane synth/degrade)")
    if max_frames:
        clean = clean[:max_frames]
    frames = np.stack([load_image(p, size) for p in clean])
    masks_dir = os.path.join(folder, "masks")
    holes = None
    if os.path.isdir(masks_dir):
        paths = [os.path.join(masks_dir, os.path.basename(p)) for p in clean]
        if all(os.path.exists(p) for p in paths):
            holes = np.stack([load_mask(p, size) for p in paths])
    filmed_frames = None
    paths = [os.path.join(folder, "frames", os.path.basename(p)) for p in clean]
    if filmed and all(os.path.exists(p) for p in paths):
        filmed_frames = np.stack([load_image(p, size) for p in paths])
    return Clip(os.path.basename(folder.rstrip("/")), frames, holes, drive_fps(folder), filmed_frames)


def drive_fps(folder: str) -> float:
    """The `fps:` of a drive's drive.yaml (a top-level scalar; 30 when absent)."""
    with open(os.path.join(folder, "drive.yaml")) as f:
        for line in f:
            if line.startswith("fps:"):
                return float(line.split(":", 1)[1].split("#")[0])
    return 30.0


def affine_sequence(still: np.ndarray, n: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The paper's single-image video: n views of one still, each a small random affine step from
    the last, with a steady zoom toward the vanishing point (the camera driving forward)."""
    h0, w0 = still.shape[:2]
    img = Image.fromarray(still)
    w, h = size
    zoom_rate = rng.uniform(0.004, 0.02)           # per frame
    cx, cy = w0 * rng.uniform(0.45, 0.55), h0 * rng.uniform(0.45, 0.6)  # rough vanishing point
    tx = ty = rot = 0.0
    out = []
    for i in range(n):
        scale = (1 + zoom_rate) ** i * 1.08        # start slightly zoomed so borders stay inside
        tx += rng.normal(0, 1.0)
        ty += rng.normal(0, 0.6)
        rot += rng.normal(0, 0.002)
        c, s = math.cos(rot) / scale, math.sin(rot) / scale
        # Inverse map output pixel (x, y) → input: centred on the vanishing point.
        a, b = c * w0 / w, -s * h0 / h
        d, e = s * w0 / w, c * h0 / h
        x0 = cx + tx - (a * w / 2 + b * h / 2)
        y0 = cy + ty - (d * w / 2 + e * h / 2)
        view = img.transform((w, h), Image.AFFINE, (a, b, x0, d, e, y0), resample=Image.BILINEAR)
        out.append(np.asarray(view, dtype=np.uint8))
    return np.stack(out)


def road_plane_sequence(still: np.ndarray, n: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """n views of one still as a camera driving forward over a flat road sees it: the ground-plane
    homography of a forward step (rows below the vanishing point spread apart faster the nearer
    they are, x' = x/(1 − c·y), y' = y/(1 − c·y) about the vanishing point), which an affine θ
    can only approximate — the motion lane paint makes between frames. Plus a small drift."""
    h0, w0 = still.shape[:2]
    img = Image.fromarray(still)
    w, h = size
    rate = rng.uniform(0.002, 0.008)               # relative spread of the bottom row per frame
    cx, cy = w0 * rng.uniform(0.45, 0.55), h0 * rng.uniform(0.45, 0.6)
    r = cy / h0                                    # the vanishing point's row, as a share of the height
    k = w0 / (w * 1.15)                            # input pixels per output pixel (start zoomed: borders stay inside)
    tx = ty = 0.0
    out = []
    for i in range(n):
        c = rate * i / (h0 - cy)                   # so c·(bottom row − cy) = rate·i
        tx += rng.normal(0, 1.0)
        ty += rng.normal(0, 0.4)
        x0, y0 = cx + tx, cy + ty
        d0 = 1 - c * k * h * r                     # PIL wants the denominator as 1 + g·X + h·Y
        coeffs = (k / d0, x0 * c * k / d0, x0 - k * w / (2 * d0),
                  0.0, (k + y0 * c * k) / d0, y0 - k * h * r / d0,
                  0.0, c * k / d0)
        view = img.transform((w, h), Image.PERSPECTIVE, coeffs, resample=Image.BILINEAR)
        out.append(np.asarray(view, dtype=np.uint8))
    return np.stack(out)


STILL_MOTIONS = {"affine": affine_sequence, "road-plane": road_plane_sequence}


def load_still_clips(paths: list[str], size: tuple[int, int], frames: int, per_still: int, seed: int,
                     motions: tuple[str, ...] = ("affine",)) -> list[Clip]:
    """`per_still` clips per still and motion; the affine clips are the same as before motions existed."""
    clips = []
    for motion in motions:
        sequence = STILL_MOTIONS[motion]
        for k, path in enumerate(paths):
            still = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
            for j in range(per_still):
                rng = np.random.default_rng([seed, k, j] if motion == "affine" else [seed, k, j, 1])
                clips.append(Clip(f"still:{motion}:{os.path.basename(path)}:{j}", sequence(still, frames, size, rng), None))
    return clips


# Hole shapes ------------------------------------------------------------------------------

def exposure_hole(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A hole shaped like an exposure failure in the lane region (lower part of the frame)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = rng.choice(["mouth", "band", "sun", "bottom"])
    if kind == "mouth":          # tunnel mouth: bright/dark disk around the vanishing point
        cx, cy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.35, 0.55)
        r = h * rng.uniform(0.15, 0.5)
        m = ((xx - cx) / (1.6 * r)) ** 2 + ((yy - cy) / r) ** 2 < 1
    elif kind == "band":         # underpass / bridge shadow: a band across the road
        y0 = h * rng.uniform(0.45, 0.85)
        thick = h * rng.uniform(0.06, 0.25)
        slope = rng.normal(0, 0.05)
        m = np.abs(yy - (y0 + slope * (xx - w / 2))) < thick / 2
    elif kind == "sun":          # low sun / headlights: blob with flare streaks
        cx, cy = w * rng.uniform(0.2, 0.8), h * rng.uniform(0.3, 0.6)
        r = h * rng.uniform(0.08, 0.3)
        m = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
        for _ in range(rng.integers(1, 4)):
            ang = rng.uniform(0, math.pi)
            dist = np.abs((xx - cx) * math.sin(ang) - (yy - cy) * math.cos(ang))
            m |= (dist < h * 0.02) & ((xx - cx) ** 2 + (yy - cy) ** 2 < (3 * r) ** 2)
    else:                        # whole lower road clipped (tunnel exit, first frames)
        y0 = h * rng.uniform(0.4, 0.7)
        m = yy > y0 + rng.normal(0, 0.03 * h) * np.sin(xx / w * math.pi * rng.uniform(1, 3))
    return m


def moving_hole(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """The paper's generic object-like hole: a few random ellipses."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    m = np.zeros((h, w), bool)
    for _ in range(rng.integers(1, 4)):
        cx, cy = rng.uniform(0, w), rng.uniform(h * 0.3, h)
        rx, ry = rng.uniform(0.05, 0.2) * w, rng.uniform(0.05, 0.2) * h
        m |= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
    return m


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, 0), dx, 1)
    return out


# Samples ----------------------------------------------------------------------------------

@dataclass
class SampleConfig:
    crop: tuple[int, int]            # (W, H) of the training crop
    references: int                  # K
    strides: tuple[int, ...]         # memory strides to draw from
    moving_mask_share: float         # share of samples with generic moving masks instead of exposure holes
    restored_reference_share: float  # share of references that were themselves restored (imperfect)
    min_hole: float                  # reject samples whose hole covers less than this share
    max_hole: float
    target_exposure_jitter: float    # ± relative gain on the target's valid pixels (residual seams)
    # When set, references are drawn by age in seconds instead of at a frame stride: the oldest
    # between K frames and this age (converted with the clip's fps), the others distinct frames
    # in between — the memory the daemon keeps (`stride_s`, `max_reference_age_s`) at any fps.
    max_reference_age_s: float | None = None
    # The share of samples (with truth holes, from a drive that has filmed frames) that feed the
    # network what the daemon feeds it: the filmed target outside its holes and the filmed
    # references with their own holes (1: all). The loss still warps the truth references (the
    # 7th element), so θ is learned from filmed inputs and judged on the truth geometry.
    filmed_inputs: float = 0.0


def reference_offsets(n_frames: int, fps: float, k: int, max_age_s: float, rng: np.random.Generator) -> list[int] | None:
    """K distinct frame offsets into the past, oldest last, the oldest drawn uniformly between K
    frames and `max_age_s`; None when the clip is too short."""
    oldest_max = min(int(round(max_age_s * fps)), n_frames - 1)
    if oldest_max < k:
        return None
    oldest = int(rng.integers(k, oldest_max + 1))
    others = rng.choice(np.arange(1, oldest), size=k - 1, replace=False) if k > 1 else []
    return sorted(int(o) for o in others) + [oldest]


def paint_mask(rgb: np.ndarray) -> np.ndarray:
    """Lane-paint-like pixels of a clean H×W×3 frame in [0, 1]: in the lower 45 % of the frame
    (below the horizon of these cameras), brighter than their 13×13 neighbourhood by 0.1 in luma
    (a white-hat: thin bright marks on darker asphalt) and not dark, or clearly yellow.
    Deterministic; thin bright non-paint (rails, kerbs) counts too, which only spreads the
    weight a little."""
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    local = box_blur(y[..., None], 6)[..., 0]
    yellow = ((rgb[..., 0] + rgb[..., 1]) / 2 - rgb[..., 2] > 0.2) & (rgb[..., 0] > 0.45)
    mask = ((y - local > 0.1) & (y > 0.35)) | yellow
    mask[: int(0.55 * rgb.shape[0])] = False
    return mask


def make_sample(clips: list[Clip], cfg: SampleConfig, rng: np.random.Generator):
    """One training sample as float32 arrays in [0, 1], C×H×W:
    target (3), target visibility (1), references (K×3), reference visibilities (K×1), truth (3),
    the truth's lane paint (1, `paint_mask`), and the references' truth (K×3; the references
    themselves unless `cfg.filmed_inputs` made them filmed frames)."""
    cw, ch = cfg.crop
    k = cfg.references
    for _attempt in range(200):
        clip = clips[rng.integers(len(clips))]
        n, h, w = clip.frames.shape[:3]
        if cfg.max_reference_age_s is not None:
            offsets = reference_offsets(n, clip.fps, k, cfg.max_reference_age_s, rng)
            if offsets is None:
                continue
            t = int(rng.integers(offsets[-1], n))
        else:
            stride = int(rng.choice(cfg.strides))
            if n <= k * stride:
                continue
            offsets = [j * stride for j in range(1, k + 1)]
            t = int(rng.integers(k * stride, n))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        use_truth = clip.holes is not None and rng.random() >= cfg.moving_mask_share
        if use_truth:
            hole = clip.holes[t][y0:y0 + ch, x0:x0 + cw]
        elif rng.random() < cfg.moving_mask_share:
            hole = moving_hole(ch, cw, rng)
        else:
            hole = exposure_hole(ch, cw, rng)
        share = hole.mean()
        if not (cfg.min_hole <= share <= cfg.max_hole):
            continue
        # A share of 1 draws no number, so configs without filmed inputs keep their sample streams.
        filmed = (cfg.filmed_inputs > 0 and use_truth and clip.filmed is not None
                  and (cfg.filmed_inputs >= 1 or rng.random() < cfg.filmed_inputs))

        def crop(frames: np.ndarray, i: int) -> np.ndarray:
            return frames[i][y0:y0 + ch, x0:x0 + cw].astype(np.float32) / 255

        truth = crop(clip.frames, t)
        refs, ref_truths, ref_valid = [], [], []
        for offset in offsets:
            r_index = t - offset
            ref = crop(clip.frames, r_index)
            ref_truths.append(ref)
            valid = np.ones((ch, cw), np.float32)
            if rng.random() < cfg.restored_reference_share:
                # A previously restored frame: its own old hole was filled imperfectly (blurred,
                # slightly off in exposure), yet it sits in memory with an empty hole map.
                old = clip.holes[r_index][y0:y0 + ch, x0:x0 + cw] if clip.holes is not None else exposure_hole(ch, cw, rng)
                blurred = box_blur(ref, int(rng.integers(2, 6)))
                blurred = np.clip(blurred * rng.uniform(0.8, 1.2), 0, 1)
                seen = crop(clip.filmed, r_index) if filmed else ref
                ref = np.where(old[..., None], blurred, seen)
            elif filmed:
                valid = (~clip.holes[r_index][y0:y0 + ch, x0:x0 + cw]).astype(np.float32)
                ref = crop(clip.filmed, r_index) * valid[..., None]
            refs.append(ref)
            ref_valid.append(valid)
        v_t = (~hole).astype(np.float32)
        if filmed:
            target = crop(clip.filmed, t) * v_t[..., None]
        else:
            # At inference the valid pixels are the degraded frame normalised toward the memory's
            # exposure; a small residual gain error remains, so the network must not rely on an exact match.
            gain = 1 + rng.uniform(-cfg.target_exposure_jitter, cfg.target_exposure_jitter)
            target = np.clip(truth * gain, 0, 1) * v_t[..., None]
        return (
            target.transpose(2, 0, 1), v_t[None],
            np.stack(refs).transpose(0, 3, 1, 2), np.stack(ref_valid)[:, None],
            truth.transpose(2, 0, 1), paint_mask(truth)[None].astype(np.float32),
            np.stack(ref_truths).transpose(0, 3, 1, 2),
        )
    raise RuntimeError("could not draw a sample: clips too short for the strides, or hole limits too tight")


def box_blur(img: np.ndarray, r: int) -> np.ndarray:
    """Separable box blur (edge-clamped) of an H×W×C float image."""
    out = img
    for axis in (0, 1):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (r, r)
        p = np.pad(out, pad, mode="edge")
        c = np.cumsum(p, axis=axis, dtype=np.float64)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        size = out.shape[axis]
        hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + size), axis=axis)
        lo = np.take(c, np.arange(0, size), axis=axis)
        out = ((hi - lo) / (2 * r + 1)).astype(np.float32)
    return out
