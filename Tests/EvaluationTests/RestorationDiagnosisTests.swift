import Drives
import Evaluation
import Foundation
import Imaging
import Pipeline
import Testing

/// The diagnosis of restoring variants: paint pixels counted by what restoration did to them,
/// and a frame's loss attributed to the first cause that holds.
@Suite("Restoration diagnosis")
struct RestorationDiagnosisTests {
    /// Paint band: pixels within the radius of a vertical lane, nothing else.
    @Test func paintIsTheBandAroundTheTrueLanes() {
        var paint = Mask(width: 40, height: 20, fill: 0)
        // A vertical lane at x = 10 (label pixels = processing pixels) from row 2 to row 17.
        LanePaint.rasterize(lanes: [[10, 10, -2]], rows: [2, 17, 19], labelSize: ImageSize(width: 40, height: 20), into: &paint, radius: 2)
        for y in 0..<20 {
            for x in 0..<40 {
                let dy = y < 2 ? Double(2 - y) : y > 17 ? Double(y - 17) : 0
                let expected = (Double(x - 10) * Double(x - 10) + dy * dy) <= 4
                #expect((paint.values[y * 40 + x] != 0) == expected, "(\(x), \(y))")
            }
        }
    }

    @Test func paintPixelsAreCountedByWhatRestorationDidToThem() {
        let w = 4, h = 1
        var paint = Mask(width: w, height: h, fill: 1)
        paint.values[3] = 0  // pixel 3 is not paint: ignored
        let filmed = RGBImage(width: w, height: h, fill: 255)
        let clean = RGBImage(width: w, height: h, fill: 100)
        var restored = filmed
        // pixel 0: truth hole, live hole, replaced by 110 (error 10) → filled
        // pixel 1: truth hole, not live → missed
        // pixel 2: live hole but no truth hole, left as filmed → over-detected and unseen
        for c in 0..<3 { restored.pixels[c] = 110 }
        var truth = Mask(width: w, height: h, fill: 0), live = Mask(width: w, height: h, fill: 0)
        truth.values[0] = 1; truth.values[1] = 1; truth.values[3] = 1
        live.values[0] = 1; live.values[2] = 1; live.values[3] = 1
        let e = RestorationDiagnosis.measure(paint: paint, filmed: filmed, restored: restored, clean: clean, truthHoles: truth, liveHoles: live)
        #expect(e.paint == 3 && e.inTruthHoles == 2 && e.missed == 1 && e.overDetected == 1)
        #expect(e.filled == 1 && e.unseen == 1 && e.meanFilledError == 10)
        // Without truth masks nothing can be missed or over-detected.
        let noTruth = RestorationDiagnosis.measure(paint: paint, filmed: filmed, restored: restored, clean: clean, truthHoles: nil, liveHoles: live)
        #expect(noTruth.inTruthHoles == nil && noTruth.missed == 0 && noTruth.overDetected == 0)
    }

    @Test func causesAreTriedInOrder() {
        var e = RestorationDiagnosis.Evidence()
        e.paint = 100; e.inTruthHoles = 40; e.missed = 10; e.filled = 30; e.unseen = 0; e.filledError = 30 * 5
        #expect(RestorationDiagnosis.cause(e) == .holeMissed)          // 10 of 40 = 25 %
        e.missed = 9
        #expect(RestorationDiagnosis.cause(e) == .detector)            // paint back within 5 levels
        e.unseen = 10
        #expect(RestorationDiagnosis.cause(e) == .unseen)              // 10 of 40 in live holes
        e.unseen = 9; e.filledError = 30 * 31
        #expect(RestorationDiagnosis.cause(e) == .wrongPaste)
        e.filledError = 0; e.overDetected = 20
        #expect(RestorationDiagnosis.cause(e) == .overDetected)        // 20 of 39 live-hole paint pixels
        e.overDetected = 19
        #expect(RestorationDiagnosis.cause(e) == .detector)
    }

    /// On the real tunnel-exit sample every affected labeled frame of each restoring variant is
    /// diagnosed, and the restored variant is also compared with the better copy baseline.
    @Test func replayDiagnosesEveryAffectedFrame() throws {
        var options = DriveReplay.Options()
        options.camerasFolder = ReplayTests.repo + "/config/cameras"
        options.variants = [.raw, .copyLast, .median, .clean]
        options.strips = 0
        options.maxFrames = 80
        var notes: [String] = []
        let drive = try Drive(folder: ReplayTests.repo + "/evaluation/samples/solidWhiteRight-tunnel-exit")
        let report = try DriveReplay(drive: drive, options: options).run(notes: &notes)
        let affectedWithTruth = report.timeline.filter { $0.affected && $0.accuracy?["clean"] != nil }.count
        #expect(affectedWithTruth > 0)
        for name in ["copy-last", "median"] {
            let d = try #require(report.variants[name]?.diagnosis, "\(name) has no diagnosis")
            #expect(d.frames == affectedWithTruth)
            #expect(d.behindClean.values.reduce(0, +) <= d.frames)
            #expect(d.missed + d.overDetected <= d.paintPixels && d.filled + d.unseen <= d.paintPixels)
            #expect(d.behindBaseline == nil, "only restored is compared with the baselines")
        }
        #expect(report.variants["raw"]?.diagnosis == nil && report.variants["clean"]?.diagnosis == nil)
        // Pooled exactly, also through JSON.
        let pooled = ReplayReport(command: "test", processingSize: "640x360", affectedCoverage: 0.01, variants: ["copy-last"], notes: [],
                                  drives: [report, report])
        let data = try JSONEncoder().encode(pooled)
        let read = try JSONDecoder().decode(ReplayReport.self, from: data)
        #expect(read.overall["copy-last"]?.diagnosis?.frames == 2 * affectedWithTruth)
        #expect(read.table().contains("diagnosis copy-last"))
    }
}
