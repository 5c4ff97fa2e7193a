import Foundation
import Exposure
import Imaging
import Pipeline
import Synthesis
import Testing

/// The daemon gives each frame one budget (`deadline_fraction / fps`, less its age). Restoration
/// must get what is left of it after the stages before it (hole detection, the filmed frame's
/// lanes), less what the stages after it took on the last frame; handing it the whole budget let
/// a restoration that "fit" make the frame late.
@Suite("Frame budget")
struct FrameBudgetTests {
    /// A real copy-last restorer that notes the budget each call receives.
    final class BudgetNotingRestorer: FrameRestoring {
        let inner = CopyLastRestoration()
        var budgets: [Double] = []
        func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
            budgets.append(budget)
            return inner.restore(&frame, holes: holes, budget: budget)
        }
        func reset(keepMemory: Bool) { inner.reset(keepMemory: keepMemory) }
    }

    /// Hands out rendered truth masks, taking at least `delay` seconds per frame (a slow analyzer).
    struct SlowMaskSource: HoleDetecting {
        var masks: [Mask]
        var next = 0
        let delay: Double
        mutating func detectHoles(in frame: Frame, into holes: inout Mask) throws -> HoleStats {
            Thread.sleep(forTimeInterval: delay)
            holes = masks[next % masks.count]
            next += 1
            return HoleStats(roiCoverage: holes.coverage)
        }
        mutating func reset() { next = 0 }
        var holeSource: String { "rendered truth masks, slowly" }
    }

    @Test func restorationGetsWhatIsLeftOfTheFramesBudget() throws {
        let size = ImageSize(width: 640, height: 360)
        let synthesizer = DriveSynthesizer(scenario: Scenario(preset: .tunnelExit, seed: 3, frames: 12), size: size)
        let geometry = synthesizer.geometry.cameraProfile().roadGeometry(size: size)
        var out = synthesizer.makeOutput()
        var frames: [RGBImage] = [], masks: [Mask] = []
        for t in 0..<12 {
            synthesizer.render(frame: t, into: &out)
            frames.append(out.frame)
            masks.append(out.holes)
        }
        let restorer = BudgetNotingRestorer()
        let delay = 0.015, frameBudget = 0.050
        let pipeline = try #require(FramePipeline(geometry: geometry, hSamples: synthesizer.geometry.hSamples,
                                                  holeDetector: SlowMaskSource(masks: masks, delay: delay), restorer: restorer))
        for (t, image) in frames.enumerated() {
            var frame = Frame(image: image, pts: nil, index: t)
            _ = try pipeline.process(&frame, budget: frameBudget)
        }
        #expect(restorer.budgets.count == frames.count)
        // Every call lost at least the hole detection's time; from the second frame on also the
        // time the previous frame's lane detection took after restoring.
        for budget in restorer.budgets { #expect(budget <= frameBudget - delay) }
        for budget in restorer.budgets.dropFirst() { #expect(budget < frameBudget - delay) }

        // With holes given (replay), the stages before restoration in this call count too.
        let given = BudgetNotingRestorer()
        let replayed = try #require(FramePipeline(geometry: geometry, hSamples: synthesizer.geometry.hSamples, restorer: given))
        var frame = Frame(image: frames[5], pts: nil, index: 0)
        _ = replayed.process(&frame, holes: masks[5], budget: frameBudget)
        let first = try #require(given.budgets.first)
        #expect(first < frameBudget, "the filmed frame's lanes come off")
    }
}
