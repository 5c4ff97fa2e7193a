import Foundation
import Imaging
import Lanes

/// The camera's motion over the road plane, measured from the frames as filmed (`restorer.align:
/// road-plane`).
///
/// Road units are the camera profile's bird's-eye units (`BirdsEyeView`): u across the road (the
/// ego lane's left and right lines at 0 and 1), v along it (0 and 1 = the near and far edge of the
/// profile's road rectangle). Seen from above, a car driving forward moves the road towards the
/// camera: a point at (u, v) in one frame sits at (u + Δlateral, v + Δforward) in a frame taken
/// Δ earlier — a rigid shift (heading changes of a few milliradians per second are left out).
///
/// Per frame: the luma at half size is resampled onto a bird's-eye grid of the near road
/// (`columns` × `rows` cells, ≈ 0.03 lane widths × 0.008 rectangle lengths), hole pixels and
/// cells outside the ROI marked invalid; a local mean (box of 7×7 cells) is subtracted, so the
/// camera-fixed shading (vignetting, headlight pools, the exposure step itself) does not pull the
/// match to zero. The grid is matched against the last *key* grid (the last frame with enough
/// valid road) by normalized cross-correlation over the cells valid in both, searching integer
/// cell shifts around the prediction (frames since the key × the velocity) and refining with a
/// parabola per axis. A match is reliable when enough cells overlap, the peak NCC is high enough
/// and the peak is inside the search window; then the pose is the key's pose plus the shift and
/// the velocity (per frame) follows. Otherwise — the road mostly a hole — the pose moves on at the
/// last reliable velocity (constant speed). All buffers are sized on the first frame and reused.
public final class RoadPlaneMotion {
    /// Camera position on the road plane, accumulated since the start (road units).
    public struct Pose: Sendable, Equatable {
        public var forward: Double
        public var lateral: Double
        public init(forward: Double = 0, lateral: Double = 0) {
            self.forward = forward
            self.lateral = lateral
        }
    }

    public let geometry: RoadGeometry
    public let imageToRoad: Homography
    public let roadToImage: Homography
    public let columns: Int, rows: Int
    public let uMin: Double, du: Double, vMin: Double, dv: Double
    /// Shares of the grid's cells a frame must show (valid) to become the key, and that must
    /// overlap for a reliable match; the peak NCC a reliable match needs.
    public var keyValidShare = 0.2
    public var minOverlapShare = 0.08
    public var minCorrelation = 0.3
    /// How much the peak NCC must exceed the best NCC 3 or more rows away (forward ambiguity).
    public var minDistinctness = 0.05
    /// Whether the camera-fixed background is subtracted before matching.
    public var removesBackground = true
    /// Frames (decayed weight) the background must average before it is subtracted.
    public var backgroundMinFrames: Float = 20
    /// Frames a key grid is matched against before the current frame replaces it.
    public var keyInterval = 6
    /// Decay per frame of the camera-fixed background's running mean.
    public var backgroundDecay: Float = 0.97

    public private(set) var pose = Pose()
    /// Road units per frame; nil until the first reliable match.
    public private(set) var velocity: Pose?
    /// Whether the pose can be pasted through: a forward speed has been measured. Before that
    /// (or when the road offered nothing to match), road hole pixels take the network's path.
    public var isTrusted: Bool {
        framesSinceReliable <= trustFrames && ((velocity ?? lastKnownVelocity)?.forward ?? 0) > 2 * dv / Double(keyInterval)
    }
    /// Frames after the last reliable match for which the extrapolated pose is still pasted through.
    public var trustFrames = 45
    private var framesSinceReliable = Int.max / 2
    /// Whether the last update measured the motion (true) or extrapolated it.
    public private(set) var lastReliable = false
    /// Peak NCC of the last match (0 when none ran).
    public private(set) var lastCorrelation = 0.0
    public private(set) var frames = 0

