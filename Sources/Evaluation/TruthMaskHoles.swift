import Drives
import Exposure
import Foundation
import Imaging
import Media
import Pipeline

/// Hole detection from a drive's truth masks (masks/000000.png …, 255 = hole), read in step
/// with the frames and scaled to the processing size (any non-zero scaled value is a hole, so
/// thin holes survive downscaling).
public struct TruthMaskHoles: HoleDetecting {
    private let source: FrameSource
    private let roi: Mask
    private let roiCount: Int
    private var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
    public let folder: String

    public init(folder: String, fps: Double, size: ImageSize, roi: Mask) throws {
        self.folder = folder
        source = try FrameSource.imageFolder(folder, fps: fps, size: size, options: .init(stallTimeout: 30, maxBuffers: 4))
        self.roi = roi
        roiCount = max(1, roi.setCount)
    }

    public var holeSource: String { "truth masks (masks/)" }

    public mutating func detectHoles(in image: Frame, into holes: inout Mask) throws -> HoleStats {
        guard try source.read(into: &frame) else {
            throw MediaError.fileNotFound(path: "\(folder): no mask for frame \(image.index) (masks/ has fewer images than the drive has frames)")
        }
        holes.reshape(width: frame.width, height: frame.height, fill: 0)
        var inROI = 0
        let n = frame.width * frame.height
        for i in 0..<n {
            let hole: UInt8 = frame.image.pixels[3 * i] > 0 ? 1 : 0
            holes.values[i] = hole
            if hole != 0 && roi.values.count == n && roi.values[i] != 0 { inROI += 1 }
        }
        return HoleStats(roiCoverage: Double(inROI) / Double(roiCount))
    }

    public mutating func reset() {}
}
