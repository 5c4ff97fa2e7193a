import Drives
import Exposure
import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a scenario into a drive: renders each frame's radiance, runs the auto-exposure with lag,
/// develops the degraded frame (with lens glare) and its truth holes, the clean frame at the
/// converged exposure, and the exact lane labels.
public final class DriveSynthesizer {
    public let scenario: Scenario
    public let size: ImageSize
    public let renderer: RoadRenderer
    public let geometry: LaneGeometry
    public private(set) var camera: CameraModel
    public private(set) var autoExposure: AutoExposure
    public let roi: Mask
    public let roiPixelCount: Int

    /// One frame's products. Buffers are reused from frame to frame.
    public struct Output {
        public var frame: RGBImage
        public var clean: RGBImage
        public var holes: Mask
        public var label: LaneLabel?
        public var exposure: Double = 1
        public var convergedExposure: Double = 1
        public var roiHoleFraction: Double = 0
        public var pose: CameraPose?
    }

    private var radiance: RadianceImage
    private var glare: RadianceImage

    /// `preroll`: frames of driving simulated before frame 0 so the camera arrives adapted
    /// (by default `prerollFrames` at 30 fps, the same two seconds at other rates; 0 starts with a
    /// camera settled on frame 0).
    public init(scenario: Scenario, size: ImageSize, cameraParameters: CameraModel.Parameters = .init(),
                preroll: Int? = nil) {
        let preroll = preroll ?? (scenario.fps == Scenario.timelineFPS ? DriveSynthesizer.prerollFrames
            : Int((Double(DriveSynthesizer.prerollFrames) * scenario.fps / Scenario.timelineFPS).rounded()))
        self.scenario = scenario
        self.size = size
        renderer = RoadRenderer(scenario: scenario, size: size)
        geometry = LaneGeometry(scenario: scenario, size: size)
        camera = CameraModel(parameters: cameraParameters, size: size, seed: scenario.seed)
        autoExposure = AutoExposure(parameters: scenario.autoExposure)
        roi = PolygonMask.rasterize(geometry.cameraProfile().roi, size: size)
        roiPixelCount = max(roi.setCount, 1)
        radiance = RadianceImage(width: size.width, height: size.height)
        glare = RadianceImage(width: size.width, height: size.height)
        prerollAutoExposure(frames: preroll)
    }

    /// Frames of driving simulated before frame 0 at 30 fps (metering only, at a quarter of the size), so
    /// the camera arrives at frame 0 adapted to where it has been, e.g. deep inside the tunnel,
    /// however short the drive.
    public static let prerollFrames = 60

    private var prerolled = false

    private func prerollAutoExposure(frames: Int) {
        guard frames > 0 else { return }
        prerolled = true
        let small = ImageSize(width: max(size.width / 4, 16), height: max(size.height / 4, 9))
        let meter = RoadRenderer(scenario: scenario, size: small)
        var r = RadianceImage(width: small.width, height: small.height)
        var g = RadianceImage(width: small.width, height: small.height)
        for index in -frames..<0 {
            let info = meter.render(frame: index, into: &r, glare: &g)
            _ = meterAndStep(r, glare: info.hasGlare ? g : nil, first: index == -frames)
        }
    }

    /// Meters a frame as the camera sees it and advances the auto-exposure; returns the scene's
    /// own metered value (for the converged exposure).
    private func meterAndStep(_ radiance: RadianceImage, glare: RadianceImage?, first: Bool) -> Double {
        let rows = AutoExposure.meteringRows(height: radiance.height)
        let cap = scenario.autoExposure.meteringCap
        let sceneMean = radiance.logAverageLuminance(rows: rows, cap: cap)
        // The camera meters its own picture: radiance above its clip level reads no brighter than
        // 3× the clip level (AE heuristics take a clipped pixel as ~1.6 stops over), and crushed
        // pixels read as the black level (1 % of full scale), which is why white-outs and
        // black-outs take time to recover from.
        let clip = first ? cap : min(cap, Float(3 / autoExposure.exposure))
        let blackLevel = first ? Float(1e-4) : Float(0.01 / autoExposure.exposure)
        let seenMean = radiance.logAverageLuminance(rows: rows, cap: clip, floor: blackLevel, extra: glare)
        if first { autoExposure.settle(meteredMean: seenMean) } else { autoExposure.step(meteredMean: seenMean) }
        return sceneMean
    }

    public func makeOutput() -> Output {
        Output(frame: RGBImage(width: size.width, height: size.height), clean: RGBImage(width: size.width, height: size.height),
               holes: Mask(width: size.width, height: size.height, fill: 0))
    }

    /// Renders frame `index` (frames must be rendered in order: the auto-exposure has memory).
    public func render(frame index: Int, into out: inout Output) {
        let info = renderer.render(frame: index, into: &radiance, glare: &glare)
        let sceneMean = meterAndStep(radiance, glare: info.hasGlare ? glare : nil, first: index == 0 && !prerolled)
        var exposure = autoExposure.exposure
        if let hunting = scenario.hunting { exposure *= hunting.factor(at: index) }
        // The clean frame: the converged exposure, lowered where needed so that the brightest
        // 0.1 % of the lane ROI stays below clipping (the truth must show what the holes hide).
        let converged = min(autoExposure.target(meteredMean: sceneMean), 1.0 / max(roiHighlight(), 1e-6))
        camera.develop(radiance, glare: info.hasGlare ? glare : nil, exposure: exposure, frame: index, mode: .sensor,
                       into: &out.frame, holes: &out.holes)
        camera.develop(radiance, exposure: converged, frame: index, mode: .ideal, into: &out.clean)
        out.label = geometry.label(frame: index, pose: info.pose)
        out.exposure = exposure
        out.convergedExposure = converged
        out.pose = info.pose
        var inside = 0
        out.holes.values.withUnsafeBufferPointer { h in
            roi.values.withUnsafeBufferPointer { r in
                for i in 0..<h.count where h[i] != 0 && r[i] != 0 { inside += 1 }
            }
        }
        out.roiHoleFraction = Double(inside) / Double(roiPixelCount)
    }