    // Per grid cell: top-left source index in the half-size luma and bilinear fractions; -1 outside.
    private var tapIndex: [Int32] = []
    private var tapFx: [Float] = [], tapFy: [Float] = []
    private var halfWidth = 0, halfHeight = 0
    private var luma: [Float] = []
    private var lumaValid: [UInt8] = []
    private var current: [Float] = [], currentValid: [UInt8] = []
    private var key: [Float] = [], keyValid: [UInt8] = []
    private var raw: [Float] = [], rawValid: [UInt8] = []
    /// Per cell, a running mean of the high-passed grid: what stays put in the image (lens glare,
    /// the low sun's sheen, vignetting) and would pull the match to zero shift.
    private var background: [Float] = [], backgroundWeight: [Float] = []
    private var integral: [Double] = [], integralCount: [Int32] = []
    private var hasKey = false
    /// Distinct matches the constant-speed gate rejected in a row (after 4 the speed is re-measured).
    private var rejectedInARow = 0
    private var lastDistinct = false
    private var unmatchedInARow = 0
    /// The velocity before a wide re-search, extrapolated until a match succeeds again.
    private var lastKnownVelocity: Pose?
    private var keyPose = Pose()
    private var framesSinceKey = 0
    private var prepared = ImageSize(width: 0, height: 0)
    private var scores: [Double] = []

    /// nil when the geometry has no usable bird's-eye homography.
    public init?(geometry: RoadGeometry, columns: Int = 100, rows: Int = 140, uRange: ClosedRange<Double> = -1...2, vFar: Double = 1.0) {
        guard geometry.problem == nil, let toRoad = Homography(from: geometry.roadQuad, to: RoadGeometry.unitRoadQuad) else { return nil }
        self.geometry = geometry
        imageToRoad = toRoad
        roadToImage = toRoad.inverse
        self.columns = columns
        self.rows = rows
        uMin = uRange.lowerBound
        du = (uRange.upperBound - uRange.lowerBound) / Double(columns)
        // From the image's bottom row to vFar.
        let size = geometry.imageSize
        let centreX = (geometry.roadQuad[0].x + geometry.roadQuad[3].x) / 2
        let bottom = toRoad.apply(centreX, Double(size.height) - 0.5).y
        vMin = min(bottom, 0)
        dv = (max(vFar, vMin + 0.2) - vMin) / Double(rows)
    }

    /// Road coordinates of grid cell (column, row); rows run from near (0) to far.
    public func road(column: Int, row: Int) -> Point2 {
        Point2(uMin + (Double(column) + 0.5) * du, vMin + (Double(row) + 0.5) * dv)
    }

    private func prepare(size: ImageSize) {
        guard size != prepared else { return }
        prepared = size
        let g = geometry.imageSize == size ? geometry : geometry.scaled(to: size)
        let toImage = (Homography(from: g.roadQuad, to: RoadGeometry.unitRoadQuad) ?? imageToRoad).inverse
        halfWidth = max(1, size.width / 2)
        halfHeight = max(1, size.height / 2)
        let roi = g.roiMask()
        let cells = columns * rows
        tapIndex = [Int32](repeating: -1, count: cells)
        tapFx = [Float](repeating: 0, count: cells)
        tapFy = [Float](repeating: 0, count: cells)
        let horizon = g.horizonY ?? -1
        for r in 0..<rows {
            for c in 0..<columns {
                let p = road(column: c, row: r)
                let q = toImage.apply(p.x, p.y)
                // Full-size position (pixel centres at +0.5) → half-size bilinear coordinates.
                guard q.x.isFinite, q.y.isFinite, q.y > horizon + 2 else { continue }
                let xi = Int(q.x), yi = Int(q.y)
                guard q.x >= 0, q.y >= 0, xi < size.width, yi < size.height, roi.values[yi * size.width + xi] != 0 else { continue }
                let hx = q.x / 2 - 0.5, hy = q.y / 2 - 0.5
                let x0 = Int(hx.rounded(.down)), y0 = Int(hy.rounded(.down))
                guard x0 >= 0, y0 >= 0, x0 + 1 < halfWidth, y0 + 1 < halfHeight else { continue }
                let k = r * columns + c
                tapIndex[k] = Int32(y0 * halfWidth + x0)
                tapFx[k] = Float(hx - Double(x0))
                tapFy[k] = Float(hy - Double(y0))
            }
        }
        luma = [Float](repeating: 0, count: halfWidth * halfHeight)
        lumaValid = [UInt8](repeating: 0, count: halfWidth * halfHeight)
        current = [Float](repeating: 0, count: cells)
        currentValid = [UInt8](repeating: 0, count: cells)
        key = current
        keyValid = currentValid
        raw = current
        rawValid = currentValid
        background = current
        backgroundWeight = current
        integral = [Double](repeating: 0, count: (rows + 1) * (columns + 1))
        integralCount = [Int32](repeating: 0, count: (rows + 1) * (columns + 1))
        scores = [Double](repeating: 0, count: 64 * 64)
        reset()
    }

