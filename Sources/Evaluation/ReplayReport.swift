import Drives
import Foundation

/// The result of `clearlane replay`, written as report.json. Schema "clearlane.replay-report/2"
/// (docs/guides/replay-and-reports.md § Reading the report documents every field; docs/design/metrics.md the metrics):
///
///     { schema, created, command, processing_size, affected_coverage, variants, notes,
///       overall:  {VARIANT: VariantReport},
///       presets:  {PRESET: {VARIANT: VariantReport}},
///       drives:   [DriveReport],
///       failed_drives: [{name, path, error}] }
///     VariantReport = { all: Summary, exposure_affected: Summary, quality: Quality|null, detector_fps,
///                       restorations|absent, diagnosis: Diagnosis|absent, lane_stability: Stability|absent }
///     Stability = { frames, ego_pair_frames, jitter_sum, jitter_samples }   (LaneStability; no labels needed)
///     Diagnosis = { frames, behind_clean: {CAUSE: n}, behind_baseline: {CAUSE: n}|absent,
///                   paint_pixels, paint_in_truth_holes, missed, over_detected, filled, unseen,
///                   filled_error_sum }            (RestorationDiagnosis; restoring variants only)
///     Summary = { frames, empty_truth_frames,
///                 accuracy, fp_rate, fn_rate,                (official TuSimple: the headline)
///                 accuracy_sum, fp_rate_sum, fn_rate_sum,
///                 culane_tp, culane_fp, culane_fn,
///                 culane_precision|absent, culane_recall|absent, culane_f1|absent,
///                 ego_pair_rate|absent, ego_pair_frames, ego_pair_matched }
///     Quality = { frames, psnr, ssim, hole_frames, psnr_holes|null, ssim_holes|null,
///                 shown_hole_frames, psnr_shown_holes|absent }   (hole pixels the clean frame shows)
///
/// TuSimple means (`accuracy`, `fp_rate`, `fn_rate`) are over the labeled frames whose truth has
/// a lane (`frames − empty_truth_frames`; the sums are stored, so summaries pool exactly, also
/// after reading a report back); CULane TP / FP / FN are summed over all labeled frames. Quality
/// means are over frames with clean truth. Overall and per-preset figures pool the frames of their
/// drives. /1 → /2: TuSimple made exact (line accuracy over all h_samples, unfiltered truth lanes,
/// the early return for too many predictions), empty-truth frames left out of the TuSimple means,
/// CULane F1 and the sums added.
public struct ReplayReport: Codable, Sendable {
    public var schema = "clearlane.replay-report/2"
    public var created: String
    public var command: String
    public var processingSize: String
    public var affectedCoverage: Double
    public var variants: [String]
    /// Variants that could not be computed and why, and other caveats.
    public var notes: [String]
    public var overall: [String: VariantReport]
    public var presets: [String: [String: VariantReport]]
    public var drives: [DriveReport]
    /// Drives that could not be replayed (unreadable video, bad labels, bad drive.yaml) and why;
    /// the figures above leave them out. Absent (nil) only in reports written before it existed.
    public var failedDrives: [FailedDrive]?
    /// `--shard I/N`: which slice of the inputs' drives this report covers (absent: all of them).
    public var shard: Shard?

    /// A deterministic slice of a replay's drives: those whose index k satisfies k mod count = index − 1.
    public struct Shard: Codable, Sendable, Equatable {
        /// 1-based.
        public var index: Int
        public var count: Int
        /// Drives of the whole replay (all shards together).
        public var totalDrives: Int

        enum CodingKeys: String, CodingKey { case index, count, totalDrives = "total_drives" }

        public init(index: Int, count: Int, totalDrives: Int) {
            self.index = index
            self.count = count
            self.totalDrives = totalDrives
        }

        /// Parses "I/N" (1 ≤ I ≤ N).
        public init?(parsing text: String, totalDrives: Int) {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
            self.init(index: i, count: n, totalDrives: totalDrives)
        }

        public func contains(driveIndex k: Int) -> Bool { k % count == index - 1 }
    }

    enum CodingKeys: String, CodingKey {
        case schema, created, command, processingSize = "processing_size", affectedCoverage = "affected_coverage"
        case variants, notes, overall, presets, drives
        case failedDrives = "failed_drives", shard
    }

