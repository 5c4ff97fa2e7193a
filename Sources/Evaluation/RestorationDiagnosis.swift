import Imaging

/// Where a restoring variant (restored, copy-last, median) loses lanes on exposure-affected
/// frames, measured on the lane paint the labels mark (issue 16: "diagnosis first").
///
/// Per affected labeled frame with clean truth, the paint pixels (a band around each true lane,
/// `LanePaint`) are split by what happened to them:
/// - **missed**: in a truth hole but not in the live hole mask, so restoration never saw them;
/// - **over-detected**: in the live hole mask but not in a truth hole (good filmed paint replaced);
/// - **unseen**: in the live hole mask and left as filmed — no reference showed them;
/// - **filled**: in the live hole mask and replaced; their mean absolute error against the clean
///   frame says whether the copy landed on the paint (a large error: alignment off, or the
///   reference too old or itself a restoration).
///
/// A frame where the variant is behind clean (or behind the better copy baseline) by more than
/// `margin` is attributed to the first cause that holds, in this order: hole detection missed
/// the paint, no reference showed it, the paste is wrong, holes were over-detected; otherwise the
/// paint came back right and the detector still lost the lane (seams, or the detector itself).
public enum RestorationDiagnosis {
    /// Thresholds of the attribution (shares of the frame's paint pixels; error in 8-bit levels).
    public struct Thresholds: Sendable {
        public var margin = 0.02
        public var missedShare = 0.25
        public var unseenShare = 0.25
        public var pasteError = 30.0
        public var overDetectedShare = 0.5
        public init() {}
    }

    public enum Cause: String, Codable, CaseIterable, Sendable {
        case holeMissed = "hole_missed"
        case unseen
        case wrongPaste = "wrong_paste"
        case overDetected = "over_detected"
        case detector
    }

    /// Paint pixel counts of one frame for one variant.
    public struct Evidence: Sendable, Equatable {
        public var paint = 0
        /// Paint in truth holes (nil: the drive has no truth masks; holes are the live ones).
        public var inTruthHoles: Int?
        public var missed = 0
        public var overDetected = 0
        public var filled = 0
        public var unseen = 0
        /// Σ over filled paint pixels of the mean |restored − clean| over R, G, B.
        public var filledError = 0.0
        public init() {}

        public var inLiveHoles: Int { filled + unseen }
        public var meanFilledError: Double? { filled > 0 ? filledError / Double(filled) : nil }
    }

    /// Counts `paint` pixels by what restoration did to them. `filmed` is the frame as filmed,
    /// `restored` the variant's output, `clean` the truth; `truthHoles` nil when the drive has no
    /// truth masks (then `liveHoles` are all there is, and nothing counts as missed).
    public static func measure(paint: Mask, filmed: RGBImage, restored: RGBImage, clean: RGBImage,
                               truthHoles: Mask?, liveHoles: Mask) -> Evidence {
        var e = Evidence()
        var inTruth = 0
        let n = paint.values.count
        precondition(filmed.pixels.count == 3 * n && restored.pixels.count == 3 * n && clean.pixels.count == 3 * n && liveHoles.values.count == n,
                     "diagnosis needs the frames, masks and paint at one size")
        for i in 0..<n where paint.values[i] != 0 {
            e.paint += 1
            let truth = truthHoles.map { $0.values[i] != 0 }
            let live = liveHoles.values[i] != 0
            if truth == true { inTruth += 1 }
            if truth == true && !live { e.missed += 1 }
            if truth == false && live { e.overDetected += 1 }
            guard live else { continue }
            let p = 3 * i
            if restored.pixels[p] == filmed.pixels[p] && restored.pixels[p + 1] == filmed.pixels[p + 1] && restored.pixels[p + 2] == filmed.pixels[p + 2] {
                e.unseen += 1
            } else {
                e.filled += 1
                var d = 0
                for c in 0..<3 { d += abs(Int(restored.pixels[p + c]) - Int(clean.pixels[p + c])) }
                e.filledError += Double(d) / 3
            }
        }
        e.inTruthHoles = truthHoles == nil ? nil : inTruth
        return e
    }

    /// The cause a frame behind its reference is attributed to.
    public static func cause(_ e: Evidence, thresholds t: Thresholds = .init()) -> Cause {
        if let truth = e.inTruthHoles, truth > 0, Double(e.missed) >= t.missedShare * Double(truth) { return .holeMissed }
        if e.inLiveHoles > 0, Double(e.unseen) >= t.unseenShare * Double(e.inLiveHoles) { return .unseen }
        if let error = e.meanFilledError, error >= t.pasteError { return .wrongPaste }
        if e.inLiveHoles > 0, Double(e.overDetected) >= t.overDetectedShare * Double(e.inLiveHoles) { return .overDetected }
        return .detector
    }
}

