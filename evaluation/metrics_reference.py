#!/usr/bin/env python3
"""Independent reference for ClearLane's lane metrics (docs/design/metrics.md), numpy only.

- TuSimple: `LaneEval.bench` of the TuSimple benchmark, written the way the official code is
  (np arrays, absent points set to -100, the early return), with pixel_thresh scaled by
  width / 1280. The least-squares angle is the centred fit the official LinearRegression does,
  summed sequentially, and cos/atan come from `math` (the C library, as in Swift) rather than
  numpy's vectorised versions, so that thresholds agree to the last bit.
- CULane F1: lanes drawn as polylines 30 px wide at 1640 px wide (scaled by width / 1640), each
  pixel tested by brute force over its lane's bounding box; IoU per pair; the one-to-one
  assignment by brute force over permutations (scipy is not assumed).
- CULane labels resampled at h_samples for TuSimple.

`--out FILE` writes seeded random cases plus hand-made edge cases, each with this script's
results, as JSON; Tests/EvaluationTests/OfficialMetricTests.swift scores the same cases in Swift
and requires equal results.
"""

import argparse
import itertools
import json
import math

import numpy as np

PT_THRESH = 0.85
IOU_THRESH = 0.5
IOU_QUANTUM = 1073741824.0  # 2**30


# --- TuSimple (LaneEval.bench) -------------------------------------------------------------

def pixel_thresh(width):
    return 20.0 * width / 1280.0


def least_squares_slope(ys, xs):
    """k of x = k*y + b on centred data (what LinearRegression computes), sequential sums."""
    n = len(xs)
    sy = 0.0
    sx = 0.0
    for y, x in zip(ys, xs):
        sy += float(y)
        sx += float(x)
    my = sy / n
    mx = sx / n
    syy = 0.0
    sxy = 0.0
    for y, x in zip(ys, xs):
        dy = float(y) - my
        syy += dy * dy
        sxy += dy * (float(x) - mx)
    if not syy > 0:
        return 0.0
    return sxy / syy


def get_angle(xs, y_samples):
    xs, ys = xs[xs >= 0], y_samples[xs >= 0]
    if len(xs) > 1:
        k = least_squares_slope(ys, xs)
        theta = math.atan(k)
    else:
        theta = 0
    return theta


def line_accuracy(pred, gt, thresh):
    pred = np.array([p if p >= 0 else -100 for p in pred])
    gt = np.array([g if g >= 0 else -100 for g in gt])
    return np.sum(np.where(np.abs(pred - gt) < thresh, 1., 0.)) / len(gt)


def bench(pred, gt, y_samples, width):
    """Official LaneEval.bench (running time left out) with pixel_thresh scaled to `width`."""
    if any(len(p) != len(y_samples) for p in pred):
        raise Exception('Format of lanes error.')
    if len(gt) + 2 < len(pred):
        return 0., 0., 1.
    angles = [get_angle(np.array(x_gts, dtype=float), np.array(y_samples, dtype=float)) for x_gts in gt]
    threshs = [pixel_thresh(width) / math.cos(angle) for angle in angles]
    line_accs = []
    fp, fn = 0., 0.
    matched = 0.
    for x_gts, thresh in zip(gt, threshs):
        accs = [line_accuracy(np.array(x_preds, dtype=float), np.array(x_gts, dtype=float), thresh) for x_preds in pred]
        max_acc = np.max(accs) if len(accs) > 0 else 0.
        if max_acc < PT_THRESH:
            fn += 1
        else:
            matched += 1
        line_accs.append(max_acc)
    fp = len(pred) - matched
    if len(gt) > 4 and fn > 0:
        fn -= 1
    s = sum(line_accs)
    if len(gt) > 4:
        s -= min(line_accs)
    return (float(s / max(min(4.0, len(gt)), 1.)),
            float(fp / len(pred) if len(pred) > 0 else 0.),
            float(fn / max(min(len(gt), 4.), 1.)))


def empty_truth(gt):
    """Ours: no truth lane with a valid point (such frames are left out of the TuSimple means)."""
    return not any(any(x >= 0 for x in lane) for lane in gt)