    public init(command: String, processingSize: String, affectedCoverage: Double, variants: [String], notes: [String], drives: [DriveReport],
                failedDrives: [FailedDrive] = []) {
        created = ISO8601DateFormatter().string(from: Date())
        self.command = command
        self.processingSize = processingSize
        self.affectedCoverage = affectedCoverage
        self.variants = variants
        self.drives = drives
        self.failedDrives = failedDrives
        overall = Self.pool(drives)
        var byPreset: [String: [DriveReport]] = [:]
        for d in drives { byPreset[d.preset ?? d.name, default: []].append(d) }
        presets = byPreset.mapValues(Self.pool)
        // One order whatever order the drives ran in (so shards merge into the same report), and
        // the metric notes of these very drives (a shard's empty-truth count is not the whole's).
        let metric = Self.metricNotes(overall: overall, variants: variants)
        self.notes = Array(Set(notes.filter { !Self.isMetricNote($0) })).sorted() + metric
    }

    /// What the figures are (always), and how many labeled frames the TuSimple means leave out.
    static func isMetricNote(_ note: String) -> Bool {
        note.hasPrefix("accuracy / FP / FN: official TuSimple") || note.contains("labeled frames have no truth lane")
    }

    static func metricNotes(overall: [String: VariantReport], variants: [String]) -> [String] {
        var out = [
            "accuracy / FP / FN: official TuSimple LaneEval.bench per labeled frame, averaged over frames "
                + "(pixel_thresh 20 px at 1280 px wide, scaled by width/1280); "
                + "CULane F1: lanes drawn 30 px wide at 1640 px wide (scaled by width/1640), IoU >= 0.5, "
                + "TP/FP/FN summed over frames (docs/design/metrics.md)",
        ]
        if let all = variants.lazy.compactMap({ overall[$0]?.all }).first(where: { $0.frames > 0 }), all.emptyTruthFrames > 0 {
            out.append("\(all.emptyTruthFrames) of \(all.frames) labeled frames have no truth lane: left out of the "
                       + "TuSimple means (TuSimple would score them 0), counted in CULane (their predictions are false positives)")
        }
        return out
    }

