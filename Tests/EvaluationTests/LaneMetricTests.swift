import Evaluation
import Foundation
import Testing

/// Hand-computed cases for every rule of the metric in design/drives.md.
@Suite("LaneMetric")
struct LaneMetricTests {
    let rows = Array(stride(from: 100, through: 290, by: 10))  // 20 rows
    func vertical(_ x: Double) -> [Double] { rows.map { _ in x } }

    @Test func pixelThresholdScalesWithWidth() {
        #expect(LaneMetric.pixelThreshold(imageWidth: 1280) == 20)
        #expect(LaneMetric.pixelThreshold(imageWidth: 640) == 10)
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

    @Test func onlyValidTruthPointsCountAndMissingPredictionsMiss() {
        // Truth valid on the first 10 rows only; the prediction is right on 8 of them and
        // absent (−2) on 2: 8 / 10 = 0.8 (the 10 absent truth rows do not count).
        let truth = rows.enumerated().map { $0.offset < 10 ? 300.0 : -2 }
        let pred = rows.enumerated().map { $0.offset < 8 ? 301.0 : ($0.offset < 10 ? -2 : 500) }
        let s = LaneMetric.score(predicted: [pred], truth: [truth], rows: rows, imageWidth: 1280)
        #expect(abs(s.accuracy - 0.8) < 1e-12)
        #expect(s.matched == 0 && s.fnRate == 1 && s.fpRate == 1)
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

    @Test func summaryAveragesOverFramesAndPoolsExactly() {
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
    }
}