/// The diagnosis of one restoring variant over a drive (or pooled): report.json `diagnosis`.
public struct DiagnosisSummary: Codable, Sendable, Equatable {
    /// Exposure-affected labeled frames with clean truth that were diagnosed.
    public var frames = 0
    /// Frames behind clean by more than the margin, per cause.
    public var behindClean: [String: Int] = [:]
    /// Frames behind the better of copy-last and median by more than the margin, per cause
    /// (restored only, and only where both baselines were replayed).
    public var behindBaseline: [String: Int]?
    /// Paint pixel counts summed over the diagnosed frames.
    public var paintPixels = 0
    public var paintInTruthHoles = 0
    public var missed = 0
    public var overDetected = 0
    public var filled = 0
    public var unseen = 0
    public var filledErrorSum = 0.0

    enum CodingKeys: String, CodingKey {
        case frames, behindClean = "behind_clean", behindBaseline = "behind_baseline", paintPixels = "paint_pixels"
        case paintInTruthHoles = "paint_in_truth_holes", missed, overDetected = "over_detected", filled, unseen
        case filledErrorSum = "filled_error_sum"
    }

    public init() {}

    /// Mean |restored − clean| of the filled paint pixels (8-bit levels).
    public var meanFilledError: Double? { filled > 0 ? filledErrorSum / Double(filled) : nil }

    public mutating func add(_ e: RestorationDiagnosis.Evidence, behindClean: RestorationDiagnosis.Cause?, behindBaseline: RestorationDiagnosis.Cause??) {
        frames += 1
        paintPixels += e.paint
        paintInTruthHoles += e.inTruthHoles ?? 0
        missed += e.missed
        overDetected += e.overDetected
        filled += e.filled
        unseen += e.unseen
        filledErrorSum += e.filledError
        if let c = behindClean { self.behindClean[c.rawValue, default: 0] += 1 }
        if let baseline = behindBaseline {
            var counts = self.behindBaseline ?? [:]
            if let c = baseline { counts[c.rawValue, default: 0] += 1 }
            self.behindBaseline = counts
        }
    }

    public mutating func merge(_ o: DiagnosisSummary) {
        frames += o.frames
        paintPixels += o.paintPixels
        paintInTruthHoles += o.paintInTruthHoles
        missed += o.missed
        overDetected += o.overDetected
        filled += o.filled
        unseen += o.unseen
        filledErrorSum += o.filledErrorSum
        for (k, v) in o.behindClean { behindClean[k, default: 0] += v }
        if let b = o.behindBaseline {
            var counts = behindBaseline ?? [:]
            for (k, v) in b { counts[k, default: 0] += v }
            behindBaseline = counts
        }
    }
}

/// The lane paint of a label at the processing size: pixels within `radius` of the polylines
/// through each lane's points (label pixels mapped by pixel centres, as `LaneReadout` maps them).
public enum LanePaint {
    public static func rasterize(lanes: [[Double]], rows: [Int], labelSize: ImageSize, into mask: inout Mask, radius: Double) {
        for i in mask.values.indices { mask.values[i] = 0 }
        let sx = Double(mask.width) / Double(labelSize.width), sy = Double(mask.height) / Double(labelSize.height)
        for lane in lanes {
            var previous: (Double, Double)?
            for (x, r) in zip(lane, rows) {
                guard x >= 0 else { previous = nil; continue }
                let p = ((x + 0.5) * sx - 0.5, (Double(r) + 0.5) * sy - 0.5)
                if let q = previous { segment(q, p, radius: radius, into: &mask) } else { segment(p, p, radius: radius, into: &mask) }
                previous = p
            }
        }
    }

    /// Marks pixels whose centre lies within `radius` of the segment a–b.
    static func segment(_ a: (Double, Double), _ b: (Double, Double), radius: Double, into mask: inout Mask) {
        let x0 = max(0, Int((min(a.0, b.0) - radius).rounded(.down))), x1 = min(mask.width - 1, Int((max(a.0, b.0) + radius).rounded(.up)))
        let y0 = max(0, Int((min(a.1, b.1) - radius).rounded(.down))), y1 = min(mask.height - 1, Int((max(a.1, b.1) + radius).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let dx = b.0 - a.0, dy = b.1 - a.1, length2 = dx * dx + dy * dy, r2 = radius * radius
        for y in y0...y1 {
            for x in x0...x1 {
                let px = Double(x) - a.0, py = Double(y) - a.1
                let t = length2 > 0 ? min(1, max(0, (px * dx + py * dy) / length2)) : 0
                let ex = px - t * dx, ey = py - t * dy
                if ex * ex + ey * ey <= r2 { mask.values[y * mask.width + x] = 1 }
            }
        }
    }
}
