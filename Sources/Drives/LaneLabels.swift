import Foundation

/// One labeled frame in TuSimple's JSON-lines format:
/// `{"raw_file": "frames/000123.png", "h_samples": [240, …], "lanes": [[x or -2, …], …]}`.
public struct LaneLabel: Codable, Sendable, Equatable {
    /// The frame: "frames/000123.png" for image drives, the zero-based index as a string for videos.
    public var rawFile: String
    /// Image rows at which lanes are sampled.
    public var hSamples: [Int]
    /// One array per lane, x (column) at each h_sample, or -2 where the lane is absent.
    public var lanes: [[Double]]
    /// The lanes as labeled, when the label came from a CULane `.lines.txt` (its points, in file
    /// order); `lanes` then holds them resampled at `hSamples`. Nil for TuSimple labels (not in
    /// the JSON). The CULane F1 draws these instead of the resampled lanes.
    public var points: [[LanePoint]]? = nil

    /// TuSimple's marker for "no lane at this row".
    public static let absent: Double = -2
    /// More lanes than this in one frame is rejected as malformed (TuSimple frames hold ≤ 5).
    public static let maxLanes = 5

    enum CodingKeys: String, CodingKey {
        case rawFile = "raw_file", hSamples = "h_samples", lanes
    }

    public init(rawFile: String, hSamples: [Int], lanes: [[Double]]) {
        self.rawFile = rawFile
        self.hSamples = hSamples
        self.lanes = lanes
    }

    /// The frame index this label refers to: the number in "frames/000123.png", "123" or
    /// "labels/000123.lines.txt" (CULane).
    public var frameIndex: Int? {
        var stem = URL(fileURLWithPath: rawFile).deletingPathExtension().lastPathComponent
        if stem.hasSuffix(".lines") { stem.removeLast(".lines".count) }
        return Int(stem)
    }
}

/// A point of a lane as labeled (image pixels; x = column, y = row).
public struct LanePoint: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A drive's labels, keyed by frame: labels.json (TuSimple JSON lines) read and checked line by
/// line, or a `labels/` folder of CULane `NNNNNN.lines.txt` files (`init(culaneFolder:imageHeight:)`).
public struct LaneLabelFile: Sendable {
    public let path: String
    /// Labels keyed by frame index.
    public let byFrame: [Int: LaneLabel]

    public var count: Int { byFrame.count }

    public struct Problem: Error, CustomStringConvertible, Equatable, Sendable {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Problem(file: path, line: 0, message: "cannot be read (missing file or not UTF-8)")
        }
        try self.init(path: path, text: text)
    }

    public init(path: String, byFrame: [Int: LaneLabel]) {
        self.path = path
        self.byFrame = byFrame
    }

    public init(path: String, text: String) throws {
        self.path = path
        var byFrame: [Int: LaneLabel] = [:]
        let decoder = JSONDecoder()
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let label: LaneLabel
            do {
                label = try decoder.decode(LaneLabel.self, from: Data(line.utf8))
            } catch DecodingError.keyNotFound(let key, _) {
                throw Problem(file: path, line: lineNumber, message: "missing \"\(key.stringValue)\" (each line needs raw_file, h_samples and lanes)")
            } catch {
                throw Problem(file: path, line: lineNumber, message: "is not a TuSimple label object (one JSON object per line: raw_file, h_samples, lanes)")
            }
            if label.lanes.count > LaneLabel.maxLanes {
                throw Problem(file: path, line: lineNumber, message: "has \(label.lanes.count) lanes; at most \(LaneLabel.maxLanes) are allowed")
            }
            for (i, lane) in label.lanes.enumerated() where lane.count != label.hSamples.count {
                throw Problem(file: path, line: lineNumber,
                              message: "lane \(i) has \(lane.count) points but h_samples has \(label.hSamples.count); each lane needs one x (or -2) per h_sample")
            }
            guard let index = label.frameIndex else {
                throw Problem(file: path, line: lineNumber, message: "raw_file \"\(label.rawFile)\" names no frame number (expected e.g. \"frames/000123.png\" or \"123\")")
            }
            if byFrame[index] != nil {
                throw Problem(file: path, line: lineNumber, message: "frame \(index) is labeled twice")
            }
            byFrame[index] = label
        }
        self.byFrame = byFrame
    }

    /// Writes labels as TuSimple JSON lines, ordered by frame.
    public static func write(_ labels: [LaneLabel], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for label in labels.sorted(by: { ($0.frameIndex ?? 0) < ($1.frameIndex ?? 0) }) {
            text += String(decoding: try encoder.encode(label), as: UTF8.self) + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// `exposure.json`: the exposure events of a drive and, per frame, the camera's exposure relative
/// to the converged one (for reports; the truth holes themselves are in masks/).
public struct ExposureLog: Codable, Sendable, Equatable {
    public struct Event: Codable, Sendable, Equatable {
        /// e.g. "tunnel-entry", "tunnel-exit", "underpass", "low-sun", "headlights", "hunting".
        public var kind: String
        public var startFrame: Int
        public var endFrame: Int
        enum CodingKeys: String, CodingKey { case kind, startFrame = "start_frame", endFrame = "end_frame" }
        public init(kind: String, startFrame: Int, endFrame: Int) {
            self.kind = kind
            self.startFrame = startFrame
            self.endFrame = endFrame
        }
    }

    public struct FrameExposure: Codable, Sendable, Equatable {
        public var frame: Int
        /// log2 of (camera exposure / converged exposure): +3.5 means 3.5 stops over.
        public var ev: Double
        /// Share of the lane ROI covered by truth holes (synthetic and degraded drives).
        public var roiHoles: Double?
        enum CodingKeys: String, CodingKey { case frame, ev, roiHoles = "roi_holes" }
        public init(frame: Int, ev: Double, roiHoles: Double? = nil) {
            self.frame = frame
            self.ev = ev
            self.roiHoles = roiHoles
        }
    }

    public var events: [Event]
    public var frames: [FrameExposure]

    public init(events: [Event], frames: [FrameExposure]) {
        self.events = events
        self.frames = frames
    }

    public static func read(_ path: String) throws -> ExposureLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LaneLabelFile.Problem(file: path, line: 0, message: "cannot be read")
        }
        return try decode(data, file: path)
    }

    /// Decodes the contents of exposure.json; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> ExposureLog {
        do { return try JSONDecoder().decode(ExposureLog.self, from: data) } catch {
            throw LaneLabelFile.Problem(file: file, line: 0, message: "is not a valid exposure log ({\"events\": [...], \"frames\": [...]}): \(error)")
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