# --- CULane F1 ------------------------------------------------------------------------------

def half_width(width):
    return 15.0 * width / 1640.0


def lane_points(lane, rows):
    return [(float(x), float(y)) for x, y in zip(lane, rows) if x >= 0]


def segment_inside(x, y, a, b, r2):
    ax, ay = a
    bx, by = b
    dx = bx - ax
    dy = by - ay
    len2 = dx * dx + dy * dy
    px = x - ax
    py = y - ay
    dot = px * dx + py * dy
    near_a = px * px + py * py <= r2
    if len2 == 0:
        return near_a
    qx = x - bx
    qy = y - by
    near_b = qx * qx + qy * qy <= r2
    cross = px * dy - py * dx
    band = cross * cross <= r2 * len2
    return np.where(dot <= 0, near_a, np.where(dot >= len2, near_b, band))


def raster(points, width, height):
    """Set of (row, column) pixels whose centre (column, row) lies within r of the polyline,
    as (top, left, boolean window); None when empty."""
    r = half_width(width)
    r2 = r * r
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    left = max(0, int(math.floor(min(xs) - r)) - 2)
    right = min(width - 1, int(math.ceil(max(xs) + r)) + 2)
    top = max(0, int(math.floor(min(ys) - r)) - 2)
    bottom = min(height - 1, int(math.ceil(max(ys) + r)) + 2)
    if left > right or top > bottom:
        return None
    inside = np.zeros((bottom - top + 1, right - left + 1), dtype=bool)
    for a, b in zip(points[:-1], points[1:]):
        # Every pixel within r of the segment lies in its bounding box widened by r (+2).
        l0 = max(left, int(math.floor(min(a[0], b[0]) - r)) - 2)
        l1 = min(right, int(math.ceil(max(a[0], b[0]) + r)) + 2)
        t0 = max(top, int(math.floor(min(a[1], b[1]) - r)) - 2)
        t1 = min(bottom, int(math.ceil(max(a[1], b[1]) + r)) + 2)
        if l0 > l1 or t0 > t1:
            continue
        x, y = np.meshgrid(np.arange(l0, l1 + 1, dtype=float), np.arange(t0, t1 + 1, dtype=float))
        inside[t0 - top:t1 - top + 1, l0 - left:l1 - left + 1] |= segment_inside(x, y, a, b, r2)
    if not inside.any():
        return None
    return top, left, inside


def iou(ra, rb):
    area_a = int(ra[2].sum()) if ra is not None else 0
    area_b = int(rb[2].sum()) if rb is not None else 0
    inter = 0
    if ra is not None and rb is not None:
        (ta, la, ma), (tb, lb, mb) = ra, rb
        t0 = max(ta, tb)
        t1 = min(ta + ma.shape[0], tb + mb.shape[0])
        l0 = max(la, lb)
        l1 = min(la + ma.shape[1], lb + mb.shape[1])
        if t0 < t1 and l0 < l1:
            wa = ma[t0 - ta:t1 - ta, l0 - la:l1 - la]
            wb = mb[t0 - tb:t1 - tb, l0 - lb:l1 - lb]
            inter = int(np.count_nonzero(wa & wb))
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def culane_counts(pred_points, truth_points, width, height):
    preds = [raster(p, width, height) for p in pred_points if len(p) >= 2]
    truths = [raster(t, width, height) for t in truth_points if len(t) >= 2]
    m, n = len(preds), len(truths)
    if m == 0 or n == 0:
        return 0, m, n
    ious = [[iou(p, t) for t in truths] for p in preds]
    best = None
    # Brute force over one-to-one assignments of the smaller side into the larger one.
    if m >= n:
        assignments = (list(zip(perm, range(n))) for perm in itertools.permutations(range(m), n))
    else:
        assignments = (list(zip(range(m), perm)) for perm in itertools.permutations(range(n), m))
    for pairs in assignments:
        total = sum(int(math.floor(ious[p][t] * IOU_QUANTUM)) for p, t in pairs)
        hits = sum(1 for p, t in pairs if ious[p][t] >= IOU_THRESH)
        if best is None or (total, hits) > best:
            best = (total, hits)
    tp = best[1]
    return tp, m - tp, n - tp


