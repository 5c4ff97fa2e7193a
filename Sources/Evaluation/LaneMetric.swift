import Foundation

/// The TuSimple lane accuracy, exactly as design/drives.md defines it (which follows TuSimple's
/// `LaneEval.bench`):
/// - pixel_thresh = 20 · width / 1280, pt_thresh = 0.85;
/// - a ground-truth lane's threshold is pixel_thresh / cos(angle), angle = atan of the slope of
///   the least-squares line x = k·y + d through its valid points (0 with fewer than two);
/// - a prediction's accuracy against a truth lane is the share of the truth's valid points where
///   |x_pred − x_gt| < threshold; a missing prediction (−2) at such a row is a miss;
/// - each truth lane takes its best prediction; below pt_thresh it is a false negative, otherwise
///   matched; false positives = #pred − #matched;
/// - frame accuracy = Σ best / max(min(4, #gt), 1); with more than 4 truth lanes the worst best
///   accuracy is dropped from the sum and one false negative forgiven (as TuSimple does);
///   FP rate = FP / #pred (0 without predictions); FN rate = FN / max(min(#gt, 4), 1).
public enum LaneMetric {
    public static let ptThresh = 0.85

    public static func pixelThreshold(imageWidth: Int) -> Double { 20 * Double(imageWidth) / 1280 }

    /// One frame's score. Counts are kept next to the rates so overall figures can be audited.
    public struct FrameScore: Sendable, Equatable, Codable {
        public var accuracy: Double
        public var fpRate: Double
        public var fnRate: Double
        public var truthLanes: Int
        public var predictedLanes: Int
        public var matched: Int
        /// Best accuracy of each truth lane, in the label's lane order.
        public var bestAccuracies: [Double]
        /// Whether both lanes bounding the vehicle were matched; nil when the truth lacks one of them.
        public var egoPairMatched: Bool?
    }

    /// Angle (radians) of the least-squares line x = k·y + d through the valid points.
    public static func angle(xs: [Double], rows: [Int]) -> Double {
        var n = 0.0, sy = 0.0, sx = 0.0, syy = 0.0, sxy = 0.0
        for (x, r) in zip(xs, rows) where x >= 0 {
            let y = Double(r)
            n += 1; sy += y; sx += x; syy += y * y; sxy += x * y
        }
        guard n > 1 else { return 0 }
        let denominator = n * syy - sy * sy
        guard denominator != 0 else { return 0 }
        let k = (n * sxy - sx * sy) / denominator
        return atan(k)
    }

    /// Share of `truth`'s valid points that `predicted` hits within `threshold`.
    public static func lineAccuracy(predicted: [Double], truth: [Double], threshold: Double) -> Double {
        var valid = 0, hits = 0
        for (p, g) in zip(predicted, truth) where g >= 0 {
            valid += 1
            if p >= 0 && abs(p - g) < threshold { hits += 1 }
        }
        return valid > 0 ? Double(hits) / Double(valid) : 0
    }

    /// Scores one frame. `predicted` and `truth` lanes are x arrays at `rows` (−2 = absent);
    /// truth lanes without any valid point are ignored (they hold nothing to match).
    public static func score(predicted: [[Double]], truth allTruth: [[Double]], rows: [Int], imageWidth: Int) -> FrameScore {
        let truth = allTruth.filter { $0.contains { $0 >= 0 } }
        let pixelThresh = pixelThreshold(imageWidth: imageWidth)
        var best: [Double] = []
        var matched = 0, fn = 0
        for gt in truth {
            let threshold = pixelThresh / cos(angle(xs: gt, rows: rows))
            let accuracy = predicted.map { lineAccuracy(predicted: $0, truth: gt, threshold: threshold) }.max() ?? 0
            if accuracy < ptThresh { fn += 1 } else { matched += 1 }
            best.append(accuracy)
        }
        let fp = predicted.count - matched
        var sum = best.reduce(0, +)
        if truth.count > 4 {
            sum -= best.min() ?? 0
            if fn > 0 { fn -= 1 }
        }
        let denominator = Double(max(min(4, truth.count), 1))
        let ego = egoPair(truth: truth, rows: rows, imageWidth: imageWidth)
        let egoMatched: Bool? = ego.map { best[$0.left] >= ptThresh && best[$0.right] >= ptThresh }
        return FrameScore(accuracy: sum / denominator,
                          fpRate: predicted.isEmpty ? 0 : Double(fp) / Double(predicted.count),
                          fnRate: Double(fn) / denominator,
                          truthLanes: truth.count, predictedLanes: predicted.count, matched: matched,
                          bestAccuracies: best, egoPairMatched: egoMatched)
    }

