import Evaluation
import Testing

/// `clearlane report compare`: one variant of two reports of the same drives, drive by drive.
@Suite("Report comparison")
struct ReportComparisonTests {
    private func drive(_ name: String, _ accuracies: [String: Double], frames: Int = 10) -> DriveReport {
        var d = DriveReport(name: name, path: "/drives/" + name, preset: nil, camera: "test", holeSource: "truth masks", labels: "test")
        d.frames = frames
        d.labeledFrames = frames
        for (variant, a) in accuracies {
            var s = ScoreSummary()
            s.frames = frames
            s.accuracySum = a * Double(frames)
            s.accuracy = a
            var v = VariantReport()
            v.all = s
            v.exposureAffected = s
            d.variants[variant] = v
        }
        return d
    }

    private func report(_ drives: [DriveReport]) -> ReplayReport {
        ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01, variants: ["restored", "copy-last"], notes: [], drives: drives)
    }

    @Test func drivesAreMatchedByNameAndPooledByFrames() throws {
        let candidate = report([drive("a", ["restored": 0.9]), drive("b", ["restored": 0.45], frames: 30), drive("c", ["restored": 0.7]),
                                drive("new", ["restored": 1])])
        let shipped = report([drive("c", ["restored": 0.6]), drive("b", ["restored": 0.6], frames: 30), drive("a", ["restored": 0.8]),
                              drive("gone", ["restored": 0])])
        let c = try ReportComparison(candidate, shipped)
        #expect(c.rows.map(\.drive) == ["a", "b", "c"])
        #expect(c.onlyInA == ["new"] && c.onlyInB == ["gone"])
        // a: (9 + 13.5 + 7) / 50, b: (8 + 18 + 6) / 50.
        #expect(abs(c.pooled.a - 29.5 / 50) < 1e-12 && abs(c.pooled.b - 32.0 / 50) < 1e-12)
        let interval = try #require(c.interval)
        #expect(abs(interval.difference - (c.pooled.a - c.pooled.b)) < 1e-12)
        let text = c.text(labelA: "candidate", labelB: "shipped")
        #expect(text.contains("pooled over 3 drives: a 59.00 %, b 64.00 %, a − b -5.00 points"), "\(text)")
        #expect(text.contains("these drives cannot tell a from b."))
        #expect(text.contains("only in a (not compared): new") && text.contains("only in b (not compared): gone"))
        // Largest change first: b (−15), then a and c (+10 each).
        let first = try #require(text.split(separator: "\n").dropFirst(2).first)
        #expect(first.hasPrefix("b "), "\(text)")
    }

    @Test func twoVariantsOfOneReportGiveTheAnswerBoxInterval() throws {
        let r = report([drive("x", ["restored": 0.9, "copy-last": 0.8]), drive("y", ["restored": 0.7, "copy-last": 0.75]),
                        drive("z", ["restored": 0.6, "copy-last": 0.5]), drive("w", ["restored": 0.8, "copy-last": 0.8])])
        let c = try ReportComparison(r, r, variant: "restored", variantB: "copy-last")
        #expect(c.interval == ReportSummary.interval(r, "restored", against: "copy-last"))
    }

    @Test func reportsWithoutACommonDriveAreAnError() {
        let a = report([drive("a", ["restored": 0.9])]), b = report([drive("b", ["restored": 0.9])])
        #expect(throws: ReportComparison.Failure.noCommonDrives("restored", "restored")) { try ReportComparison(a, b) }
    }
}
