import Configuration
import Drives
import Foundation
import Imaging
import Lanes
import Media
import Pipeline

/// The variants `clearlane replay` can score the lane detector on.
public enum ReplayVariant: String, CaseIterable, Sendable {
    case raw, clahe, gamma, restored, clean
    /// Restoration baselines: holes filled from the last hole-free frame / the temporal median of
    /// the memory, without alignment (what CPNet's alignment and paste decoder add over them).
    case copyLast = "copy-last", median

    /// Variants that fill holes: they restore the live detector's holes, as on the vehicle.
    public var restoresHoles: Bool { self == .restored || self == .copyLast || self == .median }
}

/// Replays one drive through the shared pipeline stages for every variant, as fast as possible
/// and never dropping a frame, and scores each against the drive's labels.
public struct DriveReplay {
    public struct Options {
        /// The processing box: each drive is processed at the largest size with its own aspect
        /// ratio that fits inside it (`ImageSize.fitting(aspectOf:)`), so a 4:3 camera is neither
        /// stretched nor letterboxed, and scored in its native pixels.
        public var processingSize = ImageSize(width: 640, height: 360)
        /// Every stage of every variant comes from here (the config's `exposure:`, `lanes:` and
        /// `restorer:` sections and the weights), as on the vehicle.
        public var stages = StageFactory()
        /// The `lanes:` section the stages use (detector, baselines, what counts as affected).
        public var lanes: LanesConfig {
            get { stages.lanes }
            set { stages.lanes = newValue }
        }
        /// Folder of named camera profiles (lanes.cameras_folder resolved).
        public var camerasFolder = "config/cameras"
        /// --camera: overrides drive.yaml's profile.
        public var camera: String?
        public var variants: [ReplayVariant] = [.raw, .clahe, .gamma, .restored, .clean]
        /// Detect holes live (the stages' ExposureAnalyzer) where the vehicle would: for drives
        /// without truth masks, and for the restoring variants on every drive. Off: only truth
        /// masks give holes (drives without them get no exposure-affected figures).
        public var detectsHoles = true
        /// Worst labeled frames to render as strips (0: none).
        public var strips = 2
        /// Folder to write strips into (nil: no strips).
        public var stripFolder: String?
        /// Stop after this many frames (nil: the whole drive).
        public var maxFrames: Int?
        /// Seconds each frame may spend in restoration, as the daemon's deadline gives them
        /// (infinity: every frame is restored, however long it takes).
        public var frameBudget = Double.infinity
        /// Called after every frame with (frames done, frames total or nil).
        public var progress: ((Int, Int?) -> Void)?
        public init() {}
    }

    public let drive: Drive
    public let preset: String?
    public let options: Options

    public init(drive: Drive, preset: String? = nil, options: Options) {
        self.drive = drive
        self.preset = preset
        self.options = options
    }

    /// Per-variant frame state, all buffers reused.
    private final class VariantState {
        let variant: ReplayVariant
        let pipeline: FramePipeline
        var readout: LaneReadout
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var lanes: [[Double]] = []
        var confidences: [Double] = []
        var report = VariantReport()
        /// The ego lines' positions at the car in the previous frame (bird's-eye pixels).
        var previousEgo: (left: Double?, right: Double?) = (nil, nil)
        var quality = ImageQuality()
        /// This frame's paint evidence (restoring variants on affected labeled frames with clean truth).
        var evidence: RestorationDiagnosis.Evidence?
        init(variant: ReplayVariant, pipeline: FramePipeline, readout: LaneReadout) {
            self.variant = variant
            self.pipeline = pipeline
            self.readout = readout
        }
    }

    private struct StripCandidate {
        var frame: Int
        /// How much the frame shows: labeled, how far the variants' accuracies spread (where they
        /// disagree most is where restoration helped or hurt); unlabeled, its hole coverage.
        var interest: Double
        var images: [(ReplayVariant, RGBImage, [[Double]])]
        var accuracies: [Double]
        var truth: LaneLabel?
        var rows: [Int]
        var holeCoverage: Double
    }