# --- CULane labels --------------------------------------------------------------------------

def culane_rows(lanes, height, step=10):
    ys = [y for lane in lanes for _, y in lane]
    if not ys:
        return []
    first = max(0, int(math.ceil(min(ys))))
    return list(range(first, height, step))


def resample(lane, rows):
    order = sorted(range(len(lane)), key=lambda i: (lane[i][1], i))
    pts = [lane[i] for i in order]
    out = []
    for row in rows:
        y = float(row)
        if not pts or y < pts[0][1] or y > pts[-1][1]:
            out.append(-2.0)
            continue
        k = next(i for i, p in enumerate(pts) if p[1] >= y)
        bx, by = pts[k]
        if by == y:
            x = bx
        else:
            ax, ay = pts[k - 1]
            x = ax + (bx - ax) * (y - ay) / (by - ay)
        out.append(x if x >= 0 else -2.0)
    return out


# --- cases ----------------------------------------------------------------------------------

def evaluate(case):
    rows = case["rows"]
    width, height = case["width"], case["height"]
    truth_points = case.get("truth_points")
    if truth_points is not None:
        truth = [resample([tuple(p) for p in lane], rows) for lane in truth_points]
        culane_truth = [[tuple(p) for p in lane] for lane in truth_points]
    else:
        truth = case["truth"]
        culane_truth = [lane_points(lane, rows) for lane in truth]
    acc, fp, fn = bench(case["pred"], truth, rows, width)
    tp, cfp, cfn = culane_counts([lane_points(p, rows) for p in case["pred"]], culane_truth, width, height)
    out = {"accuracy": acc, "fp": fp, "fn": fn, "empty_truth": empty_truth(truth),
           "culane_tp": tp, "culane_fp": cfp, "culane_fn": cfn}
    if truth_points is not None:
        out["truth"] = truth
    return out


SIZES = [(1280, 720), (640, 360), (1640, 590), (960, 540)]


def default_rows(width, height, rng):
    step = int(rng.choice([10, 10, 10, 7, 20]))
    first = int(height * rng.uniform(0.3, 0.5))
    return list(range(first, height, step))


def curve(rng, width, rows, x_bottom=None, steep=False):
    bottom = rows[-1]
    x0 = x_bottom if x_bottom is not None else rng.uniform(-0.2, 1.2) * width
    k = rng.uniform(-3.0, 3.0) if not steep else rng.choice([-1, 1]) * rng.uniform(4.0, 12.0)
    c = rng.uniform(-0.004, 0.004)
    return [x0 + k * (bottom - y) * (-1 if x0 > width / 2 else 1) * 0.5 + c * (bottom - y) ** 2 for y in rows]


def rounded(rng, xs):
    mode = rng.integers(0, 3)
    if mode == 0:
        return [round(x, 1) for x in xs]
    if mode == 1:
        return [float(round(x)) for x in xs]
    return [float(x) for x in xs]


