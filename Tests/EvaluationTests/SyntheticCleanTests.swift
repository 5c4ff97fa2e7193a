import Drives
import Evaluation
import Imaging
import Lanes
import Synthesis
import Testing

/// The lane detector on clean frames rendered by the data engine (`clearlane synth`), scored
/// with the TuSimple metric against the renderer's exact labels: issue 4's goal (≥ 90 %).
@Suite("Detector on rendered clean frames")
struct SyntheticCleanTests {
    /// Accuracy over `frames` clean frames of one rendered drive (test seeds, never dev/held-out).
    func cleanAccuracy(_ preset: Preset, seed: UInt64, frames: Int) throws -> ScoreSummary {
        let size = ImageSize(width: 640, height: 360)
        let synthesizer = DriveSynthesizer(scenario: Scenario(preset: preset, seed: seed, frames: frames), size: size)
        let detector = try #require(LaneDetector(geometry: synthesizer.geometry.cameraProfile().roadGeometry(size: size)))
        var readout = LaneReadout(labelSize: size, processingSize: size, hSamples: synthesizer.geometry.hSamples)
        var out = synthesizer.makeOutput()
        var detection = LaneDetection()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var summary = ScoreSummary()
        for t in 0..<frames {
            synthesizer.render(frame: t, into: &out)
            detector.detect(out.clean, into: &detection)
            readout.read(detection, from: detector, into: &lanes, confidences: &confidences)
            let label = try #require(out.label)
            summary.add(LaneMetric.score(predicted: lanes, truth: label.lanes, rows: label.hSamples, imageWidth: size.width))
        }
        return summary
    }

    @Test func detectorFindsTheLanesOfRenderedCleanDrivesAboveTheGoal() throws {
        // Day drives with and without exposure events; their clean frames show the paint.
        var all = ScoreSummary()
        for preset in [Preset.clear, .underpass, .nightHeadlights, .tunnelExit] {
            let summary = try cleanAccuracy(preset, seed: 5, frames: 30)
            print("clean \(preset.rawValue) seed 5: accuracy \(summary.accuracy), FP \(summary.fpRate), FN \(summary.fnRate)")
            all.merge(summary)
        }
        print("clean overall: accuracy \(all.accuracy)")
        #expect(all.accuracy >= 0.9)
    }
}
