import Drives
import Foundation

/// Lane accuracy of one frame: the official TuSimple metric (`LaneEval.bench` of the TuSimple
/// benchmark, reproduced exactly; docs/design/metrics.md), the CULane F1 counts
/// (`CULaneMetric`), and our ego-pair diagnostic.
///
/// TuSimple, per frame (`predicted` and `truth` are x arrays at the h_samples `rows`, a negative x
/// is "absent"):
/// - pixel_thresh = 20 px at 1280 px wide, scaled by width / 1280 for other widths
///   (TuSimple images are all 1280 wide); pt_thresh = 0.85;
/// - a truth lane's threshold is pixel_thresh / cos(angle), angle = atan(k) of the least-squares
///   fit x = k·y + b through its valid points (0 with one point or none);
/// - line accuracy: absent points become −100 in prediction and truth alike, then the share of
///   ALL rows (len(gt), not only the truth's valid ones) where |pred − gt| < threshold: a predicted
///   point where the truth has none counts against, both absent counts as a hit;
/// - the truth lanes are every lane of the label (none filtered out);
/// - more than #truth + 2 predicted lanes: the frame scores accuracy 0, FP 0, FN 1 (TuSimple's
///   early return);
/// - each truth lane takes its best prediction; below 0.85 it is a false negative, else matched;
///   FP = #pred − #matched; with more than 4 truth lanes one FN is forgiven (if any) and the
///   lowest best accuracy is left out of the sum; accuracy = Σ best / max(min(4, #gt), 1);
///   FP rate = FP / #pred (0 without predictions); FN rate = FN / max(min(#gt, 4), 1).
///
/// Deviation from TuSimple (ours): a frame whose truth has no lane with a valid point is marked
/// `emptyTruth`; summaries count it (`ScoreSummary.emptyTruthFrames`) and leave it out of the
/// TuSimple means instead of scoring it 0. It still counts for CULane (its predictions are FPs).
public enum LaneMetric {
    public static let ptThresh = 0.85
    /// TuSimple's value for an absent point inside `lineAccuracy`.
    public static let absentValue = -100.0

    /// TuSimple's pixel_thresh (20 at 1280 px), scaled to the image width.
    public static func pixelThreshold(imageWidth: Int) -> Double { 20 * Double(imageWidth) / 1280 }

    /// One frame's score. Counts are kept next to the rates so overall figures can be audited.
    public struct FrameScore: Sendable, Equatable, Codable {
        /// TuSimple accuracy, FP rate and FN rate of the frame (official values).
        public var accuracy: Double
        public var fpRate: Double
        public var fnRate: Double
        /// len(gt): every lane of the label.
        public var truthLanes: Int
        public var predictedLanes: Int
        /// Truth lanes whose best prediction reached pt_thresh (0 on TuSimple's early return).
        public var matched: Int
        /// Best TuSimple line accuracy of each truth lane, in the label's lane order (computed on
        /// the early return too, for the ego pair).
        public var bestAccuracies: [Double]
        /// The truth has no lane with a valid point: left out of the TuSimple means.
        public var emptyTruth: Bool
        /// More than #truth + 2 predictions: TuSimple's early return (0, 0, 1).
        public var tooManyPredictions: Bool
        /// Whether both lanes bounding the vehicle have a best accuracy ≥ pt_thresh; nil when the
        /// truth lacks one of them (ours, not TuSimple's).
        public var egoPairMatched: Bool?
        /// CULane F1 counts of the frame.
        public var culane: CULaneMetric.Counts
    }

    /// Angle (radians) of the least-squares line x = k·y + b through the valid points (x ≥ 0):
    /// atan(k), with k = Σ(y − ȳ)(x − x̄) / Σ(y − ȳ)² (the centred fit TuSimple's LinearRegression
    /// does); 0 with fewer than two points or a single row.
    public static func angle(xs: [Double], rows: [Int]) -> Double {
        var n = 0, sy = 0.0, sx = 0.0
        for (x, r) in zip(xs, rows) where x >= 0 {
            n += 1; sy += Double(r); sx += x
        }
        guard n > 1 else { return 0 }
        let my = sy / Double(n), mx = sx / Double(n)
        var syy = 0.0, sxy = 0.0
        for (x, r) in zip(xs, rows) where x >= 0 {
            let dy = Double(r) - my
            syy += dy * dy
            sxy += dy * (x - mx)
        }
        guard syy > 0 else { return 0 }
        return atan(sxy / syy)
    }

