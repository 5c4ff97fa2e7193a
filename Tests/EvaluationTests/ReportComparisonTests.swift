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

    /// Drives made from one footage are drawn together: three degraded copies of one video count
    /// once in the interval, not three times; reports without footages keep one drive per unit.
    @Test func drivesOfOneFootageAreDrawnTogether() throws {
        func withFootage(_ d: DriveReport, _ footage: String?) -> DriveReport { var d = d; d.footage = footage; return d }
        let drives = [drive("real-glare", ["restored": 0.9, "copy-last": 0.7]), drive("real-flicker", ["restored": 0.85, "copy-last": 0.7]),
                      drive("real-tunnel", ["restored": 0.95, "copy-last": 0.8]), drive("synth-1", ["restored": 0.6, "copy-last": 0.7]),
                      drive("synth-2", ["restored": 0.7, "copy-last": 0.75]), drive("synth-3", ["restored": 0.8, "copy-last": 0.78])]
        let video = "udacity/CarND-LaneLines-P1, test_videos/solidWhiteRight.mp4"
        let footages: [String?] = [video, video, video, "rendered glare-long seed 1", "rendered glare-long seed 2", nil]
        let grouped = report(zip(drives, footages).map(withFootage))
        let c = try ReportComparison(grouped, grouped, variant: "restored", variantB: "copy-last")
        #expect(c.footageGroups.map(\.footage) == [video, "rendered glare-long seed 1", "rendered glare-long seed 2", "synth-3"])
        let interval = try #require(c.interval)
        #expect(interval.drives == 6 && interval.footages == 4)
        let perDrive = try #require(try ReportComparison(report(drives), report(drives), variant: "restored", variantB: "copy-last").interval)
        #expect(perDrive.footages == 6 && abs(perDrive.difference - interval.difference) < 1e-12, "grouping moves the interval, not the pooled figure")
        // Three drives that agree because they are one video no longer look like three pieces of evidence.
        #expect(interval.high - interval.low > perDrive.high - perDrive.low)
        let text = c.text(labelA: "report", labelB: "report")
        #expect(text.contains("paired bootstrap over the 4 footages") && text.contains("drawn together (one footage): \(video) (3 drives)"), "\(text)")
        let answer = ReportSummary(grouped)
        #expect(answer.lines.contains { $0.contains("with the 6 drives resampled by footage (paired bootstrap over their 4 footages)") }, "\(answer.lines)")
    }

    @Test func reportsWithoutACommonDriveAreAnError() {
        let a = report([drive("a", ["restored": 0.9])]), b = report([drive("b", ["restored": 0.9])])
        #expect(throws: ReportComparison.Failure.noCommonDrives("restored", "restored")) { try ReportComparison(a, b) }
    }
}