    /// The two truth lanes bounding the vehicle: the lanes nearest the image centre on each side,
    /// judged where each lane's fitted line crosses its lowest labeled row's level extended to
    /// the lowest row of the label (the camera looks along the vehicle's axis).
    public static func egoPair(truth: [[Double]], rows: [Int], imageWidth: Int) -> (left: Int, right: Int)? {
        guard let bottom = rows.max() else { return nil }
        let centre = Double(imageWidth) / 2
        var left: (Int, Double)?, right: (Int, Double)?
        for (i, lane) in truth.enumerated() {
            guard let x = bottomX(lane, rows: rows, bottom: Double(bottom)) else { continue }
            if x < centre {
                if left == nil || x > left!.1 { left = (i, x) }
            } else if right == nil || x < right!.1 {
                right = (i, x)
            }
        }
        guard let l = left, let r = right else { return nil }
        return (l.0, r.0)
    }

    /// The lane's x at row `bottom`, from the least-squares line through its valid points.
    static func bottomX(_ lane: [Double], rows: [Int], bottom: Double) -> Double? {
        var n = 0.0, sy = 0.0, sx = 0.0, syy = 0.0, sxy = 0.0
        for (x, r) in zip(lane, rows) where x >= 0 {
            let y = Double(r)
            n += 1; sy += y; sx += x; syy += y * y; sxy += x * y
        }
        guard n > 0 else { return nil }
        guard n > 1, n * syy - sy * sy != 0 else { return sx / n }
        let k = (n * sxy - sx * sy) / (n * syy - sy * sy)
        let d = (sx - k * sy) / n
        return k * bottom + d
    }
}

/// Means of frame scores over a set of frames (all labeled frames, or the exposure-affected ones).
public struct ScoreSummary: Sendable, Equatable, Codable {
    public var frames = 0
    public var accuracy = 0.0
    public var fpRate = 0.0
    public var fnRate = 0.0
    /// Share of frames (among those whose truth has both ego lanes) with both ego lanes matched.
    public var egoPairRate: Double?
    public var egoPairFrames = 0

    private var sumAccuracy = 0.0, sumFP = 0.0, sumFN = 0.0, egoMatched = 0

    enum CodingKeys: String, CodingKey {
        case frames, accuracy, fpRate = "fp_rate", fnRate = "fn_rate", egoPairRate = "ego_pair_rate", egoPairFrames = "ego_pair_frames"
    }

    public init() {}

    public mutating func add(_ score: LaneMetric.FrameScore) {
        frames += 1
        sumAccuracy += score.accuracy
        sumFP += score.fpRate
        sumFN += score.fnRate
        if let ego = score.egoPairMatched {
            egoPairFrames += 1
            if ego { egoMatched += 1 }
        }
        let n = Double(frames)
        accuracy = sumAccuracy / n
        fpRate = sumFP / n
        fnRate = sumFN / n
        egoPairRate = egoPairFrames > 0 ? Double(egoMatched) / Double(egoPairFrames) : nil
    }

    public mutating func merge(_ other: ScoreSummary) {
        frames += other.frames
        sumAccuracy += other.sumAccuracy
        sumFP += other.sumFP
        sumFN += other.sumFN
        egoPairFrames += other.egoPairFrames
        egoMatched += other.egoMatched
        let n = Double(max(frames, 1))
        accuracy = sumAccuracy / n
        fpRate = sumFP / n
        fnRate = sumFN / n
        egoPairRate = egoPairFrames > 0 ? Double(egoMatched) / Double(egoPairFrames) : nil
    }
}
