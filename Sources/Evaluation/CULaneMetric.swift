import Drives
import Foundation

/// The CULane F1 of one frame, as docs/design/metrics.md defines it (after the CULane
/// benchmark's evaluation; the raster is ours, defined exactly so that
/// evaluation/metrics_reference.py reproduces it):
///
/// - each lane (prediction and truth) is the polyline through its points in order (for x arrays
///   at h_samples: the present points, x ≥ 0, in row order, gaps bridged); a lane with fewer than
///   2 points is ignored, as the CULane evaluation ignores it (neither a prediction nor a truth);
/// - lane width 30 px at 1640 px wide, scaled by width / 1640; half-width r = 15 · width / 1640;
/// - raster: pixel (i, j), 0 ≤ i < width, 0 ≤ j < height, is the point (x = i, y = j) — pixel
///   centres at whole coordinates, the convention of the labels' x and h_samples — and belongs to
///   the lane when its distance to the polyline is ≤ r. Per segment A→B, with d = B − A,
///   p = (i, j) − A: if p·d ≤ 0 (or A = B) the test is |p|² ≤ r², if p·d ≥ |d|² it is
///   |(i, j) − B|² ≤ r², else (p × d)² ≤ r²·|d|² (no division, so both implementations agree bit
///   for bit);
/// - IoU = |A ∩ B| / |A ∪ B| of the two rasters (0 when the union is empty);
/// - predictions and truths are matched one to one maximizing the total IoU (the CULane
///   evaluation uses the Hungarian algorithm); for an exact, reproducible optimum each IoU enters
///   the total as ⌊IoU · 2³⁰⌋ (integers) and equal totals prefer more pairs with IoU ≥ 0.5;
/// - TP = matched pairs with IoU ≥ 0.5, FP = #pred − TP, FN = #truth − TP (lanes with ≥ 2 points).
///
/// Cost: each lane is rasterized only inside its bounding box, as row spans (one span per
/// segment and row, with the exact test applied at the span's ends only), and pixel IoU is
/// computed only for pairs whose bounding boxes meet.
public enum CULaneMetric {
    public static let iouThreshold = 0.5
    /// Scale of the quantized IoU in the assignment's total.
    public static let iouQuantum = 1_073_741_824.0

    /// Half the lane width: 15 px at 1640 px wide, scaled by width / 1640.
    public static func halfWidth(imageWidth: Int) -> Double { 15 * Double(imageWidth) / 1640 }

    /// Per-frame CULane counts (lanes with ≥ 2 points).
    public struct Counts: Sendable, Equatable, Codable {
        public var tp = 0
        public var fp = 0
        public var fn = 0
        public init(tp: Int = 0, fp: Int = 0, fn: Int = 0) {
            self.tp = tp
            self.fp = fp
            self.fn = fn
        }
    }

    /// Lanes given as x at `rows` (negative = absent) → polylines through the present points.
    public static func polylines(_ lanes: [[Double]], rows: [Int]) -> [[LanePoint]] {
        lanes.map { lane in
            var points: [LanePoint] = []
            points.reserveCapacity(lane.count)
            for (x, r) in zip(lane, rows) where x >= 0 { points.append(LanePoint(x: x, y: Double(r))) }
            return points
        }
    }

    /// TP / FP / FN of one frame.
    public static func counts(predicted: [[LanePoint]], truth: [[LanePoint]], imageWidth: Int, imageHeight: Int?) -> Counts {
        let height = imageHeight ?? Int(Int32.max)
        let r = halfWidth(imageWidth: imageWidth)
        let preds = predicted.filter { $0.count >= 2 }.map { Raster(polyline: $0, width: imageWidth, height: height, r: r) }
        let truths = truth.filter { $0.count >= 2 }.map { Raster(polyline: $0, width: imageWidth, height: height, r: r) }
        let m = preds.count, n = truths.count
        guard m > 0 && n > 0 else { return Counts(tp: 0, fp: m, fn: n) }
        var ious = [Double](repeating: 0, count: m * n)
        var anyHit = false
        for p in 0..<m {
            for t in 0..<n {
                let iou = preds[p].iou(truths[t])
                ious[p * n + t] = iou
                if iou >= iouThreshold { anyHit = true }
            }
        }
        let tp = anyHit ? assignedTruePositives(ious: ious, predictions: m, truths: n) : 0
        return Counts(tp: tp, fp: m - tp, fn: n - tp)
    }

