import Configuration
import Foundation

/// `drive.yaml`: what a drive folder holds (docs/guides/drives.md).
public struct DriveManifest: Decodable, Sendable, Equatable {
    public var fps: Double
    public var width: Int
    public var height: Int
    /// Camera profile: a name of a profile in config/cameras/, or an inline profile; nil when the
    /// drive brings none (the lane detector then estimates one).
    public var camera: CameraReference?
    /// Where the footage comes from (URL, generator and seed, …) and its license.
    public var source: String
    public var license: String
    /// How the labels (labels.json, or CULane labels/) were made, e.g. "synthetic (exact)" or
    /// "detector-proposed, visually verified". Which format a drive uses is seen from the files.
    public var labels: String?
    /// Number of frames, when the writer knew it (optional; replay uses it to estimate the time
    /// left before a video has been read).
    public var frames: Int?

    enum CodingKeys: String, CodingKey, CaseIterable { case fps, width, height, camera, source, license, labels, frames }

    public init(fps: Double, width: Int, height: Int, camera: CameraReference? = nil,
                source: String, license: String, labels: String? = nil, frames: Int? = nil) {
        self.fps = fps
        self.width = width
        self.height = height
        self.camera = camera
        self.source = source
        self.license = license
        self.labels = labels
        self.frames = frames
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fps = try c.decode(Double.self, forKey: .fps)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        camera = try c.decodeIfPresent(CameraReference.self, forKey: .camera)
        source = try c.value(.source, default: "")
        license = try c.value(.license, default: "")
        labels = try c.decodeIfPresent(String.self, forKey: .labels)
        frames = try c.decodeIfPresent(Int.self, forKey: .frames)
    }

    /// The footage the frames show, whatever was done to their exposure: the filmed video a
    /// degraded drive was made from (its `source` after the last "from: ", up to the parenthesis
    /// that describes it), or the rendered road of a synthetic drive (preset and seed: other
    /// frame rates or event lengths of it are the same road). Drives of one footage share their
    /// road, markings and camera, so the drive bootstrap draws them together
    /// (`DriveBootstrap.init(groups:)`). nil when `source` is empty.
    public var footage: String? {
        let text = source.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("synthetic: ") {
            // `clearlane synth --preset P --seed S …` (DriveSynthesizer writes the command).
            let words = text.split(separator: " ")
            func value(_ flag: String) -> Substring? { words.firstIndex(of: Substring(flag)).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil } }
            if let preset = value("--preset"), let seed = value("--seed") { return "rendered \(preset) seed \(seed)" }
            return text
        }
        let filmed = text.range(of: " from: ", options: .backwards).map { String(text[$0.upperBound...]) } ?? text
        let described = filmed.range(of: " (").map { String(filmed[..<$0.lowerBound]) } ?? filmed
        return described.trimmingCharacters(in: .whitespaces)
    }

    /// Decodes and range-checks drive.yaml text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> DriveManifest {
        try parse(YAMLLoader(file: file, text: text))
    }

    static func parse(_ loader: YAMLLoader) throws -> DriveManifest {
        let manifest = try loader.decode(DriveManifest.self)
        let problems = manifest.problems().map { loader.error(at: $0.path, $0.message) }
        if !problems.isEmpty { throw ConfigErrors(problems) }
        return manifest
    }

    func problems() -> [(path: [String], message: String)] {
        var out: [(path: [String], message: String)] = []
        if !(fps > 0 && fps <= 240) { out.append((["fps"], "must be in (0, 240] frames per second, got \(fps)")) }
        if !(1...8192).contains(width) { out.append((["width"], "must be a positive pixel count, got \(width)")) }
        if !(1...8192).contains(height) { out.append((["height"], "must be a positive pixel count, got \(height)")) }
        if let frames, frames < 1 { out.append((["frames"], "must be a positive frame count, got \(frames)")) }
        return out
    }
}

/// A camera profile by name (`camera: dashcam-640`) or inline (`camera: {roi: …}`).
public enum CameraReference: Decodable, Sendable, Equatable {
    case named(String)
    case inline(CameraProfile)

    public init(from decoder: Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            self = .named(name)
        } else {
            self = .inline(try CameraProfile(from: decoder))
        }
    }
}

/// Geometry of a forward road camera, in pixel coordinates of the drive's frames: the lane region
/// of interest and four road-plane points that span a rectangle on the road (for the bird's-eye
/// homography).
public struct CameraProfile: Codable, Sendable, Equatable {
    /// Polygon (x, y) enclosing the road area where lanes are looked for and holes matter.
    public var roi: [[Double]]
    /// Four image points on the road plane: bottom-left, top-left, top-right, bottom-right of a
    /// rectangle on the road (e.g. a straight lane's borders).
    public var birdseye: [[Double]]
    /// Image row of the horizon, if known.
    public var horizonY: Double?

    enum CodingKeys: String, CodingKey, CaseIterable { case roi, birdseye, horizonY = "horizon_y" }

    public init(roi: [[Double]], birdseye: [[Double]], horizonY: Double? = nil) {
        self.roi = roi
        self.birdseye = birdseye
        self.horizonY = horizonY
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        roi = try c.decode([[Double]].self, forKey: .roi)
        birdseye = try c.decode([[Double]].self, forKey: .birdseye)
        horizonY = try c.decodeIfPresent(Double.self, forKey: .horizonY)
        if roi.count < 3 || roi.contains(where: { $0.count != 2 }) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.roi],
                                                    debugDescription: "must be a polygon of at least 3 [x, y] points"))
        }
        if birdseye.count != 4 || birdseye.contains(where: { $0.count != 2 }) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.birdseye],
                                                    debugDescription: "must be exactly 4 [x, y] points (bottom-left, top-left, top-right, bottom-right)"))
        }
    }
}
