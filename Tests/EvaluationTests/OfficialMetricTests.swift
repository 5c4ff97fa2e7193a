import Drives
import Evaluation
import Foundation
import Testing

/// The Swift metrics against evaluation/metrics_reference.py, an independent numpy implementation
/// of TuSimple's official `LaneEval.bench` and of the CULane F1 of docs/design/metrics.md: the
/// script writes seeded random and hand-made edge cases with its results; every case must score
/// the same here (TuSimple values within 1e-12, CULane counts exactly).
@Suite("Official lane metrics vs the Python reference")
struct OfficialMetricTests {
    static var repo: String { ReplayTests.repo }
    static var python: String { repo + "/training/.venv/bin/python" }
    static var hasPython: Bool { FileManager.default.isExecutableFile(atPath: python) }

    struct CaseFile: Decodable {
        var seed: Int
        var cases: [Case]
    }

    struct Case: Decodable {
        var name: String
        var width: Int
        var height: Int
        var rows: [Int]
        var pred: [[Double]]
        var truth: [[Double]]?
        var truthPoints: [[[Double]]]?
        var expected: Expected
        enum CodingKeys: String, CodingKey { case name, width, height, rows, pred, truth, truthPoints = "truth_points", expected }
    }

    struct Expected: Decodable {
        var accuracy: Double
        var fp: Double
        var fn: Double
        var emptyTruth: Bool
        var culaneTP: Int
        var culaneFP: Int
        var culaneFN: Int
        var truth: [[Double]]?
        enum CodingKeys: String, CodingKey {
            case accuracy, fp, fn, emptyTruth = "empty_truth", culaneTP = "culane_tp", culaneFP = "culane_fp", culaneFN = "culane_fn", truth
        }
    }

    /// Runs the reference script and reads its cases.
    static func referenceCases() throws -> CaseFile {
        let out = NSTemporaryDirectory() + "clearlane-metric-cases-\(getpid())-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [repo + "/evaluation/metrics_reference.py", "--out", out]
        // CLEARLANE_METRIC_SEED / CLEARLANE_METRIC_CASES: other or more random cases (default seed 15, 300).
        let env = ProcessInfo.processInfo.environment
        if let seed = env["CLEARLANE_METRIC_SEED"] { process.arguments! += ["--seed", seed] }
        if let n = env["CLEARLANE_METRIC_CASES"] { process.arguments! += ["--cases", n] }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "metrics_reference.py", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "metrics_reference.py failed: \(text)"])
        }
        print("metrics_reference.py: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        return try JSONDecoder().decode(CaseFile.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    }

    /// Scores one case as the replay does (CULane-truth cases: rows and lanes from the reader).
    static func score(_ c: Case) -> (LaneMetric.FrameScore, rows: [Int], truth: [[Double]]) {
        if let raw = c.truthPoints {
            let points = raw.map { lane in lane.map { LanePoint(x: $0[0], y: $0[1]) } }
            let rows = LaneLabelFile.culaneRows(points, imageHeight: c.height)
            let truth = points.map { LaneLabelFile.resample($0, rows: rows) }
            var label = LaneLabel(rawFile: "labels/0.lines.txt", hSamples: rows, lanes: truth)
            label.points = points
            return (LaneMetric.score(predicted: c.pred, label: label, imageWidth: c.width, imageHeight: c.height), rows, truth)
        }
        let truth = c.truth ?? []
        return (LaneMetric.score(predicted: c.pred, truth: truth, rows: c.rows, imageWidth: c.width, imageHeight: c.height), c.rows, truth)
    }

    @Test(.enabled(if: hasPython, "training/.venv is missing (scripts/setup-training creates it; scripts/test always does), so the Python cross-check is skipped"))
    func everyCaseScoresAsTheReference() throws {
        let file = try Self.referenceCases()
        #expect(file.cases.count > 60)
        var mismatches = 0
        for c in file.cases {
            let (s, rows, truth) = Self.score(c)
            let e = c.expected
            var ok = abs(s.accuracy - e.accuracy) <= 1e-12 && abs(s.fpRate - e.fp) <= 1e-12 && abs(s.fnRate - e.fn) <= 1e-12
            ok = ok && s.emptyTruth == e.emptyTruth
            ok = ok && s.culane == CULaneMetric.Counts(tp: e.culaneTP, fp: e.culaneFP, fn: e.culaneFN)
            if let expectedTruth = e.truth {
                ok = ok && rows == c.rows && truth.count == expectedTruth.count
                    && zip(truth, expectedTruth).allSatisfy { a, b in a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-9 } }
            }
            if !ok {
                mismatches += 1
                Issue.record("""
                    \(c.name): Swift acc \(s.accuracy) fp \(s.fpRate) fn \(s.fnRate) empty \(s.emptyTruth) culane \(s.culane); \
                    Python acc \(e.accuracy) fp \(e.fp) fn \(e.fn) empty \(e.emptyTruth) culane tp \(e.culaneTP) fp \(e.culaneFP) fn \(e.culaneFN)
                    """)
            }
        }
        #expect(mismatches == 0)
        // The cases must exercise what they are for.
        let expected = file.cases.map(\.expected)
        #expect(expected.contains { $0.emptyTruth })
        #expect(expected.filter { $0.culaneTP > 0 }.count > 100)
        #expect(expected.filter { $0.accuracy >= 0.85 }.count > 50)
        #expect(file.cases.contains { $0.name == "too-many-predictions" && $0.expected.fn == 1 && $0.expected.accuracy == 0 })
    }

    /// Cost of scoring one frame (TuSimple + CULane) on the reference's cases; printed, not
    /// asserted (the machine's load decides wall time).
    @Test(.enabled(if: hasPython, "training/.venv is missing"))
    func scoringCostPerFrame() throws {
        let cases = try Self.referenceCases().cases.filter { $0.truth != nil }
        var checksum = 0
        let repeats = 20
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats {
            for c in cases { checksum &+= Self.score(c).0.culane.tp }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let lanes = cases.reduce(0) { $0 + $1.pred.count + ($1.truth?.count ?? 0) }
        print(String(format: "scoring cost: %.1f µs per frame (%d frames × %d, %.1f lanes per frame; checksum %d)",
                     1e6 * seconds / Double(repeats * cases.count), cases.count, repeats,
                     Double(lanes) / Double(max(cases.count, 1)), checksum))
    }
}