    /// IoU of two polylines' rasters (for tests and tools).
    public static func iou(_ a: [LanePoint], _ b: [LanePoint], imageWidth: Int, imageHeight: Int) -> Double {
        let r = halfWidth(imageWidth: imageWidth)
        return Raster(polyline: a, width: imageWidth, height: imageHeight, r: r)
            .iou(Raster(polyline: b, width: imageWidth, height: imageHeight, r: r))
    }

    /// Pixels of a polyline's raster (for tests and tools).
    public static func area(_ lane: [LanePoint], imageWidth: Int, imageHeight: Int) -> Int {
        Raster(polyline: lane, width: imageWidth, height: imageHeight, r: halfWidth(imageWidth: imageWidth)).area
    }

    /// The one-to-one assignment of predictions to truths with the largest Σ ⌊IoU · 2³⁰⌋, then
    /// the most pairs with IoU ≥ 0.5; returns that pair count. Dynamic programming over subsets
    /// of the smaller side (lanes per frame are few). `ious` is row-major [prediction][truth].
    public static func assignedTruePositives(ious: [Double], predictions m: Int, truths n: Int) -> Int {
        let small = min(m, n), large = max(m, n)
        precondition(small <= 16, "too many lanes in one frame for the exact assignment")
        func iou(_ l: Int, _ s: Int) -> Double { m <= n ? ious[s * n + l] : ious[l * n + s] }
        let states = 1 << small
        // (Σ quantized IoU, pairs ≥ 0.5); −1: unreachable.
        var total = [Int](repeating: -1, count: states), hits = [Int](repeating: 0, count: states)
        var nextTotal = total, nextHits = hits
        total[0] = 0
        for l in 0..<large {
            for i in 0..<states { nextTotal[i] = total[i]; nextHits[i] = hits[i] }
            for mask in 0..<states where total[mask] >= 0 {
                for s in 0..<small where mask & (1 << s) == 0 {
                    let v = iou(l, s)
                    let t = total[mask] + Int((v * iouQuantum).rounded(.down))
                    let h = hits[mask] + (v >= iouThreshold ? 1 : 0)
                    let to = mask | (1 << s)
                    if t > nextTotal[to] || (t == nextTotal[to] && h > nextHits[to]) {
                        nextTotal[to] = t
                        nextHits[to] = h
                    }
                }
            }
            swap(&total, &nextTotal)
            swap(&hits, &nextHits)
        }
        var bestTotal = -1, bestHits = 0
        for mask in 0..<states where total[mask] > bestTotal || (total[mask] == bestTotal && hits[mask] > bestHits) {
            bestTotal = total[mask]
            bestHits = hits[mask]
        }
        return bestHits
    }

    /// A lane's raster as sorted, disjoint column spans per row, inside its bounding box.
    struct Raster {
        /// Rows firstRow ..< firstRow + rowCount; spans of row k are spans[rowStart[k] ..< rowStart[k + 1]].
        var firstRow = 0
        var rowCount = 0
        var rowStart: [Int32] = [0]
        /// (first column, last column), inclusive.
        var spans: [(Int32, Int32)] = []
        var minColumn = Int.max, maxColumn = Int.min
        var area = 0