    /// Runs the replay; `notes` receives variants that could not be computed and why.
    public func run(notes: inout [String]) throws -> DriveReport {
        let started = Date()
        let labelSize = ImageSize(width: drive.manifest.width, height: drive.manifest.height)
        let size = options.processingSize.fitting(aspectOf: labelSize)
        let labels = try drive.loadLabels()
        // Camera: --camera, drive.yaml, else estimated from the first frames.
        var resolved = try CameraProfiles.resolve(drive: drive, override: options.camera, folder: options.camerasFolder)
        if resolved == nil {
            let source = try drive.openFrames(size: labelSize)
            var frames: [RGBImage] = []
            while frames.count < options.lanes.estimateFrames, let f = try source.next() { frames.append(f.image) }
            source.close()
            resolved = CameraProfiles.estimate(frames: frames)
        }
        guard let camera = resolved else {
            throw ConfigError(file: drive.manifestPath, keyPath: "camera", line: nil,
                              message: "has no camera profile and none could be estimated from the frames; add one (see config/cameras/) or pass --camera")
        }
        let geometry = camera.geometry.scaled(to: size)
        if let problem = geometry.problem {
            throw ConfigError(file: drive.manifestPath, keyPath: "camera", line: nil, message: problem)
        }
        let roi = geometry.roiMask()
        let defaultRows = LaneReadout.defaultRows(geometry: camera.geometry.scaled(to: labelSize), step: options.lanes.rowStep)

        // Stage 1 for all variants: truth masks when the drive has them, else the live detector.
        var holeDetector: (any HoleDetecting)?
        if let masks = drive.masksFolder {
            holeDetector = try TruthMaskHoles(folder: masks, fps: drive.manifest.fps, size: size, roi: roi)
        } else {
            holeDetector = options.detectsHoles ? options.stages.holeDetector(for: geometry) : nil
        }
        let holeSource = holeDetector.map { $0.holeSource } ?? "none (no truth masks and no hole detector): exposure-affected figures absent"

        var states: [VariantState] = []
        for variant in options.variants {
            var correction: (any FrameCorrection)?
            var restorer: FrameRestoring?
            switch variant {
            case .raw: break
            case .clahe: correction = options.stages.clahe()
            case .gamma: correction = options.stages.gamma(roi: roi)
            case .restored:
                // The memory counts seconds at the drive's own frame rate.
                guard let r = options.stages.cpnet(for: geometry, fps: drive.manifest.fps) else {
                    appendOnce(&notes, "restored: omitted — no CPNet model is available yet (nothing is faked)")
                    continue
                }
                restorer = r
            case .copyLast:
                restorer = CopyLastRestoration()
            case .median:
                // The CPNet's memory in seconds at the drive's frame rate.
                restorer = options.stages.median(fps: drive.manifest.fps)
            case .clean:
                guard drive.cleanFolder != nil || drive.cleanVideo != nil else {
                    appendOnce(&notes, "clean: omitted for drives without clean/ frames (\(drive.name))")
                    continue
                }
            }
            // The lane tracks count seconds at the drive's frame rate too.
            guard let pipeline = options.stages.pipeline(geometry: geometry, fps: drive.manifest.fps, restorer: restorer, correction: correction) else {
                throw ConfigError(file: drive.manifestPath, keyPath: "camera", line: nil, message: "camera geometry is unusable")
            }
            states.append(VariantState(variant: variant, pipeline: pipeline,
                                       readout: LaneReadout(labelSize: labelSize, processingSize: size, hSamples: defaultRows)))
        }

        let rawSource = try drive.openFrames(size: size, options: .init(stallTimeout: 30, maxBuffers: 8))
        let cleanSource = try drive.openCleanFrames(size: size, options: .init(stallTimeout: 30, maxBuffers: 8))
        let total: Int? = {
            if case .images(let seq) = drive.frames { return seq.count }
            return nil
        }()
        var report = DriveReport(name: drive.name, path: drive.folder, preset: preset, camera: camera.origin,
                                 holeSource: holeSource, labels: drive.manifest.labels)
        report.footage = drive.manifest.footage
        report.events = try drive.exposurePath.map { try ExposureLog.read($0).events }
        report.nativeSize = labelSize.description
        report.processingSize = size.description
        var raw = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var clean = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var holes = Mask(width: size.width, height: size.height, fill: 0)
        // The restored variant restores what the vehicle would detect, never the truth masks: its
        // holes come from the live detector even on drives that have masks/ (those still decide
        // which frames are exposure-affected and where hole PSNR/SSIM is measured).
        var liveDetector: (any HoleDetecting)? = nil
        if states.contains(where: { $0.variant.restoresHoles }), drive.masksFolder != nil {
            liveDetector = options.detectsHoles ? options.stages.holeDetector(for: geometry) : nil
            if let live = liveDetector { appendOnce(&notes, "restored, copy-last, median: holes from \(live.holeSource), as on the vehicle (truth masks only score)") }
        }
        if options.frameBudget.isFinite, states.contains(where: { $0.variant == .restored }) {
            appendOnce(&notes, String(format: "restored: %.1f ms per frame for restoration, as on the vehicle; the CPNet was not started where it would overrun that (restorer.deadline_fallback says what happened instead)", 1000 * options.frameBudget))
        }
        if options.lanes.preferFilmed, states.contains(where: { $0.variant.restoresHoles }) {
            appendOnce(&notes, "restored, copy-last, median: a lane seen in the frame as filmed is reported over the restored frame's (lanes.prefer_filmed)")
        }
        var liveHoles = Mask(width: size.width, height: size.height, fill: 0)
        var paint = Mask(width: size.width, height: size.height, fill: 0)
        var coverageSum = 0.0
        var worst: [StripCandidate] = []
        let wantStrips = options.stripFolder != nil && options.strips > 0
        var index = 0
        while index < (options.maxFrames ?? Int.max), try rawSource.read(into: &raw) {
            raw.index = index
            var haveClean = false
            if let cleanSource {
                haveClean = try cleanSource.read(into: &clean)
            }
            var coverage: Double?
            if holeDetector != nil {
                let stats = try holeDetector!.detectHoles(in: raw, into: &holes)
                coverage = stats.roiCoverage
            } else {
                for i in holes.values.indices { holes.values[i] = 0 }
            }
            if liveDetector != nil { _ = try liveDetector!.detectHoles(in: raw, into: &liveHoles) }
            let affected = coverage.map { $0 >= options.lanes.affectedCoverage } ?? false
            coverageSum += coverage ?? 0
            if affected { report.affectedFrames += 1 }
            let label = labels?.byFrame[index]
            var accuracies: [String: Double] = [:]
            // Diagnosis: where restoring variants lose the paint, on affected labeled frames.
            let diagnose = affected && haveClean && label != nil && states.contains { $0.variant.restoresHoles }
            if diagnose, let label {
                LanePaint.rasterize(lanes: label.lanes, rows: label.hSamples, labelSize: labelSize, into: &paint,
                                    radius: max(1, 2 * Double(size.width) / 640))
            }
            for state in states {
                state.evidence = nil
                let source = state.variant == .clean ? clean : raw
                if state.variant == .clean && !haveClean { continue }
                copy(source, into: &state.frame)
                let useLive = state.variant.restoresHoles && liveDetector != nil
                let result = state.pipeline.process(&state.frame, holes: useLive ? liveHoles : holes, budget: options.frameBudget)
                state.report.addTiming(seconds: result.lanesSeconds)
                if state.variant.restoresHoles { state.report.countRestoration(result.restoration.rawValue) }
                if diagnose && state.variant.restoresHoles {
                    state.evidence = RestorationDiagnosis.measure(paint: paint, filmed: raw.image, restored: state.frame.image, clean: clean.image,
                                                                  truthHoles: drive.masksFolder != nil ? holes : nil,
                                                                  liveHoles: useLive ? liveHoles : holes)
                }
                let detection = state.pipeline.detection
                func atCar(_ slot: LaneSlot) -> Double? { detection.lane(slot).map { $0.a + $0.b + $0.c } }
                let ego = (left: atCar(.egoLeft), right: atCar(.egoRight))
                var stability = state.report.laneStability ?? LaneStability()
                stability.add(left: ego.left, right: ego.right, previousLeft: state.previousEgo.left, previousRight: state.previousEgo.right)
                state.report.laneStability = stability
                state.previousEgo = ego
                if label == nil && wantStrips {
                    // Unlabeled: the lanes at the default rows, for the strips.
                    state.readout.setRows(defaultRows)
                    state.readout.read(detection, from: state.pipeline.detector, into: &state.lanes, confidences: &state.confidences)
                }
                if let label {
                    state.readout.setRows(label.hSamples)
                    state.readout.read(state.pipeline.detection, from: state.pipeline.detector, into: &state.lanes, confidences: &state.confidences)
                    let score = LaneMetric.score(predicted: state.lanes, label: label, imageWidth: labelSize.width, imageHeight: labelSize.height)
                    state.report.all.add(score)
                    if affected { state.report.exposureAffected.add(score) }
                    // Frames whose truth has no lane are out of the TuSimple figures (and timeline).
                    if !score.emptyTruth { accuracies[state.variant.rawValue] = score.accuracy }
                }
                if haveClean && state.variant != .clean {
                    state.report.quality = state.report.quality ?? QualitySummary()
                    state.report.quality!.add(state.quality.measure(state.frame.image, clean: clean.image, holes: coverage != nil ? holes : nil))
                }
            }
            if diagnose { diagnoseFrame(states: states, accuracies: accuracies) }
            if let label {
                report.labeledFrames += 1
                if affected { report.affectedLabeledFrames += 1 }
                if wantStrips, let spread = accuracies.values.max().map({ $0 - accuracies.values.min()! }) {
                    considerStrip(&worst, frame: index, interest: spread, label: label, rows: label.hSamples, coverage: coverage ?? 0,
                                  states: states, accuracies: accuracies)
                }
            } else if wantStrips, labels == nil, let coverage, coverage > 0 {
                // Only a drive without labels shows its frames with the most holes: in a labeled
                // drive an unlabeled frame's coverage would compete with the labeled frames'
                // spreads of accuracy, another scale.
                considerStrip(&worst, frame: index, interest: coverage, label: nil, rows: defaultRows, coverage: coverage,
                              states: states, accuracies: [:])
            }
            report.timeline.append(TimelinePoint(frame: index, holeCoverage: coverage ?? 0, affected: affected,
                                                 accuracy: accuracies.isEmpty ? nil : accuracies))
            index += 1
            options.progress?(index, total)
        }
        if index == options.maxFrames {
            rawSource.close()
            cleanSource?.close()
        }
        report.frames = index
        report.meanHoleCoverage = index > 0 ? coverageSum / Double(index) : 0
        for state in states { report.variants[state.variant.rawValue] = state.report }
        if holeDetector == nil {
            appendOnce(&notes, "exposure-affected figures: absent for \(drive.name) (no truth masks/ and no hole detector)")
        }
        if labels == nil { appendOnce(&notes, "\(drive.name): no labels (labels.json or CULane labels/), so no accuracy figures") }
        report.replayFPS = Double(index) / max(Date().timeIntervalSince(started), 1e-9)
        if let folder = options.stripFolder {
            report.strips = try writeStrips(worst, folder: folder, labelSize: labelSize, processing: size)
        }
        return report
    }

