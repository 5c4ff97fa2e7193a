import CPNet
import Configuration
import Evaluation
import Foundation
import Imaging
import Lanes
@testable import Pipeline
@testable import Synthesis
import Testing

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `restorer.align: road-plane` (issue 16): ego-motion on the road plane, the memory in seconds,
/// and a long white-out.
@Suite("Road-plane restoration")
struct RoadPlaneTests {
    /// A scenario whose road-plane motion is known in closed form: a straight, level road and a
    /// camera without yaw, pitch or roll jitter, so between two frames the road moves by the
    /// distance driven (forward) and the change of the camera's lateral offset (lateral). The
    /// profile's road rectangle is the ego lane between 7 and 30 m (`LaneGeometry.cameraProfile`),
    /// so one road unit is 23 m forward and one lane width across.
    static func straightScenario(preset: Preset = .clear, seed: UInt64 = 11, frames: Int, fps: Double = 30) -> Scenario {
        var scenario = Scenario(preset: preset, seed: seed, frames: frames, fps: fps)
        scenario.road.curvature = scenario.road.curvature.map { _ in 0 }
        scenario.road.gradeAmplitude = 0
        scenario.rig.pitchJitter = 0
        scenario.rig.rollJitter = 0
        scenario.motion.yawAmplitude = 0
        scenario.motion.wanderAmplitude = 0.4
        scenario.motion.wanderPeriod = 4
        return scenario
    }

    @Test func roadPlaneMotionMatchesTheRenderedCameraMotion() throws {
        let size = ImageSize(width: 640, height: 360)
        let frames = 60
        let scenario = Self.straightScenario(frames: frames)
        let synthesizer = DriveSynthesizer(scenario: scenario, size: size)
        let geometry = synthesizer.geometry.cameraProfile().roadGeometry(size: size)
        let motion = try #require(RoadPlaneMotion(geometry: geometry))
        var out = synthesizer.makeOutput()
        let noHoles = Mask(width: size.width, height: size.height, fill: 0)
        var worstForward = 0.0, worstLateral = 0.0
        let first = CameraPose(scenario: scenario, frame: 0, size: size)
        for t in 0..<frames {
            synthesizer.render(frame: t, into: &out)
            let pose = motion.update(frame: out.frame, holes: noHoles)
            let truth = CameraPose(scenario: scenario, frame: t, size: size)
            let forward = (truth.s - first.s) / 23, lateral = (truth.lateral - first.lateral) / scenario.road.laneWidth
            worstForward = max(worstForward, abs(pose.forward - forward))
            worstLateral = max(worstLateral, abs(pose.lateral - lateral))
            if t == frames - 1 {
                print("road-plane motion after \(t) frames: forward \(pose.forward) (true \(forward)), lateral \(pose.lateral) (true \(lateral)); worst error forward \(worstForward), lateral \(worstLateral)")
            }
        }
        // Over 2 s (≈ 50 m; measured: worst 0.024 road units = 56 cm, 1.1 % of the distance, and
        // 0.021 lane widths = 8 cm) the pose stays within 1.5 % of the distance driven forward and
        // 0.03 lane widths (11 cm) across.
        let driven = (CameraPose(scenario: scenario, frame: frames - 1, size: size).s - first.s) / 23
        #expect(worstForward < 0.015 * driven)
        #expect(worstLateral < 0.03)
        let velocity = try #require(motion.velocity)
        #expect(abs(velocity.forward - scenario.motion.speed / scenario.fps / 23) < 0.003)
    }