        init(polyline points: [LanePoint], width: Int, height: Int, r: Double) {
            let points = points.filter { $0.x.isFinite && $0.y.isFinite }
            guard points.count >= 2, width > 0, height > 0 else { return }
            let r2 = r * r
            var minY = Double.infinity, maxY = -Double.infinity
            for p in points { minY = min(minY, p.y); maxY = max(maxY, p.y) }
            let top = Self.clamped(minY - r, 0, height - 1, up: false)
            let bottom = Self.clamped(maxY + r, 0, height - 1, up: true)
            guard minY - r <= Double(height), maxY + r >= -1 else { return }
            guard top <= bottom else { return }
            // Spans of every segment on every row it reaches, then bucketed by row.
            var raw: [(row: Int32, lo: Int32, hi: Int32)] = []
            raw.reserveCapacity(points.count * (Int(2 * r) + 14))
            for k in 0..<(points.count - 1) {
                let a = points[k], b = points[k + 1]
                let r0 = Self.clamped(min(a.y, b.y) - r, top, bottom, up: false)
                let r1 = Self.clamped(max(a.y, b.y) + r, top, bottom, up: true)
                guard min(a.y, b.y) - r <= Double(bottom) + 1, max(a.y, b.y) + r >= Double(top) - 1 else { continue }
                guard r0 <= r1 else { continue }
                for j in r0...r1 {
                    if let span = Self.segmentSpan(a, b, row: j, r: r, r2: r2, width: width) {
                        raw.append((Int32(j), Int32(span.lo), Int32(span.hi)))
                    }
                }
            }
            guard !raw.isEmpty else { return }
            let rows = bottom - top + 1
            var counts = [Int32](repeating: 0, count: rows + 1)
            for s in raw { counts[Int(s.row) - top + 1] += 1 }
            for k in 0..<rows { counts[k + 1] += counts[k] }
            var bucketed = [(Int32, Int32)](repeating: (0, 0), count: raw.count)
            var fill = counts
            for s in raw {
                let k = Int(s.row) - top
                bucketed[Int(fill[k])] = (s.lo, s.hi)
                fill[k] += 1
            }
            // Merge each row's spans (sorted by first column; touching spans join).
            firstRow = top
            rowCount = rows
            rowStart = [Int32](repeating: 0, count: rows + 1)
            spans.reserveCapacity(rows)
            for k in 0..<rows {
                let start = Int(counts[k]), end = Int(counts[k + 1])
                if end > start + 1 {
                    // Insertion sort: a row holds a few spans.
                    for i in (start + 1)..<end {
                        let v = bucketed[i]
                        var j = i - 1
                        while j >= start && bucketed[j].0 > v.0 {
                            bucketed[j + 1] = bucketed[j]
                            j -= 1
                        }
                        bucketed[j + 1] = v
                    }
                }
                var i = start
                while i < end {
                    var (lo, hi) = bucketed[i]
                    i += 1
                    while i < end && bucketed[i].0 <= hi + 1 {
                        hi = max(hi, bucketed[i].1)
                        i += 1
                    }
                    spans.append((lo, hi))
                    area += Int(hi - lo) + 1
                    minColumn = min(minColumn, Int(lo))
                    maxColumn = max(maxColumn, Int(hi))
                }
                rowStart[k + 1] = Int32(spans.count)
            }
        }

        /// `v` rounded down (or up) and widened by one, clamped to [lo, hi] (safe for any finite v).
        @inline(__always)
        static func clamped(_ v: Double, _ lo: Int, _ hi: Int, up: Bool) -> Int {
            let c = min(max(v, Double(lo) - 2), Double(hi) + 2)
            return min(max(up ? Int(c.rounded(.up)) + 1 : Int(c.rounded(.down)) - 1, lo), hi)
        }

        /// Whether pixel (i, j) lies within r of segment a→b (the exact test of the definition).
        @inline(__always)
        static func inside(_ i: Int, _ j: Int, _ a: LanePoint, _ b: LanePoint, r2: Double) -> Bool {
            let x = Double(i), y = Double(j)
            let dx = b.x - a.x, dy = b.y - a.y
            let len2 = dx * dx + dy * dy
            let px = x - a.x, py = y - a.y
            let dot = px * dx + py * dy
            if dot <= 0 || len2 == 0 { return px * px + py * py <= r2 }
            if dot >= len2 {
                let qx = x - b.x, qy = y - b.y
                return qx * qx + qy * qy <= r2
            }
            let cross = px * dy - py * dx
            return cross * cross <= r2 * len2
        }