    /// Attributes each restoring variant's loss on this frame: behind clean, and (restored) behind
    /// the better copy baseline, by more than the diagnosis margin.
    private func diagnoseFrame(states: [VariantState], accuracies: [String: Double]) {
        let margin = RestorationDiagnosis.Thresholds().margin
        let clean = accuracies[ReplayVariant.clean.rawValue]
        let baselines = [ReplayVariant.copyLast, .median].compactMap { accuracies[$0.rawValue] }
        for state in states {
            guard let evidence = state.evidence, let accuracy = accuracies[state.variant.rawValue] else { continue }
            let cause = RestorationDiagnosis.cause(evidence)
            let behindClean = clean.map { accuracy < $0 - margin } == true ? cause : nil
            var behindBaseline: RestorationDiagnosis.Cause?? = nil
            if state.variant == .restored, baselines.count == 2 {
                behindBaseline = .some(accuracy < baselines.max()! - margin ? cause : nil)
            }
            var d = state.report.diagnosis ?? DiagnosisSummary()
            d.add(evidence, behindClean: behindClean, behindBaseline: behindBaseline)
            state.report.diagnosis = d
        }
    }

    private func appendOnce(_ notes: inout [String], _ note: String) {
        if !notes.contains(note) { notes.append(note) }
    }

