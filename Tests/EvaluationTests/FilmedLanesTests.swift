import Evaluation
import Imaging
import Lanes
import Pipeline
import Synthesis
import Testing

/// `lanes.prefer_filmed` in the frame pipeline, on a rendered tunnel entry: inside the tunnel the
/// crushed frame still shows its paint to the detector, while copy-last pastes the road from
/// before the tunnel, whose paint the car has since driven past.
@Suite("Lanes from the filmed frame")
struct FilmedLanesTests {
    /// Accuracy over the exposure-affected frames of a rendered drive, restored by copy-last from
    /// the truth holes, with and without the filmed frame's lanes.
    func affectedAccuracy(prefersFilmedLanes: Bool) throws -> ScoreSummary {
        let size = ImageSize(width: 640, height: 360)
        let synthesizer = DriveSynthesizer(scenario: Scenario(preset: .tunnelEntry, seed: 5, frames: 90), size: size)
        let geometry = synthesizer.geometry.cameraProfile().roadGeometry(size: size)
        let pipeline = try #require(FramePipeline(geometry: geometry, hSamples: synthesizer.geometry.hSamples,
                                                  restorer: CopyLastRestoration(), prefersFilmedLanes: prefersFilmedLanes))
        var readout = LaneReadout(labelSize: size, processingSize: size, hSamples: synthesizer.geometry.hSamples)
        var out = synthesizer.makeOutput()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var summary = ScoreSummary()
        for t in 0..<90 {
            synthesizer.render(frame: t, into: &out)
            var frame = Frame(image: out.frame, pts: nil, index: t)
            _ = pipeline.process(&frame, holes: out.holes)
            readout.read(pipeline.detection, from: pipeline.detector, into: &lanes, confidences: &confidences)
            guard pipeline.coverage(of: out.holes) >= 0.01, let label = out.label else { continue }
            summary.add(LaneMetric.score(predicted: lanes, truth: label.lanes, rows: label.hSamples, imageWidth: size.width))
        }
        return summary
    }

    @Test func filmedLanesWinOverStalePasteInsideATunnel() throws {
        let pasted = try affectedAccuracy(prefersFilmedLanes: false)
        let fused = try affectedAccuracy(prefersFilmedLanes: true)
        print("tunnel entry seed 5, affected frames: pasted lanes only \(pasted.accuracy) (FP \(pasted.fpRate)), filmed first \(fused.accuracy) (FP \(fused.fpRate))")
        #expect(fused.accuracy >= pasted.accuracy + 0.05)
    }
}