    /// Luminance of the 99.9th percentile of the lane ROI in the current radiance (log histogram).
    private func roiHighlight() -> Double {
        var histogram = [Int](repeating: 0, count: 256)
        var count = 0
        // Bins of 1/16 stop from 2^-12 to 2^4.
        radiance.values.withUnsafeBufferPointer { v in
            roi.values.withUnsafeBufferPointer { r in
                var i = 0
                while i < r.count {
                    if r[i] != 0 {
                        let l = 0.2126 * v[3 * i] + 0.7152 * v[3 * i + 1] + 0.0722 * v[3 * i + 2]
                        let bin = Int((log2(Double(max(l, 1e-9))) + 12) * 16)
                        histogram[min(max(bin, 0), 255)] += 1
                        count += 1
                    }
                    i += 2  // every other pixel is plenty for a percentile
                }
            }
        }
        var above = 0
        for bin in stride(from: 255, through: 0, by: -1) {
            above += histogram[bin]
            if Double(above) >= 0.001 * Double(count) { return exp2(Double(bin + 1) / 16 - 12) }
        }
        return 1e-6
    }

    /// What `clearlane synth` prints and the benchmark reports.
    public struct Timing: Sendable {
        public var frames = 0
        public var renderSeconds = 0.0
        public var writeSeconds = 0.0
        public var totalSeconds = 0.0
        /// CPU time of all threads while rendering: independent of other load on the machine.
        public var renderCPUSeconds = 0.0
    }

    /// CPU seconds used by the whole process so far (all threads).
    public static func processCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Renders the whole drive into `folder` (or only renders, for benchmarks, when nil).
    @discardableResult
    public func synthesize(into folder: String?, storage: DriveWriter.Storage = .png(compression: 2),
                           command: String) throws -> Timing {
        var timing = Timing()
        let start = Date()
        let writer = try folder.map { try DriveWriter(folder: $0, size: size, fps: scenario.fps, storage: storage) }
        var out = makeOutput()
        var labels: [LaneLabel] = []
        var perFrame: [ExposureLog.FrameExposure] = []
        for index in 0..<scenario.frames {
            let t0 = Date(), c0 = DriveSynthesizer.processCPUTime()
            render(frame: index, into: &out)
            let t1 = Date()
            timing.renderCPUSeconds += DriveSynthesizer.processCPUTime() - c0
            try writer?.write(frame: out.frame, clean: out.clean, holes: out.holes)
            timing.renderSeconds += t1.timeIntervalSince(t0)
            timing.writeSeconds += Date().timeIntervalSince(t1)
            if let label = out.label { labels.append(label) }
            perFrame.append(.init(frame: index, ev: (log2(out.exposure / out.convergedExposure) * 1000).rounded() / 1000,
                                  roiHoles: (out.roiHoleFraction * 10000).rounded() / 10000))
            timing.frames += 1
        }
        if let writer {
            let t1 = Date()
            let manifest = DriveManifest(
                fps: scenario.fps, width: size.width, height: size.height, camera: .inline(geometry.cameraProfile()),
                source: "synthetic: \(command) (ClearLane road renderer and camera model)",
                license: "generated by ClearLane from a seed; no third-party content",
                labels: "synthetic (exact): lane centre lines projected from the scene geometry",
                frames: scenario.frames)
            try writer.finish(manifest: manifest, labels: labels,
                              exposure: ExposureLog(events: DriveSynthesizer.events(scenario.events, hunting: scenario.hunting, frames: perFrame),
                                                    frames: perFrame),
                              comment: "Synthetic ClearLane drive (preset \(scenario.preset.rawValue), seed \(scenario.seed)). Regenerate: \(command)")
            timing.writeSeconds += Date().timeIntervalSince(t1)
        }
        timing.totalSeconds = Date().timeIntervalSince(start)
        return timing
    }

    /// Events with their extent: from the scheduled frame (or the first affected frame shortly
    /// before it) to the last frame of the run of frames whose ROI holes cover ≥ 1 %.
    static func events(_ scheduled: [ScheduledEvent], hunting: Hunting?, frames: [ExposureLog.FrameExposure]) -> [ExposureLog.Event] {
        func affected(_ i: Int) -> Bool { i >= 0 && i < frames.count && (frames[i].roiHoles ?? 0) >= 0.01 }
        return scheduled.map { event in
            if event.kind == "hunting", let hunting {
                return ExposureLog.Event(kind: event.kind, startFrame: hunting.startFrame, endFrame: min(hunting.endFrame, frames.count - 1))
            }
            if let end = event.endFrame {  // a stated duration
                return ExposureLog.Event(kind: event.kind, startFrame: min(event.frame, frames.count - 1), endFrame: min(end, frames.count - 1))
            }
            var start = min(event.frame, frames.count - 1)
            while start > 0 && affected(start - 1) && event.frame - start < 30 { start -= 1 }
            var end = start
            while affected(end + 1) && (affected(end) || end < event.frame + 5) { end += 1 }
            return ExposureLog.Event(kind: event.kind, startFrame: start, endFrame: max(end, start))
        }
    }
}
