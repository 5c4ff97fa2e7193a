import Drives
import Evaluation
import Foundation
import Imaging
import Pipeline
import Testing

/// Issue 19 item 5: the report answers first, picks strips where the variants disagree, labels its
/// tiles in colour-blind-safe colours, and gives an unlabeled drive a page worth reading.
@Suite("Report answers first", .serialized)
struct ReportAnswerTests {
    static let sample = ReplayTests.repo + "/evaluation/samples/solidWhiteRight-tunnel-exit"

    private func summary(_ accuracy: Double, frames: Int = 10) -> ScoreSummary {
        var s = ScoreSummary()
        s.frames = frames
        s.accuracySum = accuracy * Double(frames)
        s.accuracy = accuracy
        return s
    }

    private func drive(_ name: String, _ accuracies: [String: Double]) -> DriveReport {
        var d = DriveReport(name: name, path: "/drives/" + name, preset: nil, camera: "test", holeSource: "truth masks", labels: "test")
        d.frames = 10
        d.labeledFrames = 10
        for (variant, a) in accuracies {
            var v = VariantReport()
            v.all = summary(a)
            v.exposureAffected = summary(a)
            d.variants[variant] = v
        }
        return d
    }

    @Test func theAnswerNamesEachVariantAgainstRawAndTheDrivesRestorationHelpedAndHurt() {
        let variants = ["raw", "restored", "copy-last", "median", "clean"]
        let report = ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01, variants: variants, notes: [], drives: [
            drive("tunnel", ["raw": 0.5, "restored": 0.9, "copy-last": 0.8, "median": 0.85, "clean": 0.95]),
            drive("glare", ["raw": 0.8, "restored": 0.7, "copy-last": 0.75, "median": 0.78, "clean": 0.9]),
            drive("even", ["raw": 0.6, "restored": 0.61, "copy-last": 0.6, "median": 0.6, "clean": 0.7]),
        ])
        let answer = ReportSummary(report)
        // Pooled over 30 affected frames: raw 63.3, restored 73.7 (+10.3), copy-last 71.7, median 74.3, clean 85.0.
        #expect(answer.lines.first?.contains("against raw 63.3 %") == true)
        #expect(answer.lines.first?.contains("restored 73.7 % (+10.3)") == true)
        #expect(answer.lines.contains { $0.contains("behind the better copy baseline (median 74.3 %) by 0.7 points") })
        // Per drive restored − median: +5, −8, +1 points; three drives that disagree in sign
        // cannot separate the two (the paired drive bootstrap's interval spans 0).
        let interval = try! #require(ReportSummary.interval(report, "restored", against: "median"))
        #expect(interval.drives == 3 && interval.low < 0 && interval.high > 0 && abs(interval.difference + 0.02 / 3) < 1e-12)
        #expect(answer.lines.contains { $0.contains("with the 3 drives resampled (paired bootstrap over drives), 95 % of the differences lie between")
                                         && $0.hasSuffix("this set cannot tell them apart.") }, "\(answer.lines)")
        // Gap raw → clean 21.7 points: restored closes 10.3 of it (48 %), copy-last 8.3 (38 %), median 11.0 (51 %).
        #expect(answer.lines.contains("Share of the 21.7-point gap from raw to clean closed: restored 48 %, copy-last 38 %, median 51 %."),
                "\(answer.lines)")
        #expect(answer.helped.map(\.drive) == ["tunnel"] && abs(answer.helped[0].points - 40) < 1e-9)
        #expect(answer.hurt.map(\.drive) == ["glare"] && abs(answer.hurt[0].points + 10) < 1e-9)
        #expect(answer.behindBaseline.map(\.drive) == ["glare"])

        let html = report.html()
        let box = try! #require(html.range(of: "The answer"))
        let firstTable = try! #require(html.range(of: "<table"))
        #expect(box.lowerBound < firstTable.lowerBound, "the answer comes before any table")
        #expect(html.contains("glare (-10.0)") && html.contains("tunnel (+40.0)"))
        #expect(report.table().contains("answer: Restored is behind the better copy baseline"))
        // The Okabe–Ito palette, and no red and green pair (#d62728 / #2ca02c) left.
        for colour in ["#D55E00", "#009E73", "#56B4E9", "#000000", "#0072B2"] { #expect(html.contains(colour)) }
        #expect(!html.contains("#d62728") && !html.contains("#2ca02c"))
    }

    @Test func laneStabilityCountsEgoPairsAndMovesInLaneWidths() {
        var s = LaneStability()
        s.add(left: 100, right: 300, previousLeft: nil, previousRight: nil)     // first frame: a pair, nothing to compare
        s.add(left: 110, right: 300, previousLeft: 100, previousRight: 300)     // left moved 10 of a 190-wide lane
        s.add(left: nil, right: 305, previousLeft: 110, previousRight: 300)     // one line: no pair, no width
        s.add(left: 120, right: 320, previousLeft: nil, previousRight: 305)     // right moved 15 of 200
        #expect(s.frames == 4 && s.egoPairFrames == 3)
        #expect(s.jitterSamples == 3)
        #expect(abs(s.meanJitter! - (10.0 / 190 + 0 + 15.0 / 200) / 3) < 1e-12)
        var merged = LaneStability()
        merged.merge(s)
        merged.merge(s)
        #expect(merged.frames == 8 && merged.egoPairRate == 0.75 && abs(merged.meanJitter! - s.meanJitter!) < 1e-12)
    }

    /// The sample drive as filmed, once with its labels and once without.
    @Test func stripsShowWhereVariantsDisagreeAndAnUnlabeledDriveGetsAUsefulPage() throws {
        let out = NSTemporaryDirectory() + "clearlane-answer-\(getpid())"
        let unlabeled = out + "/unlabeled"
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: unlabeled, withIntermediateDirectories: true)
        for name in ["drive.yaml", "video.mp4", "clean.mp4", "masks", "exposure.json"] {
            try FileManager.default.createSymbolicLink(atPath: unlabeled + "/" + name, withDestinationPath: Self.sample + "/" + name)
        }
        var options = DriveReplay.Options()
        options.detectsHoles = false
        options.camerasFolder = ReplayTests.repo + "/config/cameras"
        options.variants = [.raw, .copyLast, .clean]
        options.stripFolder = out + "/strips"
        options.strips = 2
        options.maxFrames = 70
        var notes: [String] = []
        let labeled = try DriveReplay(drive: try Drive(folder: Self.sample), options: options).run(notes: &notes)
        let bare = try DriveReplay(drive: try Drive(folder: unlabeled), options: options).run(notes: &notes)

        // Labeled: the strips are the frames whose variants' accuracies spread most.
        let spreads = labeled.timeline.compactMap { p in p.accuracy.map { ($0.values.max()! - $0.values.min()!, p.frame) } }
        let top = spreads.map(\.0).max()!
        #expect(labeled.strips.count == 2)
        for strip in labeled.strips {
            #expect(strip.variants == ["raw", "copy-last", "clean"] && strip.accuracy.count == 3)
            let spread = strip.accuracy.max()! - strip.accuracy.min()!
            #expect(spread == spreads.first { $0.1 == strip.frame }!.0)
            #expect(spread >= spreads.map(\.0).sorted(by: >)[1], "one of the two largest spreads")
        }
        #expect(labeled.strips.contains { $0.accuracy.max()! - $0.accuracy.min()! == top })

        // Unlabeled: strips at the frames with the most holes, lanes without truth, and a page
        // of what holds without labels.
        #expect(bare.labeledFrames == 0 && bare.strips.count == 2)
        let coverages = bare.timeline.map(\.holeCoverage).sorted(by: >)
        for strip in bare.strips {
            #expect(strip.accuracy.isEmpty)
            #expect(try #require(strip.holeCoverage) >= coverages[1])
            #expect(FileManager.default.fileExists(atPath: out + "/" + strip.file))
        }
        for variant in ["raw", "copy-last", "clean"] {
            let stability = try #require(bare.variants[variant]?.laneStability)
            #expect(stability.frames == 70 && stability.egoPairFrames > 0 && stability.meanJitter != nil)
        }
        let report = ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01,
                                  variants: ["raw", "copy-last", "clean"], notes: notes, drives: [bare])
        let html = report.html()
        #expect(html.contains("No labels for this drive") && html.contains("both ego lines found"))
        #expect(html.contains("one of the frames with the most holes"))
        #expect(!html.contains("<th>accuracy</th>"), "no table of dashes")
        #expect(ReportSummary(report).lines.contains { $0.hasPrefix("No labels, so no accuracy") })
        #expect(ReportSummary(report).lines.contains { $0.hasPrefix("Both ego lines found: raw") })
        // Tiles are labelled in the page, in the variants' colours.
        #expect(html.contains("<span style=\"color:#56B4E9\">copy-last</span>"))
    }
}
