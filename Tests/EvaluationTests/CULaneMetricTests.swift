import Drives
import Evaluation
import Foundation
import Testing

/// Hand-computed cases for the CULane F1 of docs/design/metrics.md.
@Suite("CULane F1")
struct CULaneMetricTests {
    func vertical(_ x: Double, from top: Double, to bottom: Double) -> [LanePoint] {
        [LanePoint(x: x, y: top), LanePoint(x: x, y: bottom)]
    }

    @Test func laneWidthIsThirtyPixelsAt1640AndScales() {
        #expect(CULaneMetric.halfWidth(imageWidth: 1640) == 15)
        #expect(CULaneMetric.halfWidth(imageWidth: 820) == 7.5)
    }

    @Test func aVerticalLaneCoversItsBandAndRoundCaps() {
        // r = 15: rows 100…290 hold |i − 300| ≤ 15 (31 pixels); the caps at d = 1…15 rows beyond
        // the ends hold 2·⌊√(225 − d²)⌋ + 1 each (339 per cap): 191·31 + 2·339 = 6599.
        #expect(CULaneMetric.area(vertical(300, from: 100, to: 290), imageWidth: 1640, imageHeight: 590) == 6599)
        // Clipped at the image's left edge: columns 0…15 only.
        #expect(CULaneMetric.area(vertical(0, from: -100, to: 700), imageWidth: 1640, imageHeight: 590) == 16 * 590)
    }

    @Test func iouOfParallelLanesAndTheHalfThreshold() {
        // Lanes through the whole image height, offset d: IoU = (31 − d) / (31 + d).
        let a = vertical(300, from: -100, to: 700)
        let iou10 = CULaneMetric.iou(a, vertical(310, from: -100, to: 700), imageWidth: 1640, imageHeight: 590)
        let iou11 = CULaneMetric.iou(a, vertical(311, from: -100, to: 700), imageWidth: 1640, imageHeight: 590)
        #expect(iou10 == 21.0 / 41 && iou11 == 20.0 / 42)
        let hit = CULaneMetric.counts(predicted: [vertical(310, from: -100, to: 700)], truth: [a], imageWidth: 1640, imageHeight: 590)
        #expect(hit == CULaneMetric.Counts(tp: 1, fp: 0, fn: 0))
        let miss = CULaneMetric.counts(predicted: [vertical(311, from: -100, to: 700)], truth: [a], imageWidth: 1640, imageHeight: 590)
        #expect(miss == CULaneMetric.Counts(tp: 0, fp: 1, fn: 1))
        // Disjoint lanes: IoU 0 without touching a pixel.
        #expect(CULaneMetric.iou(a, vertical(900, from: -100, to: 700), imageWidth: 1640, imageHeight: 590) == 0)
    }

    @Test func lanesWithFewerThanTwoPointsAreIgnored() {
        let truth = [vertical(300, from: 100, to: 500), [LanePoint(x: 800, y: 300)]]
        let preds = [vertical(302, from: 100, to: 500), [LanePoint(x: 1200, y: 300)], []]
        #expect(CULaneMetric.counts(predicted: preds, truth: truth, imageWidth: 1640, imageHeight: 590) == CULaneMetric.Counts(tp: 1, fp: 0, fn: 0))
    }

    @Test func assignmentMaximizesTheTotalNotGreedily() {
        // [pred][truth]: greedy takes p0–t0 (0.9) and leaves p1–t1 (0): 1 TP; the optimum
        // p0–t1 + p1–t0 = 1.4 has 2.
        #expect(CULaneMetric.assignedTruePositives(ious: [0.9, 0.6, 0.8, 0.0], predictions: 2, truths: 2) == 2)
        // Equal totals (0.75 + 0.25 = 0.5 + 0.5): the one with more pairs ≥ 0.5.
        #expect(CULaneMetric.assignedTruePositives(ious: [0.75, 0.5, 0.5, 0.25], predictions: 2, truths: 2) == 2)
        // One truth, three predictions: the best one.
        #expect(CULaneMetric.assignedTruePositives(ious: [0.3, 0.6, 0.55], predictions: 3, truths: 1) == 1)
        // Three truths, one prediction.
        #expect(CULaneMetric.assignedTruePositives(ious: [0.2, 0.45, 0.4], predictions: 1, truths: 3) == 0)
    }

    @Test func aDuplicatePredictionIsAFalsePositive() {
        // Through LaneMetric.score: x arrays at rows, 1640 wide. Truth at 300 and 900; two
        // predictions at 305 (IoU 26/36 with the first), none near 900.
        let rows = Array(stride(from: 250, through: 580, by: 10))
        func at(_ x: Double) -> [Double] { rows.map { _ in x } }
        let s = LaneMetric.score(predicted: [at(305), at(305)], truth: [at(300), at(900)], rows: rows, imageWidth: 1640, imageHeight: 590)
        #expect(s.culane == CULaneMetric.Counts(tp: 1, fp: 1, fn: 1))
    }
}