    /// Forgets the motion (a cut, a new drive). Buffers are kept.
    public func reset() {
        pose = Pose()
        velocity = nil
        lastKnownVelocity = nil
        framesSinceReliable = Int.max / 2
        for k in background.indices { background[k] = 0; backgroundWeight[k] = 0 }
        hasKey = false
        framesSinceKey = 0
        rejectedInARow = 0
        unmatchedInARow = 0
        lastReliable = false
        frames = 0
    }

    /// Measures (or extrapolates) the motion from the last key to `frame` (as filmed; `holes` ≠ 0
    /// are not looked at) and returns the frame's pose.
    @discardableResult
    public func update(frame: RGBImage, holes: Mask) -> Pose {
        prepare(size: frame.size)
        frames += 1
        framesSinceReliable += 1
        let validShare = sampleGrid(frame: frame, holes: holes)
        lastReliable = false
        lastDistinct = false
        lastCorrelation = 0
        guard hasKey else {
            if validShare >= keyValidShare { makeKey() }
            return pose
        }
        framesSinceKey += 1
        let n = Double(framesSinceKey)
        let predicted = velocity.map { Pose(forward: keyPose.forward + n * $0.forward, lateral: keyPose.lateral + n * $0.lateral) }
        if validShare >= minOverlapShare,
           let shift = match(predicted: predicted.map { Pose(forward: $0.forward - keyPose.forward, lateral: $0.lateral - keyPose.lateral) }),
           plausible(shift, frames: n) || rejectedInARow >= 4 {
            let remeasured = rejectedInARow >= 4
            rejectedInARow = 0
            lastReliable = true
            framesSinceReliable = 0
            let measured = Pose(forward: shift.forward / n, lateral: shift.lateral / n)
            if let v = velocity, !remeasured {
                // Speed changes slowly; one match in a partly clipped frame must not set it.
                velocity = Pose(forward: 0.7 * v.forward + 0.3 * measured.forward, lateral: 0.5 * v.lateral + 0.5 * measured.lateral)
            } else {
                velocity = measured
            }
            pose = Pose(forward: keyPose.forward + shift.forward, lateral: keyPose.lateral + shift.lateral)
        } else if let v = velocity ?? lastKnownVelocity {
            // Constant speed through the frames whose road cannot be matched.
            pose = Pose(forward: pose.forward + v.forward, lateral: pose.lateral + v.lateral)
        }
        if !lastReliable && lastDistinct { rejectedInARow += 1 } else if lastReliable { rejectedInARow = 0 }
        // Road in view but no match for a while: the speed is probably wrong (the window misses
        // the true shift); search wide again.
        if !lastReliable && validShare >= keyValidShare { unmatchedInARow += 1 } else if lastReliable { unmatchedInARow = 0 }
        if unmatchedInARow >= 8, let v = velocity {
            lastKnownVelocity = v
            velocity = nil
            unmatchedInARow = 0
        }
        // A key is kept for `keyInterval` frames: matching every frame against the one before
        // would add each match's sub-cell error to the pose, a random walk with a bias.
        if validShare >= keyValidShare && (framesSinceKey >= keyInterval || !lastReliable) { makeKey() }
        return pose
    }

    /// A measured forward shift within 30 % (and a cell or two) of the constant-speed prediction;
    /// anything is plausible before the first measurement.
    private func plausible(_ shift: Pose, frames n: Double) -> Bool {
        // A forward camera does not drive backwards: a match that says so locked onto something
        // that stays put in the image (the low sun's glare, a headlight pool).
        guard shift.forward > -dv else { return false }
        guard let v = velocity else { return true }
        return abs(shift.forward - n * v.forward) <= 0.3 * abs(n * v.forward) + 2 * dv
    }

    private func makeKey() {
        swap(&key, &current)
        swap(&keyValid, &currentValid)
        keyPose = pose
        hasKey = true
        framesSinceKey = 0
    }