    /// The same two seconds at 15 and at 30 fps keep the same references: the stride and the ages
    /// are seconds. A white-out in the middle (every road pixel a hole) is never kept, and the
    /// well-exposed frames from before it stay.
    @Test func memoryInSecondsKeepsTheSameReferencesAtTwoFrameRates() throws {
        let size = ImageSize(width: 64, height: 36)
        let geometry = RoadGeometry(imageSize: size, roi: [Point2(0, 36), Point2(20, 14), Point2(44, 14), Point2(64, 36)],
                                    roadQuad: [Point2(20, 34), Point2(29, 18), Point2(35, 18), Point2(44, 34)], horizonY: 12)
        func keptTimes(fps: Double) -> [Double] {
            let references = RoadPlaneReferences(recent: 3, kept: 3, stride: 0.2, maxAge: 5)
            references.prepare(size: size, geometry: geometry)
            let image = RGBImage(width: size.width, height: size.height, fill: 100)
            let clear = Mask(width: size.width, height: size.height, fill: 0)
            let blown = Mask(width: size.width, height: size.height, fill: 1)
            var half = Mask(width: size.width, height: size.height, fill: 0)
            for i in 0..<(size.width * size.height / 2) { half.values[i] = 1 }
            for f in 0..<Int(2 * fps) {
                let time = Double(f) / fps
                // 0–0.6 s clear, 0.6–1.4 s white-out, then half the frame a hole.
                let holes = time < 0.6 - 1e-9 ? clear : time < 1.4 - 1e-9 ? blown : half
                references.offer(image, holes: holes, pose: .init(forward: 0.01 * time), time: time)
            }
            return references.entries.compactMap { $0?.time }.sorted()
        }
        let at15 = keptTimes(fps: 15), at30 = keptTimes(fps: 30)
        #expect(at15.count == at30.count)
        for (a, b) in zip(at15, at30) { #expect(abs(a - b) < 1e-6, "15 fps kept \(at15), 30 fps kept \(at30)") }
        // Before the white-out: 0, 0.2, 0.4 kept; during it: nothing; after: 1.4, 1.6, 1.8.
        #expect(at30.map { ($0 * 10).rounded() / 10 } == [0, 0.2, 0.4, 1.4, 1.6, 1.8])
        // The network's memory converts the same seconds to frames at each rate.
        let config = RestorerConfig()
        #expect(config.strideFrames(fps: 15) == 1 && config.strideFrames(fps: 30) == 2)
        #expect(config.maxReferenceAgeFrames(fps: 15) == 36 && config.maxReferenceAgeFrames(fps: 30) == 72)
    }

    /// Exposure-affected lane accuracy over a rendered drive restored from the truth holes.
    static func affectedAccuracy(scenario: Scenario, restorer: FrameRestoring) throws -> ScoreSummary {
        let size = ImageSize(width: 640, height: 360)
        let synthesizer = DriveSynthesizer(scenario: scenario, size: size)
        let geometry = synthesizer.geometry.cameraProfile().roadGeometry(size: size)
        let pipeline = try #require(FramePipeline(geometry: geometry, hSamples: synthesizer.geometry.hSamples,
                                                  restorer: restorer, prefersFilmedLanes: true))
        var readout = LaneReadout(labelSize: size, processingSize: size, hSamples: synthesizer.geometry.hSamples)
        var out = synthesizer.makeOutput()
        var lanes: [[Double]] = [], confidences: [Double] = []
        var summary = ScoreSummary()
        for t in 0..<scenario.frames {
            synthesizer.render(frame: t, into: &out)
            var frame = Frame(image: out.frame, pts: nil, index: t)
            _ = pipeline.process(&frame, holes: out.holes)
            readout.read(pipeline.detection, from: pipeline.detector, into: &lanes, confidences: &confidences)
            guard pipeline.coverage(of: out.holes) >= 0.01, let label = out.label else { continue }
            summary.add(LaneMetric.score(predicted: lanes, truth: label.lanes, rows: label.hSamples, imageWidth: size.width))
        }
        return summary
    }

    /// A long white-out: the exposure hunts 3 stops up for 2.3 s (70 frames at 30 fps) on a
    /// straight road while the car drifts across its lane. Copy-last keeps each road pixel from
    /// before the event, where the lines were before the drift; the road-plane paste follows the
    /// car, from the newest filmed frame that still shows each road point.
    @Test func longWhiteOutRoadPlaneBeatsCopyLast() throws {
        var scenario = Self.straightScenario(frames: 110)
        scenario.hunting = Hunting(startFrame: 20, endFrame: 90, amplitudeEV: 3, periodFrames: 140)
        let size = ImageSize(width: 640, height: 360)
        let geometry = DriveSynthesizer(scenario: scenario, size: size, preroll: 0).geometry.cameraProfile().roadGeometry(size: size)
        let weights = try CPNetWeights(path: repo.appendingPathComponent("models/cpnet-road-slim.safetensors").path)
        var roadConfig = RestorerConfig()
        roadConfig.align = .roadPlane
        let roadPlane = CPNetRestoration(weights: weights, config: roadConfig, fps: scenario.fps, geometry: geometry)
        let restored = try Self.affectedAccuracy(scenario: scenario, restorer: roadPlane)
        let copyLast = try Self.affectedAccuracy(scenario: scenario, restorer: CopyLastRestoration())
        var affineConfig = RestorerConfig()
        affineConfig.align = .affine
        let affine = try Self.affectedAccuracy(scenario: scenario,
                                               restorer: CPNetRestoration(weights: weights, config: affineConfig, fps: scenario.fps, geometry: geometry))
        print("long white-out, affected frames \(restored.frames): road-plane \(restored.accuracy) (F1 \(restored.culaneF1 ?? -1)), affine \(affine.accuracy) (F1 \(affine.culaneF1 ?? -1)), copy-last \(copyLast.accuracy) (F1 \(copyLast.culaneF1 ?? -1))")
        #expect(restored.frames >= 40, "the event covers at least 40 frames")
        #expect(restored.accuracy >= copyLast.accuracy + 0.05)
        // The shipped alignment (affine) beats copy-last on this event too (measured 0.724 against
        // 0.619). Not on every long event: on a rendered 3-s glare over a wet road (glare-long,
        // seed 7) copy-last led, 0.821 against 0.802 (docs/decisions/0038-long-event-memory-tried.md).
        #expect(affine.accuracy >= copyLast.accuracy + 0.05)
    }
}
