import Evaluation
import Foundation
import Testing

/// Hand-computed cases for every rule of the official TuSimple metric (docs/design/metrics.md).
@Suite("LaneMetric")
struct LaneMetricTests {
    let rows = Array(stride(from: 100, through: 290, by: 10))  // 20 rows
    func vertical(_ x: Double) -> [Double] { rows.map { _ in x } }

    @Test func pixelThresholdScalesWithWidth() {
        #expect(LaneMetric.pixelThreshold(imageWidth: 1280) == 20)
        #expect(LaneMetric.pixelThreshold(imageWidth: 640) == 10)
        #expect(LaneMetric.pixelThreshold(imageWidth: 1640) == 25.625)
    }

    @Test func verticalLaneUsesThePlainThresholdStrictly() {
        // Width 1280 → 20 px; a vertical lane has angle 0 → threshold 20. |Δ| < 20 is a hit.
        #expect(LaneMetric.angle(xs: vertical(300), rows: rows) == 0)
        let hit = LaneMetric.score(predicted: [vertical(319.9)], truth: [vertical(300)], rows: rows, imageWidth: 1280)
        #expect(hit.accuracy == 1 && hit.matched == 1)
        let miss = LaneMetric.score(predicted: [vertical(320)], truth: [vertical(300)], rows: rows, imageWidth: 1280)
        #expect(miss.accuracy == 0 && miss.matched == 0)
    }