    /// Fills `current`/`currentValid` (high-passed luma on the grid); returns the valid share.
    private func sampleGrid(frame: RGBImage, holes: Mask) -> Double {
        let fw = frame.width, hw = halfWidth, hh = halfHeight
        // Half-size luma (2×2 mean); a half pixel is valid when none of its four is a hole.
        frame.pixels.withUnsafeBufferPointer { px in
            holes.values.withUnsafeBufferPointer { h in
                luma.withUnsafeMutableBufferPointer { l in
                    lumaValid.withUnsafeMutableBufferPointer { lv in
                        for y in 0..<hh {
                            let r0 = 2 * y * fw, r1 = r0 + fw
                            for x in 0..<hw {
                                let a = r0 + 2 * x, b = a + 1, c = r1 + 2 * x, d = c + 1
                                @inline(__always) func y8(_ i: Int) -> Int { 77 * Int(px[3 * i]) + 150 * Int(px[3 * i + 1]) + 29 * Int(px[3 * i + 2]) }
                                l[y * hw + x] = Float(y8(a) + y8(b) + y8(c) + y8(d)) / (4 * 256)
                                lv[y * hw + x] = (h[a] | h[b] | h[c] | h[d]) == 0 ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        var valid = 0, inside = 0
        let cells = columns * rows
        for k in 0..<cells {
            rawValid[k] = 0
            let t = Int(tapIndex[k])
            guard t >= 0 else { continue }
            inside += 1
            guard lumaValid[t] != 0, lumaValid[t + 1] != 0, lumaValid[t + hw] != 0, lumaValid[t + hw + 1] != 0 else { continue }
            let fx = tapFx[k], fy = tapFy[k]
            let top = luma[t] + (luma[t + 1] - luma[t]) * fx
            let bottom = luma[t + hw] + (luma[t + hw + 1] - luma[t + hw]) * fx
            raw[k] = top + (bottom - top) * fy
            rawValid[k] = 1
        }
        // High-pass: subtract the mean of the valid cells in a 7×7 box.
        let iw = columns + 1
        for r in 0..<rows {
            var rowSum = 0.0
            var rowCount: Int32 = 0
            for c in 0..<columns {
                let k = r * columns + c
                if rawValid[k] != 0 { rowSum += Double(raw[k]); rowCount += 1 }
                integral[(r + 1) * iw + c + 1] = integral[r * iw + c + 1] + rowSum
                integralCount[(r + 1) * iw + c + 1] = integralCount[r * iw + c + 1] + rowCount
            }
        }
        let radius = 3
        for r in 0..<rows {
            let r0 = max(0, r - radius), r1 = min(rows, r + radius + 1)
            for c in 0..<columns {
                let k = r * columns + c
                currentValid[k] = 0
                guard rawValid[k] != 0 else { continue }
                let c0 = max(0, c - radius), c1 = min(columns, c + radius + 1)
                let count = integralCount[r1 * iw + c1] - integralCount[r0 * iw + c1] - integralCount[r1 * iw + c0] + integralCount[r0 * iw + c0]
                guard count >= 12 else { continue }
                let sum = integral[r1 * iw + c1] - integral[r0 * iw + c1] - integral[r1 * iw + c0] + integral[r0 * iw + c0]
                let value = raw[k] - Float(sum / Double(count))
                // Camera-fixed patterns out: subtract the cell's running mean over the frames.
                // Only once it averages enough frames: a short mean is a trail of the moving road
                // just behind each cell, and subtracting it biases the match toward zero shift.
                let weight = backgroundWeight[k]
                let mean = weight >= backgroundMinFrames ? background[k] / weight : 0
                background[k] = backgroundDecay * background[k] + value
                backgroundWeight[k] = backgroundDecay * weight + 1
                current[k] = removesBackground ? value - mean : value
                currentValid[k] = 1
                valid += 1
            }
        }
        return inside > 0 ? Double(valid) / Double(inside) : 0
    }

    /// The shift (key → current, road units) maximizing the NCC, or nil when not reliable.
    private func match(predicted: Pose?) -> Pose? {
        // Search window in cells: around the prediction, or wide before the first measurement.
        let n = framesSinceKey
        let centreRow: Int, centreColumn: Int, rowRadius: Int, columnRadius: Int
        if let p = predicted {
            centreRow = Int((p.forward / dv).rounded())
            centreColumn = Int((p.lateral / du).rounded())
            rowRadius = min(3 + n, 20)
            columnRadius = min(2 + n / 2, 8)
        } else {
            centreRow = 12 * n
            centreColumn = 0
            rowRadius = min(12 * n + 2, 30)
            columnRadius = 4
        }
        let rowSpan = 2 * rowRadius + 1, columnSpan = 2 * columnRadius + 1
        guard rowSpan * columnSpan <= scores.count else { return nil }
        let minOverlap = max(50, Int(minOverlapShare * Double(columns * rows)))
        var best = -2.0, bestR = 0, bestC = 0
        for dr in 0..<rowSpan {
            for dc in 0..<columnSpan {
                let s = correlation(rowShift: centreRow - rowRadius + dr, columnShift: centreColumn - columnRadius + dc, minOverlap: minOverlap)
                scores[dr * columnSpan + dc] = s
                if s > best { best = s; bestR = dr; bestC = dc }
            }
        }
        lastCorrelation = max(best, 0)
        guard best >= minCorrelation, bestR > 0, bestR < rowSpan - 1, bestC > 0 || columnSpan == 1, bestC < columnSpan - 1 || columnSpan == 1 else { return nil }
        // The aperture problem: solid lines and smooth road fix the lateral shift but not the
        // forward one. The forward peak must stand out from the shifts 3+ rows away.
        var away = -2.0
        for dr in 0..<rowSpan where abs(dr - bestR) >= 3 {
            for dc in 0..<columnSpan { away = max(away, scores[dr * columnSpan + dc]) }
        }
        guard best - away >= minDistinctness else { return nil }
        lastDistinct = true
        func refine(_ a: Double, _ b: Double, _ c: Double) -> Double {
            let d = a - 2 * b + c
            guard d < 0, a > -2, c > -2 else { return 0 }
            return max(-0.5, min(0.5, 0.5 * (a - c) / d))
        }
        let fr = refine(scores[(bestR - 1) * columnSpan + bestC], best, scores[(bestR + 1) * columnSpan + bestC])
        let fc = columnSpan > 1 ? refine(scores[bestR * columnSpan + bestC - 1], best, scores[bestR * columnSpan + bestC + 1]) : 0
        let rowShift = Double(centreRow - rowRadius + bestR) + fr
        let columnShift = Double(centreColumn - columnRadius + bestC) + fc
        return Pose(forward: rowShift * dv, lateral: columnShift * du)
    }

    /// NCC between current cell (c, r) and key cell (c + columnShift, r + rowShift) over the cells
    /// valid in both; -2 when fewer than `minOverlap` overlap.
    private func correlation(rowShift: Int, columnShift: Int, minOverlap: Int) -> Double {
        let r0 = max(0, -rowShift), r1 = min(rows, rows - rowShift)
        let c0 = max(0, -columnShift), c1 = min(columns, columns - columnShift)
        guard r1 > r0, c1 > c0 else { return -2 }
        var sa: Float = 0, sb: Float = 0, sab: Float = 0, saa: Float = 0, sbb: Float = 0
        var count = 0
        current.withUnsafeBufferPointer { a in
            key.withUnsafeBufferPointer { b in
                currentValid.withUnsafeBufferPointer { av in
                    keyValid.withUnsafeBufferPointer { bv in
                        for r in r0..<r1 {
                            let ra = r * columns, rb = (r + rowShift) * columns + columnShift
                            for c in c0..<c1 where av[ra + c] & bv[rb + c] != 0 {
                                let x = a[ra + c], y = b[rb + c]
                                sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y
                                count += 1
                            }
                        }
                    }
                }
            }
        }
        guard count >= minOverlap else { return -2 }
        let m = Double(count)
        let cov = Double(sab) - Double(sa) * Double(sb) / m
        let va = Double(saa) - Double(sa) * Double(sa) / m, vb = Double(sbb) - Double(sb) * Double(sb) / m
        guard va > 1e-9, vb > 1e-9 else { return -2 }
        return cov / (va * vb).squareRoot()
    }
}