    static func pool(_ drives: [DriveReport]) -> [String: VariantReport] {
        var out: [String: VariantReport] = [:]
        for d in drives {
            for (name, v) in d.variants {
                var pooled = out[name] ?? VariantReport()
                pooled.all.merge(v.all)
                pooled.exposureAffected.merge(v.exposureAffected)
                if let q = v.quality {
                    var pq = pooled.quality ?? QualitySummary()
                    pq.merge(q)
                    pooled.quality = pq
                }
                for (outcome, n) in v.restorations ?? [:] { pooled.countRestoration(outcome, frames: n) }
                if let d = v.diagnosis {
                    var pd = pooled.diagnosis ?? DiagnosisSummary()
                    pd.merge(d)
                    pooled.diagnosis = pd
                }
                if let stability = v.laneStability {
                    var ps = pooled.laneStability ?? LaneStability()
                    ps.merge(stability)
                    pooled.laneStability = ps
                }
                pooled.lanesSeconds += v.lanesSeconds
                pooled.framesTimed += v.framesTimed
                pooled.detectorFPS = pooled.lanesSeconds > 0 ? Double(pooled.framesTimed) / pooled.lanesSeconds : nil
                out[name] = pooled
            }
        }
        return out
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    public static func read(_ path: String) throws -> ReplayReport {
        try JSONDecoder().decode(ReplayReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

public struct VariantReport: Codable, Sendable, Equatable {
    public var all = ScoreSummary()
    public var exposureAffected = ScoreSummary()
    /// PSNR/SSIM against clean/ (absent without clean frames, and for the clean variant itself).
    public var quality: QualitySummary?
    /// Lane-detection frames per second (detector stage only; correction excluded).
    public var detectorFPS: Double?
    /// Restoring variants: frames per restoration outcome ("restored", "copied_last",
    /// "skipped_deadline", …), so a replay with a frame budget shows who filled the holes.
    public var restorations: [String: Int]?
    /// Restoring variants: where they lose lanes on exposure-affected frames (RestorationDiagnosis).
    public var diagnosis: DiagnosisSummary?
    /// Ego-lane presence and frame-to-frame steadiness (needs no labels).
    public var laneStability: LaneStability?
    /// The detector's time and frame count behind `detector_fps` (stored, so reports merge).
    var lanesSeconds = 0.0
    var framesTimed = 0

    enum CodingKeys: String, CodingKey {
        case all, exposureAffected = "exposure_affected", quality, detectorFPS = "detector_fps", restorations, diagnosis
        case laneStability = "lane_stability"
        case lanesSeconds = "lanes_seconds", framesTimed = "frames_timed"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        all = try c.decode(ScoreSummary.self, forKey: .all)
        exposureAffected = try c.decode(ScoreSummary.self, forKey: .exposureAffected)
        quality = try c.decodeIfPresent(QualitySummary.self, forKey: .quality)
        detectorFPS = try c.decodeIfPresent(Double.self, forKey: .detectorFPS)
        restorations = try c.decodeIfPresent([String: Int].self, forKey: .restorations)
        diagnosis = try c.decodeIfPresent(DiagnosisSummary.self, forKey: .diagnosis)
        laneStability = try c.decodeIfPresent(LaneStability.self, forKey: .laneStability)
        lanesSeconds = try c.decodeIfPresent(Double.self, forKey: .lanesSeconds) ?? 0
        framesTimed = try c.decodeIfPresent(Int.self, forKey: .framesTimed) ?? 0
    }

    public mutating func countRestoration(_ outcome: String, frames: Int = 1) {
        restorations = restorations ?? [:]
        restorations![outcome, default: 0] += frames
    }

    public mutating func addTiming(seconds: Double) {
        lanesSeconds += seconds
        framesTimed += 1
        detectorFPS = lanesSeconds > 0 ? Double(framesTimed) / lanesSeconds : nil
    }
}

public struct QualitySummary: Codable, Sendable, Equatable {
    public var frames = 0
    public var psnr = 0.0
    public var ssim = 0.0
    public var holeFrames = 0
    public var psnrHoles: Double?
    public var ssimHoles: Double?
    /// Frames with hole pixels the clean frame shows, and the mean of their PSNR there
    /// (`ImageQuality.Result.psnrShownHoles`); absent in reports written before it was measured.
    public var shownHoleFrames = 0
    public var psnrShownHoles: Double?
    /// Σ psnr, Σ ssim, Σ psnr_holes, Σ ssim_holes, Σ psnr_shown_holes: stored, so reports merge exactly.
    private var sums = [0.0, 0.0, 0.0, 0.0, 0.0]

    enum CodingKeys: String, CodingKey {
        case frames, psnr, ssim, holeFrames = "hole_frames", psnrHoles = "psnr_holes", ssimHoles = "ssim_holes"
        case psnrSum = "psnr_sum", ssimSum = "ssim_sum", psnrHolesSum = "psnr_holes_sum", ssimHolesSum = "ssim_holes_sum"
        case shownHoleFrames = "shown_hole_frames", psnrShownHoles = "psnr_shown_holes", psnrShownHolesSum = "psnr_shown_holes_sum"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        holeFrames = try c.decode(Int.self, forKey: .holeFrames)
        let psnr = try c.decode(Double.self, forKey: .psnr), ssim = try c.decode(Double.self, forKey: .ssim)
        let psnrHoles = try c.decodeIfPresent(Double.self, forKey: .psnrHoles), ssimHoles = try c.decodeIfPresent(Double.self, forKey: .ssimHoles)
        // Reports written before the sums were stored: rebuilt from the means (not bit-exact).
        sums = [try c.decodeIfPresent(Double.self, forKey: .psnrSum) ?? psnr * Double(frames),
                try c.decodeIfPresent(Double.self, forKey: .ssimSum) ?? ssim * Double(frames),
                try c.decodeIfPresent(Double.self, forKey: .psnrHolesSum) ?? (psnrHoles ?? 0) * Double(holeFrames),
                try c.decodeIfPresent(Double.self, forKey: .ssimHolesSum) ?? (ssimHoles ?? 0) * Double(holeFrames),
                try c.decodeIfPresent(Double.self, forKey: .psnrShownHolesSum) ?? 0]
        shownHoleFrames = try c.decodeIfPresent(Int.self, forKey: .shownHoleFrames) ?? 0
        update()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try c.encode(psnr, forKey: .psnr)
        try c.encode(ssim, forKey: .ssim)
        try c.encode(holeFrames, forKey: .holeFrames)
        try c.encodeIfPresent(psnrHoles, forKey: .psnrHoles)
        try c.encodeIfPresent(ssimHoles, forKey: .ssimHoles)
        try c.encode(sums[0], forKey: .psnrSum)
        try c.encode(sums[1], forKey: .ssimSum)
        try c.encode(sums[2], forKey: .psnrHolesSum)
        try c.encode(sums[3], forKey: .ssimHolesSum)
        try c.encode(shownHoleFrames, forKey: .shownHoleFrames)
        try c.encodeIfPresent(psnrShownHoles, forKey: .psnrShownHoles)
        try c.encode(sums[4], forKey: .psnrShownHolesSum)
    }

    public mutating func add(_ r: ImageQuality.Result) {
        frames += 1
        sums[0] += r.psnr
        sums[1] += r.ssim
        if let p = r.psnrHoles, let s = r.ssimHoles {
            holeFrames += 1
            sums[2] += p
            sums[3] += s
        }
        if let p = r.psnrShownHoles {
            shownHoleFrames += 1
            sums[4] += p
        }
        update()
    }

    public mutating func merge(_ o: QualitySummary) {
        frames += o.frames
        holeFrames += o.holeFrames
        shownHoleFrames += o.shownHoleFrames
        for i in sums.indices { sums[i] += o.sums[i] }
        update()
    }

    private mutating func update() {
        psnr = frames > 0 ? sums[0] / Double(frames) : 0
        ssim = frames > 0 ? sums[1] / Double(frames) : 0
        psnrHoles = holeFrames > 0 ? sums[2] / Double(holeFrames) : nil
        ssimHoles = holeFrames > 0 ? sums[3] / Double(holeFrames) : nil
        psnrShownHoles = shownHoleFrames > 0 ? sums[4] / Double(shownHoleFrames) : nil
    }
}

public struct TimelinePoint: Codable, Sendable, Equatable {
    public var frame: Int
    public var holeCoverage: Double
    public var affected: Bool
    /// TuSimple frame accuracy per variant (labeled frames whose truth has a lane).
    public var accuracy: [String: Double]?

    enum CodingKeys: String, CodingKey { case frame, holeCoverage = "hole_coverage", affected, accuracy }

    public init(frame: Int, holeCoverage: Double, affected: Bool, accuracy: [String: Double]?) {
        self.frame = frame
        self.holeCoverage = holeCoverage
        self.affected = affected
        self.accuracy = accuracy
    }
}

public struct DriveReport: Codable, Sendable {
    public var name: String
    public var path: String
    /// Position among the drives of the replay's inputs (0-based), kept by `--shard` so shards
    /// merge back in the order one whole replay would have pooled them.
    public var index: Int?
    /// Scenario preset (from the evaluation set), used to group figures.
    public var preset: String?
    public var frames = 0
    public var labeledFrames = 0
    /// Frames (all / labeled) whose hole mask covers ≥ affected_coverage of the lane ROI.
    public var affectedFrames = 0
    public var affectedLabeledFrames = 0
    public var meanHoleCoverage = 0.0
    /// The drive's own frame size ("640x480"): labels are scored in these pixels.
    public var nativeSize: String?
    /// The size frames were processed at: the processing box fitted to the drive's aspect ratio.
    public var processingSize: String?
    /// Where the camera geometry came from.
    public var camera: String
    /// Where the hole masks came from ("truth masks (masks/)", "ExposureAnalyzer (detected)", "none").
    public var holeSource: String
    /// How the labels were made (drive.yaml `labels:`).
    public var labels: String?
    /// The footage the drive's frames show (`DriveManifest.footage`): drives of one footage are
    /// drawn together by the drive bootstrap. nil in reports written before it was recorded,
    /// where each drive counts as its own footage.
    public var footage: String?
    /// Frames per second of the whole replay of this drive (decode, holes, all variants, scoring).
    public var replayFPS = 0.0
    public var variants: [String: VariantReport] = [:]
    public var timeline: [TimelinePoint] = []
    public var events: [ExposureLog.Event]?
    /// Frame strips of the worst labeled frames.
    public var strips: [Strip] = []

    enum CodingKeys: String, CodingKey {
        case name, path, index, preset, frames, labeledFrames = "labeled_frames", affectedFrames = "affected_frames"
        case affectedLabeledFrames = "affected_labeled_frames", meanHoleCoverage = "mean_hole_coverage", camera
        case nativeSize = "native_size", processingSize = "processing_size"
        case holeSource = "hole_source", labels, footage, replayFPS = "replay_fps", variants, timeline, events, strips
    }

    public init(name: String, path: String, preset: String?, camera: String, holeSource: String, labels: String?) {
        self.name = name
        self.path = path
        self.preset = preset
        self.camera = camera
        self.holeSource = holeSource
        self.labels = labels
    }
}

/// One frame-strip PNG: the variants side by side (true lanes red, detected green).
public struct Strip: Codable, Sendable, Equatable {
    /// Path relative to the report folder.
    public var file: String
    public var frame: Int
    /// Variants left to right.
    public var variants: [String]
    /// TuSimple frame accuracy of each variant, same order (empty on an unlabeled drive).
    public var accuracy: [Double]
    /// The frame's hole-mask coverage of the lane ROI (strips of unlabeled drives are chosen by it).
    public var holeCoverage: Double?

    enum CodingKeys: String, CodingKey { case file, frame, variants, accuracy, holeCoverage = "hole_coverage" }

    public init(file: String, frame: Int, variants: [String], accuracy: [Double], holeCoverage: Double? = nil) {
        self.file = file
        self.frame = frame
        self.variants = variants
        self.accuracy = accuracy
        self.holeCoverage = holeCoverage
    }
}