    /// Copies pixels into the variant's reusable buffer (no allocation once sizes match).
    private func copy(_ source: Frame, into target: inout Frame) {
        target.image.reshape(width: source.width, height: source.height)
        target.image.pixels.withUnsafeMutableBufferPointer { dst in
            source.image.pixels.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
        target.pts = source.pts
        target.index = source.index
    }

    private func considerStrip(_ kept: inout [StripCandidate], frame: Int, interest: Double, label: LaneLabel?, rows: [Int],
                               coverage: Double, states: [VariantState], accuracies: [String: Double]) {
        guard kept.count < options.strips || interest > (kept.map(\.interest).min() ?? 0) else { return }
        // Strips show what each variant's detector saw: raw, baselines, restored, clean.
        var images: [(ReplayVariant, RGBImage, [[Double]])] = []
        for s in states { images.append((s.variant, s.frame.image, s.lanes)) }
        kept.append(StripCandidate(frame: frame, interest: interest, images: images,
                                   accuracies: label == nil ? [] : states.map { accuracies[$0.variant.rawValue] ?? 0 },
                                   truth: label, rows: rows, holeCoverage: coverage))
        // Most interesting first; among equals the earlier frame stays.
        kept.sort { $0.interest > $1.interest || ($0.interest == $1.interest && $0.frame < $1.frame) }
        if kept.count > options.strips { kept.removeLast() }
    }

    /// One PNG per chosen frame: the variants side by side at half the processing size, with the
    /// true lanes (when labeled) and the detected ones in colour-blind-safe colours (Okabe–Ito
    /// orange and sky blue; the report's legend names them). The report labels the tiles.
    private func writeStrips(_ chosen: [StripCandidate], folder: String, labelSize: ImageSize, processing: ImageSize) throws -> [Strip] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var strips: [Strip] = []
        for candidate in chosen.sorted(by: { $0.frame < $1.frame }) {
            let tileSize = ImageSize(width: processing.width / 2, height: processing.height / 2)
            var strip = RGBImage(width: tileSize.width * candidate.images.count, height: tileSize.height)
            let sx = Double(tileSize.width) / Double(labelSize.width), sy = Double(tileSize.height) / Double(labelSize.height)
            let rows = candidate.rows.map { Int((Double($0) + 0.5) * sy - 0.5) }
            for (k, entry) in candidate.images.enumerated() {
                var tile = Resize.bilinear(entry.1, to: tileSize)
                for lane in candidate.truth?.lanes ?? [] {
                    Drawing.lane(&tile, xs: lane.map { $0 < 0 ? $0 : ($0 + 0.5) * sx - 0.5 }, rows: rows, thickness: 2, dotRadius: 1, color: Drawing.truthLane)
                }
                for lane in entry.2 {
                    Drawing.lane(&tile, xs: lane.map { $0 < 0 ? $0 : ($0 + 0.5) * sx - 0.5 }, rows: rows, thickness: 1, dotRadius: 1, color: Drawing.detectedLane)
                }
                Drawing.paste(tile, into: &strip, x0: k * tileSize.width, y0: 0)
            }
            let name = "\(drive.name)-\(String(format: "%06d", candidate.frame)).png"
            try ImageFile.writePNG(strip, to: (folder as NSString).appendingPathComponent(name))
            strips.append(Strip(file: "strips/\(name)", frame: candidate.frame, variants: candidate.images.map { $0.0.rawValue },
                                accuracy: candidate.accuracies, holeCoverage: candidate.holeCoverage))
        }
        return strips
    }
}