def with_gaps(rng, xs, rows, extent=True, dropouts=True):
    n = len(xs)
    out = list(xs)
    if extent and n > 2:
        start = int(rng.integers(0, n // 2))
        end = int(rng.integers(max(start + 1, n // 2), n + 1))
        out = [x if start <= i < end else -2.0 for i, x in enumerate(out)]
    if dropouts:
        for i in range(n):
            if rng.uniform() < 0.04:
                out[i] = -2.0
    return [x if x >= 0 else -2.0 for x in out]


def random_case(rng, index):
    width, height = SIZES[int(rng.integers(0, len(SIZES)))]
    rows = default_rows(width, height, rng)
    steep = rng.uniform() < 0.1
    n_truth = int(rng.choice([0, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5]))
    truth_clean = [curve(rng, width, rows, x_bottom=width * (0.1 + 0.8 * (i + rng.uniform(0, 0.6)) / max(n_truth, 1)),
                         steep=steep and i == 0) for i in range(n_truth)]
    truth = [with_gaps(rng, rounded(rng, lane), rows, dropouts=rng.uniform() < 0.3) for lane in truth_clean]
    pred = []
    for lane, labeled in zip(truth_clean, truth):
        if rng.uniform() < 0.15:
            continue  # missed
        noise = rng.choice([0.0, 0.5, 2.0, 2.0, 5.0, 12.0])
        offset = rng.choice([0.0, 0.0, 0.0, 3.0, 10.0, 18.0, 25.0]) * rng.choice([-1, 1])
        xs = [x + offset + rng.normal(0, noise) if noise > 0 else x + offset for x in lane]
        extent = rng.uniform()
        if extent < 0.6:
            # Where the truth is labeled (a detector that saw exactly the labeled stretch).
            xs = [x if t >= 0 else -2.0 for x, t in zip(xs, labeled)]
            pred.append([x if x >= 0 else -2.0 for x in xs])
        else:
            # Extended beyond the truth's rows (official: those points count against), or cut.
            pred.append(with_gaps(rng, xs, rows, extent=extent < 0.8, dropouts=rng.uniform() < 0.5))
    for _ in range(int(rng.choice([0, 0, 0, 1, 1, 2, 4]))):
        pred.append(with_gaps(rng, curve(rng, width, rows), rows, extent=rng.uniform() < 0.5, dropouts=False))
    order = rng.permutation(len(pred))
    pred = [rounded(rng, pred[i]) for i in order]
    pred = [[x if x >= 0 else -2.0 for x in lane] for lane in pred]
    return {"name": f"random-{index}", "width": width, "height": height, "rows": rows, "pred": pred, "truth": truth}


def random_culane_case(rng, index):
    width, height = 1640, 590
    n_truth = int(rng.integers(1, 5))
    lanes = []
    for i in range(n_truth):
        x_bottom = width * (0.05 + 0.9 * (i + rng.uniform(0, 0.5)) / n_truth)
        top = rng.uniform(240, 330)
        ys = list(np.arange(590.0, top, -rng.choice([10.0, 20.0, 17.5])))
        k = (width / 2 - x_bottom) / (590 - 230)
        lanes.append([[round(x_bottom + k * (590 - y) + rng.normal(0, 1.5), 3), float(y)] for y in ys])
    rows = culane_rows(lanes, height)
    truth = [resample([tuple(p) for p in lane], rows) for lane in lanes]
    pred = []
    for lane in truth:
        if rng.uniform() < 0.2:
            continue
        off = rng.choice([0.0, 4.0, 15.0, 40.0])
        pred.append([x + off + rng.normal(0, 2.0) if x >= 0 else -2.0 for x in lane])
    if rng.uniform() < 0.3:
        pred.append([width * 0.5 + 0.3 * (r - rows[0]) for r in rows])
    return {"name": f"culane-{index}", "width": width, "height": height, "rows": rows, "pred": pred,
            "truth_points": lanes}


def edge_cases():
    cases = []
    rows = list(range(160, 720, 10))  # TuSimple 1280x720: 56 rows
    n = len(rows)

    def vertical(x, start=0, end=n):
        return [float(x) if start <= i < end else -2.0 for i in range(n)]

    def add(name, pred, truth, width=1280, height=720, case_rows=None):
        cases.append({"name": name, "width": width, "height": height, "rows": case_rows or rows,
                      "pred": pred, "truth": truth})

    add("extended-prediction", [vertical(300)], [vertical(300, 20, n)])
    add("both-absent-rows-are-hits", [vertical(300, 20, n)], [vertical(300, 20, n)])
    add("missing-truth-rows", [vertical(305)], [[300.0 if i % 3 else -2.0 for i in range(n)]])
    add("five-truth-four-found", [vertical(x) for x in (100, 300, 500, 700)], [vertical(x) for x in (100, 300, 500, 700, 900)])
    add("five-truth-three-found", [vertical(x) for x in (100, 300, 500)], [vertical(x) for x in (100, 300, 500, 700, 900)])
    add("five-truth-five-found", [vertical(x + 3) for x in (100, 300, 500, 700, 900)], [vertical(x) for x in (100, 300, 500, 700, 900)])
    add("too-many-predictions", [vertical(x) for x in (100, 300, 500, 700, 900)], [vertical(300), vertical(500)])
    add("truth-plus-two-is-allowed", [vertical(x) for x in (100, 300, 500, 700)], [vertical(300), vertical(500)])
    add("no-predictions", [], [vertical(300), vertical(700)])
    add("empty-truth-lanes", [vertical(300)], [vertical(-2), vertical(-2)])
    add("no-truth-lanes", [vertical(300)], [])
    add("no-truth-no-prediction", [], [])
    add("all-absent-prediction", [vertical(-2)], [vertical(300)])
    add("threshold-boundary", [vertical(320), vertical(319.999)], [vertical(300), vertical(300)])
    # Steep lane: threshold 20 / cos(atan 6) ≈ 121.7 > 100, so x near 0 where the truth is absent
    # (−100) is a hit, the −100 trick at work.
    steep_rows = list(range(600, 720, 10))
    steep = [6.0 * (y - 600) if y >= 640 else -2.0 for y in steep_rows]
    steep_pred = [6.0 * (y - 600) + 5 if y >= 640 else 1.0 for y in steep_rows]
    add("steep-lane-minus-100-trick", [steep_pred], [steep], case_rows=steep_rows)
    add("steep-lane-640", [[x / 2 for x in steep_pred]], [[x / 2 if x >= 0 else -2.0 for x in steep]], width=640, height=360,
        case_rows=[y // 2 for y in steep_rows])
    add("width-640", [vertical(150 + 9.9)], [vertical(150)], width=640, height=360, case_rows=[y // 2 for y in rows])
    rows_1640 = list(range(250, 590, 10))
    add("width-1640", [[800 + 25.5] * len(rows_1640), [400 + 25.7] * len(rows_1640)],
        [[800.0] * len(rows_1640), [400.0] * len(rows_1640)], width=1640, height=590, case_rows=rows_1640)
    add("single-point-lanes", [vertical(300, 10, 11), vertical(700)], [vertical(300, 10, 11), vertical(700)])
    add("duplicate-predictions", [vertical(300), vertical(300)], [vertical(300)])
    add("lane-beyond-right-edge", [vertical(1290)], [vertical(1275)])
    add("crossing-lanes", [[200.0 + 10 * i for i in range(n)], [760.0 - 10 * i for i in range(n)]],
        [[205.0 + 10 * i for i in range(n)], [755.0 - 10 * i for i in range(n)]])
    for d in (7, 8, 12):
        add(f"iou-offset-{d}", [vertical(300 + d)], [vertical(300)])
    # Equal IoU totals (0.6 + 0.4 vs 0.5 + 0.5 kind of ties are broken towards more pairs ≥ 0.5).
    add("assignment-two-by-two", [vertical(300), vertical(318)], [vertical(307), vertical(326)])
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="JSON file for the cases and their expected results")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cases", type=int, default=300, help="random TuSimple-style cases")
    parser.add_argument("--culane-cases", type=int, default=40, help="random cases with CULane-style truth")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    cases = edge_cases()
    cases += [random_case(rng, i) for i in range(args.cases)]
    cases += [random_culane_case(rng, i) for i in range(args.culane_cases)]
    for case in cases:
        case["expected"] = evaluate(case)
    with open(args.out, "w") as f:
        json.dump({"seed": args.seed, "cases": cases}, f)
    tusimple = [c["expected"] for c in cases if not c["expected"]["empty_truth"]]
    tp = sum(c["expected"]["culane_tp"] for c in cases)
    print(f"{len(cases)} cases; TuSimple mean accuracy {np.mean([e['accuracy'] for e in tusimple]):.4f} over "
          f"{len(tusimple)} frames with truth; CULane TP {tp}")


if __name__ == "__main__":
    main()