    /// TuSimple's line accuracy: absent points (< 0) are −100 on both sides, then the share of all
    /// of `truth`'s rows where |pred − gt| < threshold. A prediction shorter than the truth is
    /// absent at the missing rows.
    public static func lineAccuracy(predicted: [Double], truth: [Double], threshold: Double) -> Double {
        guard !truth.isEmpty else { return 0 }
        var hits = 0
        for i in truth.indices {
            let g = truth[i] >= 0 ? truth[i] : absentValue
            let raw = i < predicted.count ? predicted[i] : LaneLabel.absent
            let p = raw >= 0 ? raw : absentValue
            if abs(p - g) < threshold { hits += 1 }
        }
        return Double(hits) / Double(truth.count)
    }

    /// Scores one frame against a label: TuSimple on `label.lanes`, CULane with the label's own
    /// points when it has them (CULane labels) else its lanes at the h_samples.
    public static func score(predicted: [[Double]], label: LaneLabel, imageWidth: Int, imageHeight: Int) -> FrameScore {
        score(predicted: predicted, truth: label.lanes, rows: label.hSamples, imageWidth: imageWidth,
              imageHeight: imageHeight, truthPoints: label.points)
    }

    /// Scores one frame. `predicted` and `truth` lanes are x arrays at `rows` (−2 = absent).
    /// `imageHeight` bounds the CULane raster (nil: not bounded below); `truthPoints`, when given,
    /// are the truth lanes as polylines for CULane (else the truth arrays' valid points are).
    public static func score(predicted: [[Double]], truth: [[Double]], rows: [Int], imageWidth: Int,
                             imageHeight: Int? = nil, truthPoints: [[LanePoint]]? = nil) -> FrameScore {
        let pixelThresh = pixelThreshold(imageWidth: imageWidth)
        var best: [Double] = []
        best.reserveCapacity(truth.count)
        var matched = 0, fn = 0
        for gt in truth {
            let threshold = pixelThresh / cos(angle(xs: gt, rows: rows))
            var accuracy = 0.0
            for (k, p) in predicted.enumerated() {
                let a = lineAccuracy(predicted: p, truth: gt, threshold: threshold)
                if k == 0 || a > accuracy { accuracy = a }
            }
            if accuracy < ptThresh { fn += 1 } else { matched += 1 }
            best.append(accuracy)
        }
        let tooMany = predicted.count > truth.count + 2
        let accuracy: Double, fpRate: Double, fnRate: Double
        if tooMany {
            (accuracy, fpRate, fnRate) = (0, 0, 1)
            matched = 0
        } else {
            let fp = predicted.count - matched
            if truth.count > 4 && fn > 0 { fn -= 1 }
            var sum = 0.0
            for b in best { sum += b }
            if truth.count > 4 { sum -= best.min() ?? 0 }
            accuracy = sum / Double(max(min(4, truth.count), 1))
            fpRate = predicted.isEmpty ? 0 : Double(fp) / Double(predicted.count)
            fnRate = Double(fn) / Double(max(min(truth.count, 4), 1))
        }
        // Ego pair (ours): among the truth lanes with a valid point.
        let valid = truth.indices.filter { truth[$0].contains { $0 >= 0 } }
        let ego = egoPair(truth: valid.map { truth[$0] }, rows: rows, imageWidth: imageWidth)
        let egoMatched: Bool? = ego.map { best[valid[$0.left]] >= ptThresh && best[valid[$0.right]] >= ptThresh }
        let culane = CULaneMetric.counts(predicted: CULaneMetric.polylines(predicted, rows: rows),
                                         truth: truthPoints ?? CULaneMetric.polylines(truth, rows: rows),
                                         imageWidth: imageWidth, imageHeight: imageHeight)
        return FrameScore(accuracy: accuracy, fpRate: fpRate, fnRate: fnRate,
                          truthLanes: truth.count, predictedLanes: predicted.count, matched: matched,
                          bestAccuracies: best, emptyTruth: valid.isEmpty, tooManyPredictions: tooMany,
                          egoPairMatched: egoMatched, culane: culane)
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

/// Lane scores summed over a set of frames (all labeled frames, or the exposure-affected ones).
/// Holds sums and counts, so summaries merge exactly (also after a JSON round trip); the means
/// are derived from them.
///
/// - TuSimple: `accuracy`, `fpRate`, `fnRate` are means over the `frames − emptyTruthFrames`
///   frames whose truth has a lane (0 when there are none);
/// - CULane: TP / FP / FN summed over all `frames`; precision TP / (TP + FP), recall
///   TP / (TP + FN), F1 = 2TP / (2TP + FP + FN); nil where the denominator is 0;
/// - ego pair: share of frames (among those whose truth has both ego lanes) with both matched.
public struct ScoreSummary: Sendable, Equatable, Codable {
    /// Labeled frames scored.
    public var frames = 0
    /// Labeled frames whose truth has no lane with a valid point (left out of the TuSimple means).
    public var emptyTruthFrames = 0
    public var accuracy = 0.0
    public var fpRate = 0.0
    public var fnRate = 0.0
    /// Sums of the TuSimple frame values over the frames with truth.
    public var accuracySum = 0.0
    public var fpRateSum = 0.0
    public var fnRateSum = 0.0
    public var culaneTP = 0
    public var culaneFP = 0
    public var culaneFN = 0
    public var culanePrecision: Double?
    public var culaneRecall: Double?
    public var culaneF1: Double?
    public var egoPairRate: Double?
    public var egoPairFrames = 0
    public var egoPairMatched = 0

    /// Frames in the TuSimple means.
    public var tusimpleFrames: Int { frames - emptyTruthFrames }

    enum CodingKeys: String, CodingKey {
        case frames, emptyTruthFrames = "empty_truth_frames"
        case accuracy, fpRate = "fp_rate", fnRate = "fn_rate"
        case accuracySum = "accuracy_sum", fpRateSum = "fp_rate_sum", fnRateSum = "fn_rate_sum"
        case culaneTP = "culane_tp", culaneFP = "culane_fp", culaneFN = "culane_fn"
        case culanePrecision = "culane_precision", culaneRecall = "culane_recall", culaneF1 = "culane_f1"
        case egoPairRate = "ego_pair_rate", egoPairFrames = "ego_pair_frames", egoPairMatched = "ego_pair_matched"
    }

    public init() {}

    public mutating func add(_ score: LaneMetric.FrameScore) {
        frames += 1
        if score.emptyTruth {
            emptyTruthFrames += 1
        } else {
            accuracySum += score.accuracy
            fpRateSum += score.fpRate
            fnRateSum += score.fnRate
        }
        culaneTP += score.culane.tp
        culaneFP += score.culane.fp
        culaneFN += score.culane.fn
        if let ego = score.egoPairMatched {
            egoPairFrames += 1
            if ego { egoPairMatched += 1 }
        }
        update()
    }

    public mutating func merge(_ other: ScoreSummary) {
        frames += other.frames
        emptyTruthFrames += other.emptyTruthFrames
        accuracySum += other.accuracySum
        fpRateSum += other.fpRateSum
        fnRateSum += other.fnRateSum
        culaneTP += other.culaneTP
        culaneFP += other.culaneFP
        culaneFN += other.culaneFN
        egoPairFrames += other.egoPairFrames
        egoPairMatched += other.egoPairMatched
        update()
    }

    private mutating func update() {
        let n = Double(max(tusimpleFrames, 1))
        accuracy = accuracySum / n
        fpRate = fpRateSum / n
        fnRate = fnRateSum / n
        let tp = Double(culaneTP), fp = Double(culaneFP), fn = Double(culaneFN)
        culanePrecision = culaneTP + culaneFP > 0 ? tp / (tp + fp) : nil
        culaneRecall = culaneTP + culaneFN > 0 ? tp / (tp + fn) : nil
        culaneF1 = culaneTP + culaneFP + culaneFN > 0 ? 2 * tp / (2 * tp + fp + fn) : nil
        egoPairRate = egoPairFrames > 0 ? Double(egoPairMatched) / Double(egoPairFrames) : nil
    }
}