        /// The columns of row j within r of segment a→b, clipped to [0, width): the analytic
        /// interval (discs at the ends, band along the segment), then its ends settled with the
        /// exact test.
        static func segmentSpan(_ a: LanePoint, _ b: LanePoint, row j: Int, r: Double, r2: Double, width: Int) -> (lo: Int, hi: Int)? {
            let y = Double(j)
            var lo = Double.infinity, hi = -Double.infinity
            let slack = 1e-6
            let da = y - a.y, discA = r2 - da * da
            if discA >= -slack {
                let s = discA > 0 ? discA.squareRoot() : 0
                lo = min(lo, a.x - s)
                hi = max(hi, a.x + s)
            }
            let db = y - b.y, discB = r2 - db * db
            if discB >= -slack {
                let s = discB > 0 ? discB.squareRoot() : 0
                lo = min(lo, b.x - s)
                hi = max(hi, b.x + s)
            }
            let dx = b.x - a.x, dy = b.y - a.y
            let len2 = dx * dx + dy * dy
            if len2 > 0 {
                let py = y - a.y
                var bandLo = -Double.infinity, bandHi = Double.infinity, empty = false
                let rl = r * len2.squareRoot()
                if dy != 0 {
                    let c1 = (py * dx - rl) / dy, c2 = (py * dx + rl) / dy
                    bandLo = min(c1, c2)
                    bandHi = max(c1, c2)
                } else if abs(py) > r + slack {
                    empty = true
                }
                if dx != 0 {
                    let d1 = -py * dy / dx, d2 = (len2 - py * dy) / dx
                    bandLo = max(bandLo, min(d1, d2))
                    bandHi = min(bandHi, max(d1, d2))
                } else {
                    let dot = py * dy
                    if dot < 0 || dot > len2 { empty = true }
                }
                if !empty && bandLo <= bandHi {
                    lo = min(lo, a.x + bandLo)
                    hi = max(hi, a.x + bandHi)
                }
            }
            guard lo <= hi, hi >= -1, lo <= Double(width) else { return nil }
            var i0 = clamped(lo, 0, width - 1, up: false), i1 = clamped(hi, 0, width - 1, up: true)
            guard i0 <= i1 else { return nil }
            while i0 <= i1 && !inside(i0, j, a, b, r2: r2) { i0 += 1 }
            guard i0 <= i1 else { return nil }
            while i1 > i0 && !inside(i1, j, a, b, r2: r2) { i1 -= 1 }
            while i0 > 0 && inside(i0 - 1, j, a, b, r2: r2) { i0 -= 1 }
            while i1 < width - 1 && inside(i1 + 1, j, a, b, r2: r2) { i1 += 1 }
            return (i0, i1)
        }

        /// |A ∩ B| / |A ∪ B|; 0 when the union is empty. Bounding boxes are compared first.
        func iou(_ o: Raster) -> Double {
            let union0 = area + o.area
            guard union0 > 0 else { return 0 }
            let r0 = max(firstRow, o.firstRow), r1 = min(firstRow + rowCount, o.firstRow + o.rowCount)
            guard area > 0, o.area > 0, r0 < r1, minColumn <= o.maxColumn, o.minColumn <= maxColumn else { return 0 }
            var inter = 0
            for row in r0..<r1 {
                var i = Int(rowStart[row - firstRow]), k = Int(o.rowStart[row - o.firstRow])
                let iEnd = Int(rowStart[row - firstRow + 1]), kEnd = Int(o.rowStart[row - o.firstRow + 1])
                while i < iEnd && k < kEnd {
                    let (alo, ahi) = spans[i], (blo, bhi) = o.spans[k]
                    let lo = max(alo, blo), hi = min(ahi, bhi)
                    if lo <= hi { inter += Int(hi - lo) + 1 }
                    if ahi < bhi { i += 1 } else { k += 1 }
                }
            }
            return Double(inter) / Double(union0 - inter)
        }
    }
}
