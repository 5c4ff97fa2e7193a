import Configuration
import Drives
import Foundation
import Imaging
import Lanes

/// A camera profile file under config/cameras/NAME.yaml: the geometry of one camera mounting,
/// in pixels of the stated image size (scaled to whatever size frames are processed at).
public struct CameraProfileFile: Decodable, Sendable, Equatable {
    public var description: String
    public var width: Int
    public var height: Int
    public var roi: [[Double]]
    public var birdseye: [[Double]]
    public var horizonY: Double?

    enum CodingKeys: String, CodingKey, CaseIterable { case description, width, height, roi, birdseye, horizonY = "horizon_y" }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        description = try c.value(.description, default: "")
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        let profile = try CameraProfile(from: decoder, keys: c)
        roi = profile.roi
        birdseye = profile.birdseye
        horizonY = profile.horizonY
    }
}

extension CameraProfile {
    /// Decodes the roi/birdseye/horizon_y subset of a camera profile file (its other keys are
    /// checked by the file's own type).
    fileprivate init<K>(from decoder: Decoder, keys: KeyedDecodingContainer<K>) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let roi = try c.decode([[Double]].self, forKey: AnyCodingKey(stringValue: "roi"))
        let birdseye = try c.decode([[Double]].self, forKey: AnyCodingKey(stringValue: "birdseye"))
        let horizon = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey(stringValue: "horizon_y"))
        if roi.count < 3 || roi.contains(where: { $0.count != 2 }) {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyCodingKey(stringValue: "roi")], debugDescription: "must be a polygon of at least 3 [x, y] points"))
        }
        if birdseye.count != 4 || birdseye.contains(where: { $0.count != 2 }) {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyCodingKey(stringValue: "birdseye")],
                                                    debugDescription: "must be exactly 4 [x, y] points (bottom-left, top-left, top-right, bottom-right)"))
        }
        self.init(roi: roi, birdseye: birdseye, horizonY: horizon)
    }

    /// The lane detector's geometry for frames of `size` (the profile's coordinates refer to it).
    public func roadGeometry(size: ImageSize) -> RoadGeometry {
        RoadGeometry(imageSize: size, roi: roi.map { Point2($0[0], $0[1]) },
                     roadQuad: birdseye.map { Point2($0[0], $0[1]) }, horizonY: horizonY)
    }
}

/// Where a drive's camera geometry came from, as the report states it.
public struct ResolvedCamera: Sendable {
    /// In pixels of `geometry.imageSize`.
    public var geometry: RoadGeometry
    /// e.g. "drive.yaml (inline)", "config/cameras/udacity-960x540.yaml", "estimated from 50 frames".
    public var origin: String

    public init(geometry: RoadGeometry, origin: String) {
        self.geometry = geometry
        self.origin = origin
    }
}

public enum CameraProfiles {
    /// Loads config/cameras/NAME.yaml (or a path to a .yaml file).
    public static func load(nameOrPath: String, folder: String) throws -> ResolvedCamera {
        let path = nameOrPath.hasSuffix(".yaml") || nameOrPath.contains("/")
            ? nameOrPath : (folder as NSString).appendingPathComponent("\(nameOrPath).yaml")
        guard FileManager.default.fileExists(atPath: path) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
            throw ConfigError(file: path, keyPath: "", line: nil,
                              message: "camera profile not found; known profiles in \(folder): \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        let loader = try YAMLLoader(contentsOf: path)
        let file = try loader.decode(CameraProfileFile.self)
        let size = ImageSize(width: file.width, height: file.height)
        let geometry = CameraProfile(roi: file.roi, birdseye: file.birdseye, horizonY: file.horizonY).roadGeometry(size: size)
        if let problem = geometry.problem { throw loader.error(at: ["birdseye"], problem) }
        return ResolvedCamera(geometry: geometry, origin: path)
    }

    /// The drive's camera: `override` (--camera) first, then drive.yaml's inline or named profile;
    /// nil when there is none (the caller estimates one from the frames).
    public static func resolve(drive: Drive, override: String?, folder: String) throws -> ResolvedCamera? {
        let size = ImageSize(width: drive.manifest.width, height: drive.manifest.height)
        if let override { return try load(nameOrPath: override, folder: folder) }
        switch drive.manifest.camera {
        case .inline(let profile)?:
            let geometry = profile.roadGeometry(size: size)
            if let problem = geometry.problem {
                throw ConfigError(file: drive.manifestPath, keyPath: "camera.birdseye", line: nil, message: problem)
            }
            return ResolvedCamera(geometry: geometry, origin: "drive.yaml (inline profile)")
        case .named(let name)?:
            return try load(nameOrPath: name, folder: folder)
        case nil:
            return nil
        }
    }

    /// Estimates the geometry from the first `frameCount` frames of `frames` (native size).
    public static func estimate(frames: [RGBImage]) -> ResolvedCamera? {
        guard let first = frames.first else { return nil }
        var estimator = CameraEstimator(imageSize: first.size)
        for f in frames { estimator.add(f) }
        guard let g = estimator.estimate() else { return nil }
        return ResolvedCamera(geometry: g, origin: "estimated from the first \(frames.count) frames (lane vanishing point)")
    }
}