    @Test func slantedLaneWidensTheThresholdByOneOverCosine() {
        // x = y: slope 1 → angle 45° → threshold 20 / cos 45° = 28.28.
        let truth = rows.map { Double($0) }
        #expect(abs(LaneMetric.angle(xs: truth, rows: rows) - Double.pi / 4) < 1e-12)
        let within = LaneMetric.score(predicted: [truth.map { $0 + 28 }], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(within.accuracy == 1)
        let outside = LaneMetric.score(predicted: [truth.map { $0 + 28.5 }], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(outside.accuracy == 0)
    }

    @Test func lineAccuracyCountsEveryRowWithAbsentPointsAsMinusHundred() {
        // Truth valid on the first 10 of 20 rows. A prediction right on 8 of them, absent (−2 →
        // −100) on 2, and at 500 where the truth is absent (−100): 8 / 20 (TuSimple divides by
        // all rows; before: 8 / 10).
        let truth = rows.enumerated().map { $0.offset < 10 ? 300.0 : -2 }
        let pred = rows.enumerated().map { $0.offset < 8 ? 301.0 : ($0.offset < 10 ? -2 : 500) }
        let s = LaneMetric.score(predicted: [pred], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(abs(s.accuracy - 0.4) < 1e-12)
        #expect(s.matched == 0 && s.fnRate == 1 && s.fpRate == 1)
        // Absent where the truth is absent: both −100, a hit: (8 + 10) / 20 = 0.9 → matched.
        let quiet = rows.enumerated().map { $0.offset < 8 ? 301.0 : -2 }
        let q = LaneMetric.score(predicted: [quiet], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(abs(q.accuracy - 0.9) < 1e-12 && q.matched == 1 && q.fnRate == 0 && q.fpRate == 0)
    }

    @Test func aPredictionBeyondTheTruthsRowsCountsAgainstIt() {
        // Exact on the truth's 10 rows and continued over the 10 rows the truth lacks: 10 / 20.
        let truth = rows.enumerated().map { $0.offset >= 10 ? 300.0 : -2 }
        let s = LaneMetric.score(predicted: [vertical(300)], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(abs(s.accuracy - 0.5) < 1e-12 && s.matched == 0)
    }

    @Test func theMinusHundredTrickReachesSteepLanes() {
        // x = 6·(y − 100) on rows 140…290 (absent on 100…130): angle atan 6, threshold
        // 20 / cos(atan 6) = 20·√37 ≈ 121.7 > 100, so a predicted x of 1 where the truth is absent
        // (−100) is within it: a hit. The prediction is 200 px off on rows 140…170:
        // (4 + 12) / 20 = 0.8 (before: 12 / 16).
        let truth = rows.map { $0 >= 140 ? 6.0 * Double($0 - 100) : -2 }
        let pred = rows.map { $0 >= 140 ? 6.0 * Double($0 - 100) + ($0 < 180 ? 200 : 5) : 1 }
        #expect(abs(20 / cos(LaneMetric.angle(xs: truth, rows: rows)) - 20 * 37.0.squareRoot()) < 1e-9)
        let s = LaneMetric.score(predicted: [pred], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(abs(s.accuracy - 0.8) < 1e-12)
    }

    @Test func truthLanesAreNotFiltered() {
        // A label lane without any point still counts as a truth lane (len(gt) = 2): the single
        // prediction matches one, the other gets best 0 → accuracy 1/2, FN 1/2.
        let truth = [vertical(300), vertical(-2)]
        let s = LaneMetric.score(predicted: [vertical(300)], truth: truth, rows: rows, imageWidth: 1280)
        #expect(s.truthLanes == 2 && abs(s.accuracy - 0.5) < 1e-12 && abs(s.fnRate - 0.5) < 1e-12 && s.fpRate == 0)
        #expect(s.bestAccuracies == [1, 0] && !s.emptyTruth)
        // An all-absent prediction matches the all-absent truth lane everywhere (both −100).
        let both = LaneMetric.score(predicted: [vertical(300), vertical(-2)], truth: truth, rows: rows, imageWidth: 1280)
        #expect(both.accuracy == 1 && both.matched == 2 && both.fpRate == 0)
    }

    @Test func moreThanTwoExtraPredictionsScoreTheFrameZero() {
        // One truth lane, 4 predictions (> 1 + 2): TuSimple's early return (0, 0, 1), although
        // one prediction is exact.
        let truth = [vertical(300)]
        let four = [vertical(300), vertical(500), vertical(700), vertical(900)]
        let s = LaneMetric.score(predicted: four, truth: truth, rows: rows, imageWidth: 1280)
        #expect(s.tooManyPredictions && s.accuracy == 0 && s.fpRate == 0 && s.fnRate == 1 && s.matched == 0)
        // Three (= 1 + 2) are scored: accuracy 1, FP 2/3.
        let three = LaneMetric.score(predicted: Array(four.prefix(3)), truth: truth, rows: rows, imageWidth: 1280)
        #expect(!three.tooManyPredictions && three.accuracy == 1 && abs(three.fpRate - 2.0 / 3) < 1e-12)
    }

    @Test func framesWithoutTruthLanesAreLeftOutOfTheTuSimpleMeans() {
        var summary = ScoreSummary()
        let empty = LaneMetric.score(predicted: [vertical(300)], truth: [vertical(-2)], rows: rows, imageWidth: 1280)
        #expect(empty.emptyTruth)
        #expect(LaneMetric.score(predicted: [], truth: [], rows: rows, imageWidth: 1280).emptyTruth)
        let half = LaneMetric.score(predicted: [vertical(300)], truth: [vertical(300), vertical(900)], rows: rows, imageWidth: 1280)
        summary.add(empty)
        summary.add(half)
        #expect(summary.frames == 2 && summary.emptyTruthFrames == 1 && summary.tusimpleFrames == 1)
        #expect(abs(summary.accuracy - 0.5) < 1e-12 && summary.fpRate == 0 && abs(summary.fnRate - 0.5) < 1e-12)
        // CULane counts the empty frame: its prediction is a false positive.
        #expect(summary.culaneTP == 1 && summary.culaneFP == 1 && summary.culaneFN == 1)
        #expect(abs((summary.culaneF1 ?? -1) - 0.5) < 1e-12)
    }

    @Test func matchNeedsEightyFivePercentOfPoints() {
        // 17 of 20 points = 0.85 → matched; 16 of 20 = 0.80 → false negative.
        let truth = vertical(300)
        let p17 = rows.enumerated().map { $0.offset < 17 ? 300.0 : 400 }
        let p16 = rows.enumerated().map { $0.offset < 16 ? 300.0 : 400 }
        let a = LaneMetric.score(predicted: [p17], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(a.matched == 1 && a.fnRate == 0 && a.fpRate == 0 && abs(a.accuracy - 0.85) < 1e-12)
        let b = LaneMetric.score(predicted: [p16], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(b.matched == 0 && b.fnRate == 1 && b.fpRate == 1 && abs(b.accuracy - 0.8) < 1e-12)
    }

    @Test func eachTruthTakesItsBestPredictionAndExtrasAreFalsePositives() {
        // Two truth lanes, three predictions: two good, one far away.
        let truth = [vertical(300), vertical(700)]
        let pred = [vertical(705), vertical(1000), vertical(295)]
        let s = LaneMetric.score(predicted: pred, truth: truth, rows: rows, imageWidth: 1280)
        #expect(s.accuracy == 1 && s.matched == 2)
        #expect(abs(s.fpRate - 1.0 / 3) < 1e-12 && s.fnRate == 0)
    }

    @Test func accuracyDividesByTheTruthCountCappedAtFour() {
        // Three truth lanes, one predicted right: 1 / 3; FN 2 / 3.
        let s = LaneMetric.score(predicted: [vertical(300)], truth: [vertical(300), vertical(600), vertical(900)], rows: rows, imageWidth: 1280)
        #expect(abs(s.accuracy - 1.0 / 3) < 1e-12 && abs(s.fnRate - 2.0 / 3) < 1e-12 && s.fpRate == 0)
        // No predictions at all: accuracy 0, FP rate 0 (nothing predicted), FN rate 1.
        let none = LaneMetric.score(predicted: [], truth: [vertical(300)], rows: rows, imageWidth: 1280)
        #expect(none.accuracy == 0 && none.fpRate == 0 && none.fnRate == 1)
    }

    @Test func moreThanFourTruthLanesDropTheWorstAndOneFalseNegative() {
        // Five truth lanes; four predicted exactly, the fifth missed: (4·1 + 0 − 0) / 4 = 1,
        // FN 1 − 1 = 0.
        let truth = [100.0, 300, 500, 700, 900].map(vertical)
        let pred = [100.0, 300, 500, 700].map(vertical)
        let s = LaneMetric.score(predicted: pred, truth: truth, rows: rows, imageWidth: 1280)
        #expect(s.accuracy == 1 && s.fnRate == 0 && s.fpRate == 0)
        // Two missed: (3 − 0) / 4 = 0.75, FN (2 − 1) / 4 = 0.25.
        let s2 = LaneMetric.score(predicted: Array(pred.prefix(3)), truth: truth, rows: rows, imageWidth: 1280)
        #expect(abs(s2.accuracy - 0.75) < 1e-12 && abs(s2.fnRate - 0.25) < 1e-12)
    }

    @Test func egoPairIsTheTwoLanesNearestTheCentre() {
        // Width 1280: centre 640. Lanes at 300, 560 (left of centre) and 720, 1000.
        let truth = [300.0, 560, 720, 1000].map(vertical)
        let ego = LaneMetric.egoPair(truth: truth, rows: rows, imageWidth: 1280)
        #expect(ego?.left == 1 && ego?.right == 2)
        let both = LaneMetric.score(predicted: [vertical(560), vertical(720)], truth: truth, rows: rows, imageWidth: 1280)
        #expect(both.egoPairMatched == true)
        let one = LaneMetric.score(predicted: [vertical(560), vertical(1000)], truth: truth, rows: rows, imageWidth: 1280)
        #expect(one.egoPairMatched == false)
        let noRight = LaneMetric.score(predicted: [], truth: [vertical(300)], rows: rows, imageWidth: 1280)
        #expect(noRight.egoPairMatched == nil)
    }

    @Test func summaryAveragesOverFramesAndPoolsExactlyAlsoAfterJSON() throws {
        var a = ScoreSummary(), b = ScoreSummary()
        let good = LaneMetric.score(predicted: [vertical(300), vertical(900)], truth: [vertical(300), vertical(900)], rows: rows, imageWidth: 1280)
        let half = LaneMetric.score(predicted: [vertical(300)], truth: [vertical(300), vertical(900)], rows: rows, imageWidth: 1280)
        a.add(good)
        b.add(half)
        b.add(half)
        var pooled = a
        pooled.merge(b)
        #expect(pooled.frames == 3)
        #expect(abs(pooled.accuracy - (1 + 0.5 + 0.5) / 3) < 1e-12)
        #expect(abs((pooled.egoPairRate ?? -1) - 1.0 / 3) < 1e-12)
        // CULane: TP 2 + 1 + 1, FN 0 + 1 + 1, FP 0 → precision 1, recall 4/6, F1 8/10.
        #expect(pooled.culaneTP == 4 && pooled.culaneFN == 2 && pooled.culaneFP == 0)
        #expect(pooled.culanePrecision == 1 && abs((pooled.culaneRecall ?? 0) - 4.0 / 6) < 1e-12 && abs((pooled.culaneF1 ?? 0) - 0.8) < 1e-12)
        // Sums travel in report.json, so a summary read back pools like the original.
        let decoded = try JSONDecoder().decode(ScoreSummary.self, from: JSONEncoder().encode(b))
        var again = a
        again.merge(decoded)
        #expect(again == pooled)
    }
}
